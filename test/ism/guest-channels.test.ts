/**
 * The shared-memory channels guests run through a region: the mailbox (ping-pong) and the byte ring
 * (streaming) — data integrity across wrap-around, hostile control words from the peer, timeouts, resuming a
 * mailbox, the stream pattern — in one thread, then across two worker threads.
 */
import fc from "fast-check";
import { Buffer } from "node:buffer";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { IsmDriverError } from "../../runtime/ism/driver/index.js";
import {
  ByteRing,
  DEFAULT_RECOVERY_SPIN_NANOSECONDS,
  MAX_RECOVERY_SPIN_MS,
  Mailbox,
  NATIVE_COPY_MIN_BYTES,
  PATTERN_PERIOD,
  RING_HEADER_BYTES,
  SpinWaiter,
  copyBytes,
  mailboxBytes,
  patternByte,
  patternMismatches,
  patternSlice,
  patternSource,
  rawSignal,
  ringCapacityFor,
} from "../../runtime/ism/guest/index.js";

function shared(bytes: number): { bytes: Uint8Array; words: Int32Array } {
  const buffer = new SharedArrayBuffer(bytes);
  return { bytes: new Uint8Array(buffer), words: new Int32Array(buffer) };
}

const NO_WAIT = { spinNanoseconds: 0, timeoutMs: 0 };

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(IsmDriverError);
    return (error as IsmDriverError).reason;
  }
  return "no error";
}

describe("Mailbox", () => {
  it("carries messages both ways and resumes where it left off when reopened", () => {
    const memory = shared(mailboxBytes(64) + 128);
    const signals = new Int32Array(new SharedArrayBuffer(128));
    const a = new Mailbox(memory, 64, 0, 64, rawSignal(signals, 0), NO_WAIT);
    const b = new Mailbox(memory, 64, 1, 64, rawSignal(signals, 1), NO_WAIT);
    const inbox = new Uint8Array(64);
    a.send(new Uint8Array([1, 2, 3]));
    expect(b.receive(inbox)).toBe(3);
    expect([...inbox.subarray(0, 3)]).toEqual([1, 2, 3]);
    b.send(new Uint8Array([9]));
    expect(a.receive(inbox)).toBe(1);
    a.send(new Uint8Array([5, 5]));
    // A new side on the same memory (a later ping-pong run) continues from its own acknowledgements.
    const b2 = new Mailbox(memory, 64, 1, 64, rawSignal(signals, 1), NO_WAIT);
    expect(b2.receive(inbox)).toBe(2);
    expect(reasonOf(() => b2.receive(inbox))).toBe("timeout");
  });

  it("sends a prefix of a buffer, and keeps message boundaries when lengths change between messages", () => {
    const memory = shared(mailboxBytes(64));
    const signals = new Int32Array(new SharedArrayBuffer(128));
    const a = new Mailbox(memory, 0, 0, 64, rawSignal(signals, 0), NO_WAIT);
    const b = new Mailbox(memory, 0, 1, 64, rawSignal(signals, 1), NO_WAIT);
    const buffer = Uint8Array.from({ length: 100 }, (_, i) => i + 1);
    const inbox = new Uint8Array(64);
    const got: number[][] = [];
    // Lengths repeat and change: the views reused for a repeated length must not leak into the next one.
    for (const n of [5, 5, 3, 64, 5, 0]) {
      buffer[0] = n;
      a.send(buffer, n);
      const length = b.receive(inbox);
      got.push([...inbox.subarray(0, length)]);
      b.send(inbox, length);
      expect(a.receive(new Uint8Array(64))).toBe(length);
    }
    expect(got.map((m) => m.length)).toEqual([5, 5, 3, 64, 5, 0]);
    expect(got[2]).toEqual([3, 2, 3]);
    expect(got[3]).toEqual([64, ...buffer.subarray(1, 64)]);
    expect(reasonOf(() => a.send(buffer, 101))).toBe("invalid-argument");
    expect(reasonOf(() => a.send(buffer, -1))).toBe("invalid-argument");
    expect(reasonOf(() => a.send(buffer, 65))).toBe("invalid-argument");
  });

  it("refuses a length the peer posted beyond the maximum", () => {
    const memory = shared(mailboxBytes(64));
    const signals = new Int32Array(new SharedArrayBuffer(128));
    const b = new Mailbox(memory, 0, 1, 64, rawSignal(signals, 1), NO_WAIT);
    // The peer's slot 0: SEQ = 1, LEN = 10^6.
    Atomics.store(memory.words, 1, 1_000_000);
    Atomics.store(memory.words, 0, 1);
    expect(reasonOf(() => b.receive(new Uint8Array(64)))).toBe("bad-reply");
  });

  it("rejects layouts that do not fit or are misaligned, and oversized messages", () => {
    const memory = shared(1024);
    const signal = rawSignal(new Int32Array(new SharedArrayBuffer(128)), 0);
    expect(() => new Mailbox(memory, 32, 0, 64, signal, NO_WAIT)).toThrow(IsmDriverError);
    expect(() => new Mailbox(memory, 0, 0, 4096, signal, NO_WAIT)).toThrow(IsmDriverError);
    const m = new Mailbox(memory, 0, 0, 64, signal, NO_WAIT);
    expect(reasonOf(() => m.send(new Uint8Array(65)))).toBe("invalid-argument");
  });
});

