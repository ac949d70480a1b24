import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GuestMemory, GuestMemoryError } from "../../runtime/memory/index.js";
import type { GuestMemoryErrorReason } from "../../runtime/memory/index.js";

/** Runs `fn`, expecting a GuestMemoryError with `reason`; returns it for further checks. */
function expectReason(fn: () => unknown, reason: GuestMemoryErrorReason): GuestMemoryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GuestMemoryError);
    expect((e as GuestMemoryError).reason).toBe(reason);
    return e as GuestMemoryError;
  }
  throw new Error(`expected GuestMemoryError ${reason}, nothing thrown`);
}

describe("GuestMemory: single region", () => {
  const base = 0x10000;
  const mem = (): { m: GuestMemory; bytes: Uint8Array } => {
    const buffer = new SharedArrayBuffer(4096);
    return { m: GuestMemory.fromBuffer(buffer, base), bytes: new Uint8Array(buffer) };
  };

  it("reads and writes little-endian scalars at guest addresses", () => {
    const { m, bytes } = mem();
    m.writeU16(base + 1, 0xbeef);
    m.writeU32(base + 5, 0x01020304);
    m.writeU64(base + 11, 0x1122334455667788n);
    m.writeU8(base + 4095, 0xff);
    expect([...bytes.subarray(1, 3)]).toEqual([0xef, 0xbe]);
    expect([...bytes.subarray(5, 9)]).toEqual([4, 3, 2, 1]);
    expect([...bytes.subarray(11, 19)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(m.readU16(base + 1)).toBe(0xbeef);
    expect(m.readU32(base + 5)).toBe(0x01020304);
    expect(m.readU64(base + 11)).toBe(0x1122334455667788n);
    expect(m.readU8(base + 4095)).toBe(0xff);
  });

  it("reads u64 as a number up to 2^53 - 1 and refuses larger values", () => {
    const { m } = mem();
    m.writeU64Number(base + 8, Number.MAX_SAFE_INTEGER);
    expect(m.readU64Number(base + 8)).toBe(Number.MAX_SAFE_INTEGER);
    expect(m.readU64(base + 8)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    m.writeU64(base + 16, 1n << 53n);
    const e = expectReason(() => m.readU64Number(base + 16), "value-too-large");
    expect(e.address).toBe(base + 16);
    expect(m.readU64(base + 16)).toBe(1n << 53n);
  });

  it("refuses values that do not fit the width instead of truncating them", () => {
    const { m, bytes } = mem();
    expectReason(() => m.writeU8(base, 256), "invalid-value");
    expectReason(() => m.writeU16(base, -1), "invalid-value");
    expectReason(() => m.writeU32(base, 2 ** 32), "invalid-value");
    expectReason(() => m.writeU32(base, 1.5), "invalid-value");
    expectReason(() => m.writeU64(base, 1n << 64n), "invalid-value");
    expectReason(() => m.writeU64(base, -1n), "invalid-value");
    expectReason(() => m.writeU64Number(base, 2 ** 53), "invalid-value");
    expectReason(() => m.fill(base, 4, 300), "invalid-value");
    expect(bytes.every((b) => b === 0)).toBe(true);
  });

  it.each([
    ["NaN", Number.NaN, "invalid-address"],
    ["negative", -1, "invalid-address"],
    ["fraction", 0x10000 + 0.5, "invalid-address"],
    ["beyond 2^53", 2 ** 53, "invalid-address"],
    ["below the region", 0xfff8, "out-of-range"],
    ["straddling the end", 0x10000 + 4094, "out-of-range"],
    ["past the end", 0x10000 + 4096, "out-of-range"],
  ] as const)("refuses a u32 access at a %s address", (_name, address, reason) => {
    const { m } = mem();
    const e = expectReason(() => m.readU32(address), reason);
    expect(e.length).toBe(4);
    expect(e.message).toContain(reason);
    expectReason(() => m.writeU32(address, 1), reason);
  });

  it("checks lengths and overflow of address + length", () => {
    const { m } = mem();
    expectReason(() => m.checkRange(base, -1), "invalid-length");
    expectReason(() => m.checkRange(base, 0.5), "invalid-length");
    expectReason(() => m.checkRange(Number.MAX_SAFE_INTEGER - 3, 8), "overflow");
    expectReason(() => m.checkRange(base, Number.MAX_SAFE_INTEGER), "overflow");
    expect(m.isValidRange(base + 4096, 0)).toBe(true);
    expect(m.isValidRange(base + 4096, 1)).toBe(false);
    expect(m.isValidRange(base, 4096)).toBe(true);
    expect(m.isValidRange(base, 4097)).toBe(false);
  });

  it("copies in and out and hands out zero-copy slices that alias guest memory", () => {
    const { m, bytes } = mem();
    m.write(base + 100, Uint8Array.of(1, 2, 3, 4));
    const out = new Uint8Array(6);
    m.read(base + 99, out);
    expect([...out]).toEqual([0, 1, 2, 3, 4, 0]);
    const view = m.slice(base + 100, 4);
    view[0] = 42;
    expect(bytes[100]).toBe(42);
    expect(view.buffer).toBe(bytes.buffer);
    expectReason(() => m.slice(base + 4000, 97), "out-of-range");
    expectReason(() => m.slice(base, 1.5), "invalid-length");
    expectReason(() => m.slice(base, -1), "invalid-length");
    m.fill(base + 100, 4, 7);
    expect([...bytes.subarray(99, 105)]).toEqual([0, 7, 7, 7, 7, 0]);
  });

  it("leaves memory and the destination untouched when an access is refused", () => {
    const { m, bytes } = mem();
    bytes.fill(9);
    const dest = new Uint8Array(8).fill(5);
    expectReason(() => m.read(base + 4092, dest), "out-of-range");
    expect(dest.every((b) => b === 5)).toBe(true);
    expectReason(() => m.write(base + 4092, new Uint8Array(8)), "out-of-range");
    expect(bytes.every((b) => b === 9)).toBe(true);
  });
});

describe("GuestMemory: regions", () => {
  it("maps guest addresses through byteOffset into the backing buffer", () => {
    const buffer = new ArrayBuffer(1024);
    const m = new GuestMemory([{ guestAddress: 0x2000, buffer, byteOffset: 256, byteLength: 512 }]);
    m.writeU8(0x2000, 0xaa);
    expect(new Uint8Array(buffer)[256]).toBe(0xaa);
    expect(m.isValidRange(0x2000, 512)).toBe(true);
    expect(m.isValidRange(0x2000, 513)).toBe(false);
  });

  it("lets copies span contiguous regions but not slices", () => {
    const a = new SharedArrayBuffer(64);
    const b = new SharedArrayBuffer(64);
    // Given out of order on purpose: the address space sorts them.
    const m = new GuestMemory([
      { guestAddress: 0x1040, buffer: b },
      { guestAddress: 0x1000, buffer: a },
    ]);
    m.write(0x103c, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect([...new Uint8Array(a, 60, 4)]).toEqual([1, 2, 3, 4]);
    expect([...new Uint8Array(b, 0, 4)]).toEqual([5, 6, 7, 8]);
    const out = new Uint8Array(8);
    m.read(0x103c, out);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(m.isValidRange(0x1000, 128)).toBe(true);
    expectReason(() => m.slice(0x103c, 8), "crosses-regions");
    expectReason(() => m.readU64(0x103c), "crosses-regions");
    expect(m.findRegion(0x103c, 8)).toBeUndefined();
    expect(m.findRegion(0x1040, 8)?.buffer).toBe(b);
  });

  it("refuses ranges that fall into a gap between regions", () => {
    const m = new GuestMemory([
      { guestAddress: 0, buffer: new ArrayBuffer(64) },
      { guestAddress: 128, buffer: new ArrayBuffer(64) },
    ]);
    expect(m.isValidRange(60, 8)).toBe(false);
    expectReason(() => m.readU8(64), "out-of-range");
    expectReason(() => m.write(60, new Uint8Array(8)), "out-of-range");
    expect(m.readU8(128)).toBe(0);
    expect(m.isValidRange(64, 0)).toBe(true);
    expect(m.isValidRange(100, 0)).toBe(false);
  });

  it.each([
    ["overlapping regions", [{ guestAddress: 0, len: 64 }, { guestAddress: 56, len: 64 }], "overlapping-regions"],
    ["a misaligned guest address", [{ guestAddress: 4, len: 64 }], "invalid-region"],
    ["an empty region", [{ guestAddress: 0, len: 0 }], "invalid-region"],
    ["a region ending past 2^53", [{ guestAddress: Number.MAX_SAFE_INTEGER - 7, len: 64 }], "invalid-region"],
  ] as const)("refuses %s", (_name, regions, reason) => {
    expectReason(
      () => new GuestMemory(regions.map((r) => ({ guestAddress: r.guestAddress, buffer: new ArrayBuffer(64), byteLength: r.len }))),
      reason,
    );
  });

  it("refuses malformed buffer windows and an empty region list", () => {
    const buffer = new ArrayBuffer(64);
    expectReason(() => new GuestMemory([]), "invalid-region");
    expectReason(() => new GuestMemory([{ guestAddress: 0, buffer, byteOffset: 4 }]), "invalid-region");
    expectReason(() => new GuestMemory([{ guestAddress: 0, buffer, byteOffset: 72 }]), "invalid-region");
    expectReason(() => new GuestMemory([{ guestAddress: 0, buffer, byteOffset: 8, byteLength: 64 }]), "invalid-region");
    expectReason(
      () => new GuestMemory([{ guestAddress: 0, buffer: new Uint8Array(8) as unknown as ArrayBuffer }]),
      "invalid-region",
    );
    // Resizable buffers could shrink under the cached views.
    const resizable = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(64, { maxByteLength: 128 });
    expectReason(() => new GuestMemory([{ guestAddress: 0, buffer: resizable }]), "invalid-region");
    const growable = new (SharedArrayBuffer as unknown as new (n: number, o: object) => SharedArrayBuffer)(64, { maxByteLength: 128 });
    expectReason(() => new GuestMemory([{ guestAddress: 0, buffer: growable }]), "invalid-region");
  });
});

describe("GuestMemory: atomics", () => {
  it("loads and stores 16-bit words that are only 2-aligned, and 32-bit words", () => {
    const buffer = new SharedArrayBuffer(64);
    const m = GuestMemory.fromBuffer(buffer, 0x100);
    m.atomicStore16(0x102, 0xfffe);
    expect(m.atomicLoad16(0x102)).toBe(0xfffe);
    expect(m.readU16(0x102)).toBe(0xfffe);
    m.atomicStore32(0x108, 0xfffffffe);
    expect(m.atomicLoad32(0x108)).toBe(0xfffffffe);
    expect(m.readU32(0x108)).toBe(0xfffffffe);
  });

  it("refuses unaligned atomic accesses, bad values and waits on plain ArrayBuffers", () => {
    const shared = GuestMemory.fromBuffer(new SharedArrayBuffer(64));
    expectReason(() => shared.atomicLoad16(1), "unaligned");
    expectReason(() => shared.atomicStore32(2, 1), "unaligned");
    expectReason(() => shared.atomicNotify32(6), "unaligned");
    expectReason(() => shared.atomicWait32(2, 0, 0), "unaligned");
    expectReason(() => shared.atomicStore16(0, 0x10000), "invalid-value");
    expectReason(() => shared.atomicWait32(0, 2 ** 32, 0), "invalid-value");
    expectReason(() => shared.atomicLoad32(64), "out-of-range");
    const plain = GuestMemory.fromBuffer(new ArrayBuffer(64));
    plain.atomicStore32(0, 7);
    expect(plain.atomicLoad32(0)).toBe(7);
    expect(plain.atomicNotify32(0)).toBe(0);
    expectReason(() => plain.atomicWait32(0, 7, 0), "not-shared");
  });

  it("waits report not-equal and timed-out like Atomics.wait", () => {
    const m = GuestMemory.fromBuffer(new SharedArrayBuffer(64));
    m.atomicStore32(4, 0xffffffff);
    expect(m.atomicWait32(4, 0, 10)).toBe("not-equal");
    // The same 32 bits spelled as an i32 are equal.
    expect(m.atomicWait32(4, -1, 1)).toBe("timed-out");
  });

  it("wakes a waiter blocked on a guest word from another thread", async () => {
    const buffer = new SharedArrayBuffer(64);
    const m = GuestMemory.fromBuffer(buffer, 0x1000);
    // The worker blocks on the word at guest 0x1008 (byte 8) until notified through GuestMemory; the word
    // stays 0, so only a notify (not a value change) can end its wait with "ok".
    const worker = new Worker(
      `const { workerData, parentPort } = require("node:worker_threads");
       const i32 = new Int32Array(workerData);
       Atomics.store(i32, 0, 1);
       Atomics.notify(i32, 0);
       parentPort.postMessage(Atomics.wait(i32, 2, 0, 10000));`,
      { eval: true, workerData: buffer },
    );
    try {
      const result = new Promise<string>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      // Wait until the worker is running, then give it a moment to block before notifying.
      expect(m.atomicWait32(0x1000, 0, 10000)).not.toBe("timed-out");
      let woken = 0;
      for (let tries = 0; woken === 0 && tries < 1000; tries++) {
        woken = m.atomicNotify32(0x1008);
        if (woken === 0) await new Promise((r) => setTimeout(r, 5));
      }
      expect(woken).toBe(1);
      expect(await result).toBe("ok");
    } finally {
      await worker.terminate();
    }
  });
});

describe("GuestMemory: property", () => {
  /** Regions described as (gap before, size) pairs in 8-byte units, so they never overlap. */
  const layoutArb = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 4 }), size: fc.integer({ min: 1, max: 8 }) }), {
    minLength: 1,
    maxLength: 4,
  });
  const opArb = fc.record({
    kind: fc.constantFrom("write", "read", "u16", "u32", "u64", "slice"),
    address: fc.integer({ min: -8, max: 500 }),
    length: fc.integer({ min: 0, max: 24 }),
    seed: fc.integer({ min: 0, max: 255 }),
  });

  it("agrees with a byte-map reference model on every access, and refusals change nothing", () => {
    fc.assert(
      fc.property(layoutArb, fc.array(opArb, { maxLength: 40 }), (layout, ops) => {
        const ref = new Map<number, number>();
        const regions: { guestAddress: number; buffer: ArrayBuffer }[] = [];
        let cursor = 0;
        for (const { gap, size } of layout) {
          cursor += gap * 8;
          regions.push({ guestAddress: cursor, buffer: new ArrayBuffer(size * 8) });
          for (let a = cursor; a < cursor + size * 8; a++) ref.set(a, 0);
          cursor += size * 8;
        }
        const m = new GuestMemory(regions);
        const covered = (a: number, n: number): boolean => {
          for (let i = 0; i < n; i++) if (!ref.has(a + i)) return false;
          return a >= 0 && (n > 0 || ref.has(a) || ref.has(a - 1));
        };
        /** Whether one region holds the range (regions were built contiguous in `ref` only within one). */
        const oneRegion = (a: number, n: number): boolean =>
          regions.some((r) => a >= r.guestAddress && a + n <= r.guestAddress + r.buffer.byteLength);
        for (const op of ops) {
          const { address: a, length: n, seed } = op;
          const width = op.kind === "u16" ? 2 : op.kind === "u32" ? 4 : op.kind === "u64" ? 8 : n;
          const ok = op.kind === "write" || op.kind === "read" ? covered(a, width) : covered(a, width) && oneRegion(a, width);
          expect(m.isValidRange(a, width)).toBe(covered(a, width));
          const snapshot = new Map(ref);
          try {
            if (op.kind === "write") {
              const data = Uint8Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
              m.write(a, data);
              data.forEach((b, i) => ref.set(a + i, b));
            } else if (op.kind === "read") {
              const out = new Uint8Array(n);
              m.read(a, out);
              expect([...out]).toEqual(Array.from({ length: n }, (_, i) => ref.get(a + i)));
            } else if (op.kind === "slice") {
              expect([...m.slice(a, n)]).toEqual(Array.from({ length: n }, (_, i) => ref.get(a + i)));
            } else {
              const got = op.kind === "u16" ? BigInt(m.readU16(a)) : op.kind === "u32" ? BigInt(m.readU32(a)) : m.readU64(a);
              let expected = 0n;
              for (let i = width - 1; i >= 0; i--) expected = (expected << 8n) | BigInt(ref.get(a + i)!);
              expect(got).toBe(expected);
            }
            expect(ok).toBe(true);
          } catch (e) {
            if (!(e instanceof GuestMemoryError)) throw e;
            expect(ok).toBe(false);
            // Nothing changed: every region still holds exactly what the model says.
            for (const r of regions) {
              const actual = new Uint8Array(r.buffer);
              for (let i = 0; i < actual.length; i++) {
                if (actual[i] !== snapshot.get(r.guestAddress + i)) expect(actual[i]).toBe(snapshot.get(r.guestAddress + i));
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
