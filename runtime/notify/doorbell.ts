/**
 * Doorbell: the kick/notification primitive for a notify address or a virtqueue, usable within one thread
 * and across worker_threads.
 *
 * A doorbell is one 32-bit counter word in a SharedArrayBuffer.
 * - `ring()` is `Atomics.add(word, 1)` followed by `Atomics.notify(word)`, then calls this object's in-thread
 *   listeners.
 * - `wait(seen)` returns once the counter differs from `seen`: it first polls the word for a spin budget
 *   (iterations or nanoseconds), then sleeps in `Atomics.wait(word, seen, remaining)`.
 * - `waitAsync(seen)` does the same without blocking the thread, through `Atomics.waitAsync`.
 *
 * No lost wake-ups: the caller reads the counter (`load()`), looks for work, and then waits for the counter to
 * move from the value it read. A ring between the read and the wait changes the counter, so the wait returns at
 * once ("not-equal") instead of sleeping; `Atomics.wait` compares and sleeps atomically with respect to
 * `Atomics.notify`. Rings are counted, not queued: several rings between two waits are seen as one change, and
 * `(value - seen) >>> 0` tells how many happened. The counter wraps modulo 2^32; a waiter would confuse the
 * counts only if exactly 2^32 rings happened between its read and its wait.
 *
 * Memory-ordering contract: everything a thread wrote to shared memory before it called `ring()` is visible to
 * a thread after that thread's `wait()` / `waitAsync()` returned `"rung"` for that ring (or after `load()`
 * returned the new value). This holds because `Atomics.add` and `Atomics.load`/`Atomics.wait` are sequentially
 * consistent operations on the same location: the ring synchronizes-with the observing read, which orders the
 * writer's earlier plain writes before the reader's later plain reads (ECMA-262 memory model,
 * happens-before). Data written after `ring()` carries no such guarantee.
 *
 * In-thread listeners (`subscribe`) are called synchronously by `ring()` on this object only; a ring made in
 * another thread reaches this thread through `wait`/`waitAsync`, not through listeners.
 *
 * @module
 */
import { waitAsyncKeepingAlive } from "./atomics-wait-async.js";
import { NotifyError } from "./errors.js";

/** Tag of a serialised {@link Doorbell}. */
export const DOORBELL_DESCRIPTOR_KIND = "virtiokit/doorbell";

/**
 * Default spin budget of {@link Doorbell.wait}, in polls of the counter word: none.
 *
 * Measured with test/bench/kick-latency.mjs and test/bench/region-bandwidth.bench.ts on a 2-core machine shared
 * with other work: when a core is free, spinning ~2000 polls cuts a worker-to-worker round trip from ~14 us to
 * ~0.5 us, but when threads outnumber cores (the usual case for guests modelled as worker_threads) a spinning
 * waiter holds the core its peer needs and round trips become up to 10x slower than sleeping at once. Sleeping
 * at once is the robust default; pass `spinIterations` / `spinNanoseconds` where a core is known to be free.
 */
export const DEFAULT_SPIN_ITERATIONS = 0;

/** How many polls the nanosecond-budget spin makes between two clock reads (reading the clock is slower than a poll). */
const POLLS_PER_CLOCK_READ = 64;

/** Structured-clone-safe form of a {@link Doorbell}: post it to a worker and rebuild with {@link Doorbell.fromDescriptor}. */
export interface DoorbellDescriptor {
  /** Always {@link DOORBELL_DESCRIPTOR_KIND}. */
  readonly kind: typeof DOORBELL_DESCRIPTOR_KIND;
  /** Format version, 1. */
  readonly version: 1;
  /** Buffer holding the counter word. */
  readonly buffer: SharedArrayBuffer;
  /** Index of the counter word, in 32-bit words. */
  readonly index: number;
}

/** Options of {@link Doorbell.wait}. Give at most one of the two spin budgets. */
export interface DoorbellWaitOptions {
  /** Polls of the counter before sleeping; 0 sleeps at once. Default {@link DEFAULT_SPIN_ITERATIONS}. */
  readonly spinIterations?: number;
  /** Alternatively, how long to poll before sleeping, in nanoseconds. */
  readonly spinNanoseconds?: number;
  /** Give up after this many milliseconds (spin included). Default: wait forever. */
  readonly timeoutMs?: number;
}

/** Options of {@link Doorbell.waitAsync}. */
export interface DoorbellAsyncWaitOptions {
  /** Give up after this many milliseconds. Default: wait forever. */
  readonly timeoutMs?: number;
  /**
   * Keep the thread's event loop alive while waiting (default true). Node does not do this by itself for
   * `Atomics.waitAsync`, so without it a worker with nothing else to do exits mid-wait.
   */
  readonly keepAlive?: boolean;
}