describe("ByteRing", () => {
  /**
   * Random write and read sizes (up to `maxPiece`) through a ring of `capacity` bytes, one thread: every byte read
   * is the stream pattern at its position. `piece(written, n)` makes the next piece to write.
   */
  const checkStreamThroughRing = (capacity: number, maxPiece: number, numRuns: number, piece: (written: number, n: number) => Uint8Array): void => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: maxPiece }), fc.integer({ min: 1, max: maxPiece })), { minLength: 1, maxLength: 60 }), (steps) => {
        const memory = shared(RING_HEADER_BYTES + capacity);
        const signals = new Int32Array(new SharedArrayBuffer(128));
        const producer = new ByteRing(memory, 0, capacity, "producer", rawSignal(signals, 0), NO_WAIT);
        const consumer = new ByteRing(memory, 0, capacity, "consumer", rawSignal(signals, 1), NO_WAIT);
        let written = 0;
        let read = 0;
        for (const [w, r] of steps) {
          const n = Math.min(w, capacity - (written - read));
          producer.write(piece(written, n));
          written += n;
          if (written === read) continue;
          const target = new Uint8Array(r);
          const got = consumer.read(target);
          expect(got).toBe(Math.min(r, written - read));
          let wrong = 0;
          for (let i = 0; i < got; i++) if (target[i] !== patternByte(read + i)) wrong++;
          expect(wrong).toBe(0);
          read += got;
        }
      }),
      { numRuns },
    );
  };

  it("random write and read sizes across wrap-around deliver the stream intact", () => {
    checkStreamThroughRing(256, 300, 100, (written, n) => Uint8Array.from({ length: n }, (_, i) => patternByte(written + i)));
  });

  it("large pieces (copied natively) across wrap-around deliver the stream intact", () => {
    const capacity = 32 * 1024;
    const source = patternSource(capacity);
    checkStreamThroughRing(capacity, 40_000, 50, (written, n) => patternSlice(source, written, n));
  });

  it("refuses a peer's impossible fill level instead of reading past the ring", () => {
    const memory = shared(RING_HEADER_BYTES + 64);
    const signals = new Int32Array(new SharedArrayBuffer(128));
    const consumer = new ByteRing(memory, 0, 64, "consumer", rawSignal(signals, 1), NO_WAIT);
    Atomics.store(memory.words, 0, 1000); // HEAD 1000 bytes ahead of TAIL 0 in a 64-byte ring
    expect(reasonOf(() => consumer.read(new Uint8Array(64)))).toBe("bad-reply");
    const producer = new ByteRing(memory, 0, 64, "producer", rawSignal(signals, 0), NO_WAIT);
    Atomics.store(memory.words, 16, -5000 | 0); // TAIL far beyond HEAD
    expect(reasonOf(() => producer.write(new Uint8Array(8)))).toBe("bad-reply");
  });

  it("times out on an empty ring, and rejects bad geometry and the wrong role", () => {
    const memory = shared(RING_HEADER_BYTES + 128);
    const signals = new Int32Array(new SharedArrayBuffer(128));
    const consumer = new ByteRing(memory, 0, 128, "consumer", rawSignal(signals, 1), NO_WAIT);
    expect(reasonOf(() => consumer.read(new Uint8Array(8)))).toBe("timeout");
    expect(reasonOf(() => consumer.write(new Uint8Array(8)))).toBe("invalid-argument");
    expect(() => new ByteRing(memory, 0, 96, "producer", rawSignal(signals, 0), NO_WAIT)).toThrow(IsmDriverError);
    expect(() => new ByteRing(memory, 0, 256, "producer", rawSignal(signals, 0), NO_WAIT)).toThrow(IsmDriverError);
    expect(ringCapacityFor(RING_HEADER_BYTES + 1000)).toBe(512);
    expect(ringCapacityFor(RING_HEADER_BYTES + 10)).toBe(0);
  });
});

