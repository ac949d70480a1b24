/**
 * Property tests for the split virtqueue:
 * - against random (mostly hostile) ring contents the device never throws, never reads more than its chain
 *   limit per pop, and pops exactly what a naive reference walker accepts — or breaks for the same reason;
 * - random interleavings of driver and device operations lose, duplicate or corrupt nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import { SplitQueueDevice, SplitQueueDriver, UsedBuffer, gatherReadable } from "../../runtime/virtqueue/index.js";
import type { SplitRingAddresses, VirtqueueBuffer } from "../../runtime/virtqueue/index.js";
import { RawRing } from "./fixtures/virtqueue-harness.js";

const MEM_SIZE = 0x4000;
const TABLES = 0x2000; // random indirect tables live here (0x2000 .. 0x3000)

type RefResult =
  | { kind: "empty" }
  | { kind: "broken"; reason: string }
  | { kind: "chain"; head: number; segments: [number, number, boolean][] };

/**
 * Reference device pop, written for clarity rather than speed, with bigint addresses and the checks in the
 * order the spec lists them per descriptor. Memory is one region at 0 of MEM_SIZE bytes.
 */
function referencePop(
  mem: GuestMemory,
  ring: SplitRingAddresses,
  lastAvail: number,
  inFlight: ReadonlySet<number>,
  indirectNegotiated: boolean,
  maxChain: number,
): RefResult {
  const fits = (addr: bigint, len: number): boolean => addr + BigInt(len) <= BigInt(MEM_SIZE);
  const availIdx = mem.readU16(ring.availAddress + 2);
  const pending = (availIdx - lastAvail) & 0xffff;
  if (pending > ring.size) return { kind: "broken", reason: "avail-idx-runaway" };
  if (pending === 0) return { kind: "empty" };
  const head = mem.readU16(ring.availAddress + 4 + 2 * (lastAvail % ring.size));
  if (head >= ring.size) return { kind: "broken", reason: "head-out-of-range" };
  if (inFlight.has(head)) return { kind: "broken", reason: "head-in-flight" };
  let table = { base: ring.descAddress, entries: ring.size, indirect: false };
  let index = head;
  let visited = 0;
  let inTable = 0;
  let total = 0;
  let sawWritable = false;
  const segments: [number, number, boolean][] = [];
  for (;;) {
    if (visited === maxChain || inTable === table.entries) return { kind: "broken", reason: "chain-too-long" };
    visited++;
    inTable++;
    const at = table.base + 16 * index;
    const addr = mem.readU64(at);
    const len = mem.readU32(at + 8);
    const flags = mem.readU16(at + 12);
    const next = mem.readU16(at + 14);
    if (flags & 4) {
      if (!indirectNegotiated) return { kind: "broken", reason: "indirect-not-negotiated" };
      if (table.indirect) return { kind: "broken", reason: "nested-indirect" };
      if (flags & 1) return { kind: "broken", reason: "indirect-with-next" };
      if (len === 0 || len % 16 !== 0 || len / 16 > 65536) return { kind: "broken", reason: "indirect-size-invalid" };
      if (!fits(addr, len)) return { kind: "broken", reason: "indirect-outside-memory" };
      table = { base: Number(addr), entries: len / 16, indirect: true };
      index = 0;
      inTable = 0;
      continue;
    }
    if (len === 0) return { kind: "broken", reason: "zero-length-buffer" };
    const writable = (flags & 2) !== 0;
    if (!writable && sawWritable) return { kind: "broken", reason: "readable-after-writable" };
    sawWritable ||= writable;
    total += len;
    if (total > 0xffffffff) return { kind: "broken", reason: "length-overflow" };
    if (!fits(addr, len)) return { kind: "broken", reason: "buffer-outside-memory" };
    segments.push([Number(addr), len, writable]);
    if ((flags & 1) === 0) return { kind: "chain", head, segments };
    if (next >= table.entries) return { kind: "broken", reason: "next-out-of-range" };
    index = next;
  }
}

const descArb = (size: number) =>
  fc.record({
    addr: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: MEM_SIZE + 64 }).map(BigInt) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 15 }).map((k) => BigInt(TABLES + 64 * k)) },
      { weight: 1, arbitrary: fc.constantFrom(2n ** 53n, 2n ** 64n - 1n, 2n ** 32n) },
    ),
    len: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }).map((k) => 16 * k) },
      { weight: 1, arbitrary: fc.constantFrom(0xffffffff, 0x80000000, 24, 16 * 65537) },
    ),
    // Mostly plain or NEXT descriptors so valid chains occur; any flag combination sometimes.
    flags: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 3) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) }),
    next: fc.integer({ min: 0, max: size + 1 }),
  });