/** How a wait ended. */
export type DoorbellWaitOutcome = "rung" | "timed-out";

/** Result of {@link Doorbell.waitAsync}. */
export interface DoorbellAsyncWaitResult {
  /** `"rung"` if the counter moved away from the awaited value, else `"timed-out"`. */
  readonly outcome: DoorbellWaitOutcome;
  /** Counter value when the wait ended. */
  readonly value: number;
}

/** Result of {@link Doorbell.wait}. */
export interface DoorbellWaitResult extends DoorbellAsyncWaitResult {
  /** Polls made in the spin phase (0 when the spin budget is 0). */
  readonly spins: number;
  /** Whether the thread went to `Atomics.wait` (false if the ring was caught while spinning). */
  readonly slept: boolean;
}

/** Listener of in-thread rings: receives the counter value after the ring. */
export type DoorbellListener = (value: number) => void;

/** A counter word that can be rung and waited on from any thread sharing its buffer. */
export class Doorbell {
  /** Buffer holding the counter word. */
  readonly buffer: SharedArrayBuffer;
  /** Index of the counter word, in 32-bit words. */
  readonly index: number;
  readonly #word: Int32Array;
  readonly #listeners = new Set<DoorbellListener>();

  /**
   * @param buffer - shared buffer holding the counter
   * @param index - 32-bit word index of the counter inside `buffer`
   * @throws NotifyError `invalid-descriptor` (not a SharedArrayBuffer) or `invalid-index`
   */
  constructor(buffer: SharedArrayBuffer, index: number) {
    if (Object.prototype.toString.call(buffer) !== "[object SharedArrayBuffer]") {
      throw new NotifyError("invalid-descriptor", "a doorbell needs a SharedArrayBuffer");
    }
    const words = Math.floor(buffer.byteLength / 4);
    if (!Number.isInteger(index) || index < 0 || index >= words) {
      throw new NotifyError("invalid-index", `word index ${String(index)} is outside a buffer of ${words} words`);
    }
    this.buffer = buffer;
    this.index = index;
    this.#word = new Int32Array(buffer, 0, words);
  }

