/**
 * A single-producer single-consumer byte stream in shared memory.
 *
 * Layout (byte offsets from the ring start; each control word on its own 64-byte line):
 * - `+0`   HEAD (int32: bytes ever written, modulo 2^32; written by the producer)
 * - `+64`  TAIL (int32: bytes ever read, modulo 2^32; written by the consumer)
 * - `+128` PRODUCER_WAITING (the producer sleeps for room)
 * - `+192` CONSUMER_WAITING (the consumer sleeps for data)
 * - `+256` data, `capacity` bytes (a power of two, so positions wrap with a mask)
 *
 * `HEAD - TAIL` (unsigned) is the fill level and never exceeds `capacity`. Data is copied with plain stores
 * (`memcpy`, see copy.ts) and published by the Atomics store of HEAD; space is returned by the Atomics store of
 * TAIL. Only the four control words are touched with Atomics.
 *
 * Wake-up hysteresis: a producer that found the ring full and went to sleep (after spinning and napping, see
 * spin.ts) is woken only once a quarter of the ring is free. Waking it for every chunk freed would make both
 * sides take turns one chunk at a time at the full boundary, paying a wake-up (through the device, for an ISM
 * region) per chunk; waking it at a quarter rather than at half leaves the consumer three quarters of the ring
 * to drain while the wake-up travels, so the producer is usually back before the ring runs dry. No deadlock:
 * the consumer only stops reading when the ring is empty, and an empty ring is more than a quarter free, so a
 * sleeping producer has been woken by then.
 *
 * The peer may be hostile: a fill level above `capacity` is refused (`bad-reply`) instead of read past.
 *
 * @module
 */
import { IsmDriverError } from "../../driver/index.js";
import { copyBytes } from "./copy.js";
import type { PeerSignal } from "./signal.js";
import { SpinWaiter } from "./spin.js";
import type { WaitBudget } from "./spin.js";

const HEAD = 0;
const TAIL = 16;
const PRODUCER_WAITING = 32;
const CONSUMER_WAITING = 48;
/** Bytes of the control block before the data. */
export const RING_HEADER_BYTES = 256;

/** @returns the largest power-of-two capacity a ring in `bytes` bytes can have (0 if none fits) */
export function ringCapacityFor(bytes: number): number {
  const room = bytes - RING_HEADER_BYTES;
  if (room < 64) return 0;
  return 2 ** Math.floor(Math.log2(Math.min(room, 1 << 30)));
}

/** One side of a byte ring; see the module comment. */
export class ByteRing {
  /** Data capacity in bytes. */
  readonly capacity: number;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #data: number;
  readonly #mask: number;
  readonly #base: number;
  readonly #signal: PeerSignal;
  readonly #waiter: SpinWaiter;
  /** My own position (HEAD for the producer, TAIL for the consumer), modulo 2^32. */
  #position: number;
  /** Consumer: fill level seen by the last wait for data. */
  #fill = 0;