describe("split virtqueue device: random ring contents", () => {
  const scenario = fc
    .constantFrom(1, 2, 4, 8, 16)
    .chain((size) =>
      fc.record({
        size: fc.constant(size),
        table: fc.array(descArb(size), { minLength: size, maxLength: size }),
        indirect: fc.array(descArb(4), { minLength: 64, maxLength: 64 }),
        ring: fc.array(
          fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: size - 1 }) }, { weight: 1, arbitrary: fc.integer({ min: size, max: 0xffff }) }),
          { minLength: size, maxLength: size },
        ),
        availIdx: fc.oneof(
          { weight: 8, arbitrary: fc.integer({ min: 1, max: size }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
        ),
        indirectNegotiated: fc.boolean(),
        maxChain: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 80 })),
        pushMask: fc.integer({ min: 0, max: 0xffff }),
      }),
    );

  it("never throws, stays within its chain limit, and agrees with the reference walker", () => {
    let popped = 0;
    let broken = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(MEM_SIZE));
        const ring = { size: s.size, descAddress: 0, availAddress: 0x1000, usedAddress: 0x1800 };
        const raw = new RawRing(memory, ring);
        s.table.forEach((d, i) => raw.desc(i, d));
        raw.table(TABLES, s.indirect);
        s.ring.forEach((h, i) => memory.writeU16(ring.availAddress + 4 + 2 * i, h));
        raw.setAvailIdx(s.availIdx);
        const device = new SplitQueueDevice(memory, ring, {
          indirectDesc: s.indirectNegotiated,
          ...(s.maxChain === undefined ? {} : { maxChainLength: s.maxChain }),
        });
        const limit = s.maxChain ?? s.size;
        const chain = device.createChain();
        const inFlight = new Set<number>();
        // More pops than the ring can hold: the device must end empty or broken, never loop.
        for (let step = 0; step < s.size + 3; step++) {
          const expected = referencePop(memory, ring, device.lastAvailIdx, inFlight, s.indirectNegotiated, limit);
          const before = device.descriptorsVisited;
          const result = device.pop(chain);
          expect(device.descriptorsVisited - before).toBeLessThanOrEqual(limit);
          if (result === "broken") {
            broken++;
            expect(expected).toEqual({ kind: "broken", reason: device.brokenReason });
            return;
          }
          if (result === "empty") {
            expect(expected.kind).toBe("empty");
            return;
          }
          popped++;
          const segments = Array.from({ length: chain.count }, (_, i): [number, number, boolean] => [
            chain.addresses[i]!,
            chain.lengths[i]!,
            i >= chain.readableCount,
          ]);
          expect(expected).toEqual({ kind: "chain", head: chain.head, segments });
          expect(chain.count).toBeLessThanOrEqual(limit);
          // Give some chains back so later pops can legitimately reuse their heads.
          if ((s.pushMask >> step) & 1) device.pushUsed(chain.head, 0);
          else inFlight.add(chain.head);
        }
      }),
      { numRuns: 1500 },
    );
    // The generator must reach both outcomes often, or the property says little.
    expect(popped).toBeGreaterThan(100);
    expect(broken).toBeGreaterThan(100);
  });
});