  /** @returns a doorbell on a fresh buffer of its own (one 64-byte cache line) */
  static create(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(64), 0);
  }

  /**
   * Rebuilds a doorbell from a descriptor received from another thread (validated as untrusted input).
   *
   * @throws NotifyError `invalid-descriptor` or `invalid-index`
   */
  static fromDescriptor(descriptor: unknown): Doorbell {
    if (typeof descriptor !== "object" || descriptor === null) {
      throw new NotifyError("invalid-descriptor", "doorbell descriptor must be an object");
    }
    const d = descriptor as Partial<Record<keyof DoorbellDescriptor, unknown>>;
    if (d.kind !== DOORBELL_DESCRIPTOR_KIND || d.version !== 1) {
      throw new NotifyError("invalid-descriptor", "not a version-1 doorbell descriptor");
    }
    if (typeof d.index !== "number") throw new NotifyError("invalid-descriptor", "doorbell descriptor has no numeric index");
    return new Doorbell(d.buffer as SharedArrayBuffer, d.index);
  }

  /** @returns the structured-clone-safe descriptor of this doorbell */
  toDescriptor(): DoorbellDescriptor {
    return { kind: DOORBELL_DESCRIPTOR_KIND, version: 1, buffer: this.buffer, index: this.index };
  }

  /** @returns the current counter value (sequentially consistent read) */
  load(): number {
    return Atomics.load(this.#word, this.index);
  }

  /**
   * Rings: increments the counter, wakes every thread waiting on it, then calls this object's listeners.
   *
   * @returns the counter value after the ring
   * @throws NotifyError `listener-failed` if a listener threw (after the ring and after all listeners ran)
   */
  ring(): number {
    const value = (Atomics.add(this.#word, this.index, 1) + 1) | 0;
    Atomics.notify(this.#word, this.index);
    if (this.#listeners.size > 0) this.#callListeners(value);
    return value;
  }

  /**
   * Calls `listener` after every `ring()` made through this object.
   *
   * @returns a function that removes the listener
   */
  subscribe(listener: DoorbellListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Blocks until the counter differs from `seen` or the timeout expires: spins first, then `Atomics.wait`.
   *
   * @param seen - the counter value the caller last acted on (from `load()` or a previous wait)
   * @throws NotifyError `invalid-option`, or `cannot-block` where the thread may not block
   */
  wait(seen: number, options: DoorbellWaitOptions = {}): DoorbellWaitResult {
    seen = checkSeen(seen);
    const { spinIterations, spinNanoseconds, timeoutMs } = checkWaitOptions(options);
    const word = this.#word;
    const index = this.index;
    // The clock is read only when something is timed: it costs more than a poll of the word.
    const timed = spinNanoseconds !== undefined || timeoutMs !== Number.POSITIVE_INFINITY;
    const start = timed ? performance.now() : 0;
    const deadline = start + timeoutMs;
    let spins = 0;
    let value = Atomics.load(word, index);
    if (spinNanoseconds !== undefined) {
      const budgetMs = Math.min(spinNanoseconds / 1e6, timeoutMs);
      while (value === seen && performance.now() - start < budgetMs) {
        for (let i = 0; i < POLLS_PER_CLOCK_READ && value === seen; i++) {
          spins++;
          value = Atomics.load(word, index);
        }
      }
    } else {
      while (value === seen && spins < spinIterations) {
        spins++;
        value = Atomics.load(word, index);
      }
    }
    let slept = false;
    while (value === seen) {
      const remaining = timed ? deadline - performance.now() : Number.POSITIVE_INFINITY;
      if (remaining <= 0) return { outcome: "timed-out", value, spins, slept };
      slept = true;
      let result: string;
      try {
        result = Atomics.wait(word, index, seen, remaining);
      } catch (cause) {
        throw new NotifyError("cannot-block", "Atomics.wait is not allowed on this thread; use waitAsync", { cause });
      }
      value = Atomics.load(word, index);
      // "ok" without a change means a notify of this word without a ring (e.g. another object's ring-less
      // notify): go back to sleep for the rest of the timeout.
      if (result === "timed-out" && value === seen) return { outcome: "timed-out", value, spins, slept };
    }
    return { outcome: "rung", value, spins, slept };
  }

  /**
   * Waits without blocking the thread until the counter differs from `seen` or the timeout expires.
   *
   * @param seen - the counter value the caller last acted on
   * @throws NotifyError `invalid-option` or `unsupported` (rejected promise)
   */
  async waitAsync(seen: number, options: DoorbellAsyncWaitOptions = {}): Promise<DoorbellAsyncWaitResult> {
    seen = checkSeen(seen);
    const timeoutMs = checkTimeout(options.timeoutMs);
    const keepAlive = options.keepAlive ?? true;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = Atomics.load(this.#word, this.index);
      if (value !== seen) return { outcome: "rung", value };
      const remaining = deadline - performance.now();
      if (remaining <= 0) return { outcome: "timed-out", value };
      const result = await waitAsyncKeepingAlive(this.#word, this.index, seen, remaining, keepAlive);
      if (result === "timed-out") {
        const last = Atomics.load(this.#word, this.index);
        return { outcome: last === seen ? "timed-out" : "rung", value: last };
      }
    }
  }

  #callListeners(value: number): void {
    const errors: unknown[] = [];
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) {
      throw new NotifyError("listener-failed", `${errors.length} doorbell listener(s) threw`, {
        cause: new AggregateError(errors, "doorbell listener errors"),
      });
    }
  }
}

/** @returns the number of rings between two counter values (modulo 2^32) */
export function ringsBetween(seen: number, now: number): number {
  return (now - seen) >>> 0;
}

/** Counter values are int32; a caller's value is normalised the same way so that comparisons can match. */
function checkSeen(seen: unknown): number {
  if (typeof seen !== "number" || !Number.isInteger(seen)) {
    throw new NotifyError("invalid-option", `the awaited counter value must be an integer, got ${String(seen)}`);
  }
  return seen | 0;
}

function checkTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return Number.POSITIVE_INFINITY;
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new NotifyError("invalid-option", `timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

function checkWaitOptions(options: DoorbellWaitOptions): {
  spinIterations: number;
  spinNanoseconds: number | undefined;
  timeoutMs: number;
} {
  const { spinIterations, spinNanoseconds } = options;
  if (spinIterations !== undefined && spinNanoseconds !== undefined) {
    throw new NotifyError("invalid-option", "give either spinIterations or spinNanoseconds, not both");
  }
  for (const [name, v] of [
    ["spinIterations", spinIterations],
    ["spinNanoseconds", spinNanoseconds],
  ] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new NotifyError("invalid-option", `${name} must be a non-negative integer, got ${String(v)}`);
    }
  }
  return {
    spinIterations: spinIterations ?? (spinNanoseconds === undefined ? DEFAULT_SPIN_ITERATIONS : 0),
    spinNanoseconds,
    timeoutMs: checkTimeout(options.timeoutMs),
  };
}