  /**
   * @param memory - the shared bytes (`words` views the same buffer from byte 0)
   * @param base - byte offset of the ring, a multiple of 64
   * @param capacity - a power of two >= 64
   * @param role - which side this is
   * @throws IsmDriverError `invalid-argument`
   */
  constructor(
    memory: { readonly bytes: Uint8Array; readonly words: Int32Array },
    base: number,
    capacity: number,
    readonly role: "producer" | "consumer",
    signal: PeerSignal,
    budget: WaitBudget,
  ) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 64 !== 0) throw new IsmDriverError("invalid-argument", `ring base ${String(base)} is not a multiple of 64`);
    if (!Number.isSafeInteger(capacity) || capacity < 64 || capacity > 1 << 30 || (capacity & (capacity - 1)) !== 0) {
      throw new IsmDriverError("invalid-argument", `ring capacity must be a power of two in [64, 2^30], got ${String(capacity)}`);
    }
    const end = base + RING_HEADER_BYTES + capacity;
    if (end > memory.bytes.length || base + RING_HEADER_BYTES > memory.words.length * 4 || memory.bytes.byteOffset !== 0 || memory.words.byteOffset !== 0) {
      throw new IsmDriverError("invalid-argument", `a ring of ${capacity} bytes at ${base} does not fit in ${memory.bytes.length} bytes`);
    }
    this.capacity = capacity;
    this.#words = memory.words;
    this.#bytes = memory.bytes;
    this.#base = base / 4;
    this.#data = base + RING_HEADER_BYTES;
    this.#mask = capacity - 1;
    this.#signal = signal;
    this.#waiter = new SpinWaiter(budget);
    this.#position = Atomics.load(this.#words, this.#base + (role === "producer" ? HEAD : TAIL)) >>> 0;
  }

  /**
   * Writes all of `source`, waiting for room as needed (producer only).
   *
   * @throws IsmDriverError `timeout`, `bad-reply` (the consumer's TAIL is impossible), `invalid-argument`
   */
  write(source: Uint8Array): void {
    if (this.role !== "producer") throw new IsmDriverError("invalid-argument", "only the producer writes");
    const words = this.#words;
    const base = this.#base;
    const capacity = this.capacity;
    let done = 0;
    let tail = Atomics.load(words, base + TAIL);
    while (done < source.length) {
      const used = (this.#position - tail) >>> 0;
      if (used > capacity) throw new IsmDriverError("bad-reply", `ring fill level ${used} exceeds its capacity ${capacity}`);
      if (used === capacity) {
        // Full: wait for the consumer (a sleeping producer is woken once a quarter of the ring is free).
        const seen = tail;
        tail = this.#waiter.wait(words, base + TAIL, seen, base + PRODUCER_WAITING, this.#signal);
        continue;
      }
      const n = Math.min(capacity - used, source.length - done);
      const at = this.#position & this.#mask;
      const first = Math.min(n, capacity - at);
      copyBytes(this.#bytes, source.subarray(done, done + first), this.#data + at);
      if (n > first) copyBytes(this.#bytes, source.subarray(done + first, done + n), this.#data);
      done += n;
      this.#position = (this.#position + n) >>> 0;
      Atomics.store(words, base + HEAD, this.#position | 0);
      if (Atomics.load(words, base + CONSUMER_WAITING) !== 0) this.#signal.wake();
      tail = Atomics.load(words, base + TAIL);
    }
  }

  /**
   * Zero-copy read (consumer only): waits for data, hands the readable bytes to `visit` where they lie in
   * shared memory (one piece, or two when they wrap around the ring's end), then releases them to the producer.
   * `visit` must not keep the views: the producer reuses the space as soon as this returns.
   *
   * @param maxBytes - most bytes to consume
   * @param visit - called with each piece and its stream position relative to the first byte consumed
   * @returns bytes consumed (1 .. maxBytes)
   * @throws IsmDriverError `timeout`, `bad-reply` (impossible HEAD), `invalid-argument`
   */
  readInPlace(maxBytes: number, visit: (piece: Uint8Array, offset: number) => void): number {
    if (this.role !== "consumer") throw new IsmDriverError("invalid-argument", "only the consumer reads");
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new IsmDriverError("invalid-argument", `maxBytes must be a positive integer, got ${String(maxBytes)}`);
    const n = this.#awaitData(maxBytes);
    const at = this.#position & this.#mask;
    const first = Math.min(n, this.capacity - at);
    visit(this.#bytes.subarray(this.#data + at, this.#data + at + first), 0);
    if (n > first) visit(this.#bytes.subarray(this.#data, this.#data + n - first), first);
    this.#release(n);
    return n;
  }

  /**
   * Reads at least one byte into `target` (consumer only), waiting for data as needed.
   *
   * @returns bytes read (1 .. target.length)
   * @throws IsmDriverError `timeout`, `bad-reply` (the producer's HEAD is impossible), `invalid-argument`
   */
  read(target: Uint8Array): number {
    if (this.role !== "consumer") throw new IsmDriverError("invalid-argument", "only the consumer reads");
    if (target.length === 0) return 0;
    const n = this.#awaitData(target.length);
    const at = this.#position & this.#mask;
    const first = Math.min(n, this.capacity - at);
    copyBytes(target, this.#bytes.subarray(this.#data + at, this.#data + at + first));
    if (n > first) copyBytes(target, this.#bytes.subarray(this.#data, this.#data + n - first), first);
    this.#release(n);
    return n;
  }

  /** Waits until data is readable. @returns how many bytes to consume now (1 .. max) */
  #awaitData(max: number): number {
    const words = this.#words;
    const base = this.#base;
    let head = Atomics.load(words, base + HEAD);
    let available = (head - this.#position) >>> 0;
    while (available === 0) {
      head = this.#waiter.wait(words, base + HEAD, head, base + CONSUMER_WAITING, this.#signal);
      available = (head - this.#position) >>> 0;
    }
    if (available > this.capacity) throw new IsmDriverError("bad-reply", `ring fill level ${available} exceeds its capacity ${this.capacity}`);
    this.#fill = available;
    return Math.min(available, max);
  }

  /** Gives `n` consumed bytes back to the producer, waking a sleeping producer once a quarter of the ring is free. */
  #release(n: number): void {
    const words = this.#words;
    const base = this.#base;
    this.#position = (this.#position + n) >>> 0;
    Atomics.store(words, base + TAIL, this.#position | 0);
    // Wake a sleeping producer once a quarter of the ring is free (see the module comment); the fill level is
    // the one seen before this read, minus what was consumed.
    if (Atomics.load(words, base + PRODUCER_WAITING) !== 0 && this.#fill - n <= this.capacity - (this.capacity >>> 2)) this.#signal.wake();
  }
}