describe("split virtqueue: random driver/device interleavings", () => {
  const op = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("add" as const),
        readable: fc.integer({ min: 0, max: 3 }),
        writable: fc.integer({ min: 0, max: 3 }),
        indirect: fc.boolean(),
        seed: fc.integer({ min: 0, max: 255 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("pop" as const) }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant("push" as const), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("get" as const) }) },
  );

  it("delivers every chain exactly once, intact, with the device's length", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8, 16, 32),
        fc.boolean(),
        fc.boolean(),
        fc.array(op, { maxLength: 120 }),
        (size, eventIdx, indirectDesc, ops) => {
          const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(0x10000));
          const ring = { size, descAddress: 0, availAddress: 0x1000, usedAddress: 0x2000 };
          const driver = new SplitQueueDriver<number>(memory, ring, { eventIdx, indirectDesc });
          const device = new SplitQueueDevice(memory, ring, { eventIdx, indirectDesc, maxChainLength: size + 7 });
          const chain = device.createChain();
          const used = new UsedBuffer<number>();
          // Each token owns a 0x200-byte data slot and, when indirect, a table slot; slots recycle on completion.
          const freeSlots = Array.from({ length: 64 }, (_, i) => 63 - i);
          const sent = new Map<number, { slot: number; readable: VirtqueueBuffer[]; writable: VirtqueueBuffer[]; bytes: number[]; descs: number }>();
          const awaitingPop: number[] = [];
          const inDevice: { head: number; token: number; writableBytes: number }[] = [];
          const completions: { token: number; length: number }[] = [];
          const delivered = new Set<number>();
          let nextToken = 0;
          let descsInUse = 0;

          const doPop = (): void => {
            const r = device.pop(chain);
            if (awaitingPop.length === 0) {
              expect(r).toBe("empty");
              return;
            }
            expect(r).toBe("popped");
            const token = awaitingPop.shift()!;
            const want = sent.get(token)!;
            expect(chain.readableCount).toBe(want.readable.length);
            expect(Array.from(chain.addresses.subarray(0, chain.count))).toEqual([...want.readable, ...want.writable].map((b) => b.address));
            const data = new Uint8Array(chain.readableBytes);
            gatherReadable(memory, chain, data);
            expect([...data]).toEqual(want.bytes);
            inDevice.push({ head: chain.head, token, writableBytes: chain.writableBytes });
          };
          const doPush = (pick: number, fraction: number): void => {
            if (inDevice.length === 0) return;
            const [c] = inDevice.splice(pick % inDevice.length, 1);
            const length = Math.floor(c!.writableBytes * fraction);
            expect(device.pushUsed(c!.head, length)).toBe(true);
            completions.push({ token: c!.token, length });
          };
          const doGet = (): void => {
            const r = driver.getUsed(used);
            if (completions.length === 0) {
              expect(r).toBe("empty");
              return;
            }
            expect(r).toBe("used");
            const want = completions.shift()!;
            expect([used.token, used.length]).toEqual([want.token, want.length]);
            expect(delivered.has(want.token)).toBe(false);
            delivered.add(want.token);
            const info = sent.get(want.token)!;
            descsInUse -= info.descs;
            freeSlots.push(info.slot);
          };

          for (const o of ops) {
            if (o.kind === "add") {
              if (o.readable + o.writable === 0) continue;
              const slot = freeSlots.pop();
              if (slot === undefined) continue;
              const base = 0x4000 + 0x200 * slot;
              const readable = Array.from({ length: o.readable }, (_, i) => ({ address: base + 0x20 * i, length: 1 + ((o.seed + i) % 31) }));
              const writable = Array.from({ length: o.writable }, (_, i) => ({ address: base + 0x100 + 0x20 * i, length: 1 + ((o.seed * 3 + i) % 31) }));
              const bytes: number[] = [];
              for (const b of readable) {
                const content = Array.from({ length: b.length }, (_, i) => (o.seed + nextToken * 7 + b.address + i) & 0xff);
                memory.write(b.address, Uint8Array.from(content));
                bytes.push(...content);
              }
              const useIndirect = o.indirect && indirectDesc;
              const descs = useIndirect ? 1 : o.readable + o.writable;
              const table = useIndirect ? 0xc000 + 0x80 * slot : undefined;
              if (!useIndirect && descs > size) {
                freeSlots.push(slot);
                continue;
              }
              const r = driver.add(readable, writable, nextToken, table);
              if (descsInUse + descs > size) {
                expect(r).toBe("no-space");
                freeSlots.push(slot);
                continue;
              }
              expect(r).toBe("added");
              descsInUse += descs;
              sent.set(nextToken, { slot, readable, writable, bytes, descs });
              awaitingPop.push(nextToken);
              nextToken++;
              expect(driver.numFree).toBe(size - descsInUse);
            } else if (o.kind === "pop") {
              doPop();
            } else if (o.kind === "push") {
              doPush(o.pick, o.fraction);
            } else {
              doGet();
            }
          }
          // Drain: everything sent comes back exactly once.
          while (awaitingPop.length > 0) doPop();
          while (inDevice.length > 0) doPush(0, 1);
          while (completions.length > 0) doGet();
          expect(driver.getUsed(used)).toBe("empty");
          expect(delivered.size).toBe(nextToken);
          expect(driver.numFree).toBe(size);
          expect(driver.broken || device.broken).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