describe("copyBytes", () => {
  const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

  it("copies like set, into and out of shared memory, natively or not", () => {
    const ring = new Uint8Array(new SharedArrayBuffer(64 * 1024));
    for (const n of [1, 100, NATIVE_COPY_MIN_BYTES - 1, NATIVE_COPY_MIN_BYTES, 20_000]) {
      for (const offset of [0, 3, 8, ring.length - n]) {
        const source = Uint8Array.from({ length: n + 5 }, (_, i) => (i * 7 + n) & 0xff).subarray(5);
        ring.fill(0xaa);
        copyBytes(ring, source, offset);
        expect(same(ring.subarray(offset, offset + n), source)).toBe(true);
        if (offset > 0) expect(ring[offset - 1]).toBe(0xaa);
        if (offset + n < ring.length) expect(ring[offset + n]).toBe(0xaa);
        const target = new Uint8Array(n + 2).fill(0x55);
        copyBytes(target, ring.subarray(offset, offset + n), 1);
        expect(same(target.subarray(1, n + 1), source)).toBe(true);
        expect([target[0], target[n + 1]]).toEqual([0x55, 0x55]);
      }
    }
  });

  it("handles overlapping views of one buffer like set, and refuses a copy that does not fit", () => {
    const bytes = Uint8Array.from({ length: 3 * NATIVE_COPY_MIN_BYTES }, (_, i) => i & 0xff);
    const expected = bytes.slice();
    expected.set(expected.slice(0, 2 * NATIVE_COPY_MIN_BYTES), 100);
    copyBytes(bytes, bytes.subarray(0, 2 * NATIVE_COPY_MIN_BYTES), 100);
    expect(same(bytes, expected)).toBe(true);
    const target = new Uint8Array(new SharedArrayBuffer(NATIVE_COPY_MIN_BYTES * 2));
    expect(() => copyBytes(target, new Uint8Array(NATIVE_COPY_MIN_BYTES * 2), 1)).toThrow(RangeError);
    expect(() => copyBytes(target, new Uint8Array(NATIVE_COPY_MIN_BYTES), -1)).toThrow(RangeError);
    expect(target.every((b) => b === 0)).toBe(true);
  });
});

describe("SpinWaiter", () => {
  it("stretches its recovery spin to the nap slices it measured, within bounds", () => {
    const words = new Int32Array(new SharedArrayBuffer(256));
    const signals = new Int32Array(new SharedArrayBuffer(128));
    const waiter = new SpinWaiter({ spinNanoseconds: 10_000, napNanoseconds: 3_000_000, timeoutMs: 4 });
    expect(waiter.recoverySpinMs).toBe(DEFAULT_RECOVERY_SPIN_NANOSECONDS / 1e6);
    // Nobody publishes: the wait spins, naps for 3 ms (measuring its slices), sleeps and times out.
    expect(reasonOf(() => waiter.wait(words, 0, 0, 16, rawSignal(signals, 0)))).toBe("timeout");
    expect(waiter.recoverySpinMs).toBeGreaterThanOrEqual(DEFAULT_RECOVERY_SPIN_NANOSECONDS / 1e6);
    expect(waiter.recoverySpinMs).toBeLessThanOrEqual(Math.max(DEFAULT_RECOVERY_SPIN_NANOSECONDS / 1e6, MAX_RECOVERY_SPIN_MS));
    expect(new SpinWaiter({ spinNanoseconds: 0 }).recoverySpinMs).toBe(0);
  });
});

describe("stream pattern", () => {
  it("slices start at the stream position's alignment and match the pattern", () => {
    const source = patternSource(1 << 12);
    expect(PATTERN_PERIOD % 8).toBe(0);
    for (const position of [0, 1, 7, 8, 4087, 4088, 1_000_003]) {
      const slice = patternSlice(source, position, 4096);
      expect(slice.byteOffset % 8).toBe(position % 8);
      expect(patternMismatches(slice, slice.length, position)).toBe(0);
      expect(slice[100]).toBe(patternByte(position + 100));
    }
    const shifted = patternSlice(source, 3, 64);
    expect(patternMismatches(shifted, 64, 4)).toBeGreaterThan(0);
  });
});

describe("channels across two threads (raw wake-ups)", () => {
  const WORKER = new URL("../../dist/test/workers/ism-bench-raw.worker.js", import.meta.url);
  const run = (task: object, start?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const w = new Worker(WORKER, { workerData: task });
      w.once("message", resolve);
      w.once("error", reject);
      if (start !== undefined) w.postMessage(start);
    });

  it("a 16 MiB stream arrives intact through a 64 KiB ring, both sides sleeping and waking", async () => {
    const capacity = 64 * 1024;
    const memory = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
    const signals = new SharedArrayBuffer(128);
    const common = { kind: "stream", memory, signals, capacity, bytes: 16 << 20, chunkBytes: 24 * 1024, spinNanoseconds: 0, napNanoseconds: 0, runs: 1 };
    // Stream workers start each run on a message.
    const consumer = run({ ...common, role: "consumer" }, "go");
    const producer = await run({ ...common, role: "producer" }, "go");
    const result = await consumer;
    expect(producer.bytes).toBe(16 << 20);
    expect((result.slept as number) + (producer.slept as number)).toBeGreaterThan(0);
    expect(result).toMatchObject({ bytes: 16 << 20, mismatches: 0 });
  });

  it("ping-pong: every round trip answered, in order", async () => {
    const memory = new SharedArrayBuffer(64 * 1024);
    const signals = new SharedArrayBuffer(128);
    const common = { kind: "pingpong", memory, signals, rounds: 2000, messageBytes: 64, spinNanoseconds: 0, napNanoseconds: 0 };
    const responder = run({ ...common, role: "responder" });
    const initiator = await run({ ...common, role: "initiator" });
    expect(await responder).toMatchObject({ rounds: 2000 });
    expect(initiator.slept).toBeGreaterThan(0);
    expect((initiator.samplesUs as Float64Array).length).toBe(2000);
  });
});
