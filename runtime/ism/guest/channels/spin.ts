/**
 * Spin-then-sleep waiting on a shared word, shared by the channels.
 *
 * On a machine with a free core, polling a word for a few microseconds catches the peer's publication without
 * a wake-up (~1.5 µs round trips instead of tens or hundreds of µs); when threads outnumber cores, a long spin
 * steals the peer's core, so the budget is bounded and the side sleeps after it.
 *
 * Recovery spin: a wake-up through an ISM device costs a hop through the host thread, which can take longer
 * than the normal spin budget. Once one side sleeps, the other side's spin would then expire while the first
 * is being woken, and both would keep sleeping every round ("sleep cascade"). So the first wait after a wait
 * that slept spins for the longer `recoverySpinNanoseconds`: the peer was just active, its next publication
 * comes about one wake-up latency later, and catching it puts both sides back in spinning mode.
 *
 * Nap phase: between spinning and sleeping, the waiter polls the word with short timed `Atomics.wait`s on the
 * word itself (nobody notifies it, so each one is a timed nap that gives the core away and then re-checks).
 * On a 2-core machine two busy guests leave no core for the host thread that turns a kick into an interrupt,
 * so a wake-up through the device can take milliseconds exactly when both are streaming; a napping side needs
 * no wake-up at all — it sees the publication at its next check — and its core is free for the host meanwhile.
 * Only after the nap budget does the side announce that it sleeps and wait for a kick.
 *
 * Recovery spin after a nap, sized by the measured nap slice: a nap slice asks the kernel for 50 µs but, on a VM
 * whose idle vCPU halts, it really lasts the timer slack plus the vCPU's wake-up — 100-600 µs measured on the
 * 2-core benchmark VM while the other vCPU streams. A recovery spin shorter than that lets a "nap cascade" run:
 * side A naps, B finishes its share (a 1 MiB ring is filled or drained in ~50-100 µs) and waits, its spin expires
 * while A is still inside its slice, so B naps too; A wakes, does its share, spins, and naps while B is inside its
 * slice; and so on, each side moving one ring's worth per nap slice (measured: both sides napping ~70% of an
 * 830 ms, 1.3 GB/s stream, instead of ~7 GB/s). So each waiter keeps an estimate of how long its nap slices
 * really take, and its recovery spin lasts at least {@link RECOVERY_SLICES} of them (capped at
 * {@link MAX_RECOVERY_SPIN_MS}): the peer's slice — as long as ours on the same machine — ends inside it.
 *
 * @module
 */
import { IsmDriverError } from "../../driver/index.js";
import type { PeerSignal } from "./signal.js";

/** Polls between two clock reads (reading the clock costs more than a poll). */
const POLLS_PER_CLOCK_READ = 64;

/** Default recovery spin (see the module comment): above the host hop's typical latency on a busy machine. */
export const DEFAULT_RECOVERY_SPIN_NANOSECONDS = 250_000;

/** Default nap phase (see the module comment). */
export const DEFAULT_NAP_NANOSECONDS = 2_000_000;

/** Length of one nap: short enough to notice the peer soon, long enough to give the core away. */
const NAP_SLICE_MS = 0.05;

/** A recovery spin lasts at least this many nap slices as they really last here (see the module comment). */
export const RECOVERY_SLICES = 3;

/** Upper bound of the measured-slice part of the recovery spin, in ms (a stalled machine must not make it spin for long). */
export const MAX_RECOVERY_SPIN_MS = 1.5;

/** A measured slice counts at most this long (a nap that lasted a descheduling must not inflate the estimate). */
const MAX_SLICE_SAMPLE_MS = 1;

/** How often waits ended while spinning, napping, or sleeping (this thread's totals). */
export interface WaitCounters {
  /** Waits that found the change while spinning. */
  spun: number;
  /** Waits that found the change while napping (no wake-up needed). */
  napped: number;
  /** Waits that slept (each costs a wake-up by the peer). */
  slept: number;
}

/** This thread's wait counters (plain counters: each thread has its own module instance). */
export const waitCounters: WaitCounters = { spun: 0, napped: 0, slept: 0 };

/** How long to spin and how long to wait at most. */
export interface WaitBudget {
  /** Nanoseconds of polling before sleeping (0: sleep at once, and no recovery spin either). */
  readonly spinNanoseconds: number;
  /**
   * Polling budget of the first wait after one that napped or slept (default {@link DEFAULT_RECOVERY_SPIN_NANOSECONDS},
   * at least `spinNanoseconds`; stretched to {@link RECOVERY_SLICES} measured nap slices, see the module comment).
   */
  readonly recoverySpinNanoseconds?: number;
  /** Nap phase after the spin (default {@link DEFAULT_NAP_NANOSECONDS}; 0: sleep right after the spin). */
  readonly napNanoseconds?: number;
  /** Milliseconds before giving up with a `timeout` error (default: forever). */
  readonly timeoutMs?: number;
}

/** One channel side's waiting: the budget plus whether its last wait slept; see the module comment. */
export class SpinWaiter {
  readonly #spinMs: number;
  readonly #recoveryMs: number;
  readonly #napMs: number;
  readonly #timeoutMs: number;
  #sleptLast = false;
  /** How long a nap slice really lasts here (moving average of the slices measured, starting at the nominal one). */
  #sliceMs = NAP_SLICE_MS;

  /** @throws IsmDriverError `invalid-argument` for a negative or non-numeric budget */
  constructor(budget: WaitBudget) {
    const spin = budget.spinNanoseconds;
    const recovery = budget.recoverySpinNanoseconds ?? DEFAULT_RECOVERY_SPIN_NANOSECONDS;
    const nap = budget.napNanoseconds ?? DEFAULT_NAP_NANOSECONDS;
    const timeout = budget.timeoutMs ?? Number.POSITIVE_INFINITY;
    if (!(spin >= 0) || !(recovery >= 0) || !(nap >= 0) || !(timeout >= 0)) {
      throw new IsmDriverError("invalid-argument", "spin and nap budgets and the timeout must be non-negative numbers");
    }
    this.#spinMs = spin / 1e6;
    this.#napMs = nap / 1e6;
    this.#recoveryMs = spin === 0 ? 0 : Math.max(spin, recovery) / 1e6;
    this.#timeoutMs = timeout;
  }

  /** Milliseconds the next wait after one that napped or slept will poll: the configured recovery spin, stretched to cover the measured nap slices. */
  get recoverySpinMs(): number {
    if (this.#recoveryMs === 0) return 0;
    return Math.max(this.#recoveryMs, Math.min(MAX_RECOVERY_SPIN_MS, RECOVERY_SLICES * this.#sliceMs));
  }

  /**
   * Waits until `words[index] !== seen`: spins for the budget, then announces sleep in `words[flag]` and sleeps
   * on `signal` until the peer wakes it (see signal.ts for why no wake-up is lost).
   *
   * @returns the new value of `words[index]`
   * @throws IsmDriverError `timeout`
   */
  wait(words: Int32Array, index: number, seen: number, flag: number, signal: PeerSignal): number {
    let value = Atomics.load(words, index);
    if (value !== seen) return value;
    const budgetMs = this.#sleptLast ? this.recoverySpinMs : this.#spinMs;
    if (budgetMs > 0) {
      const start = performance.now();
      do {
        for (let i = 0; i < POLLS_PER_CLOCK_READ; i++) {
          value = Atomics.load(words, index);
          if (value !== seen) {
            waitCounters.spun++;
            this.#sleptLast = false;
            return value;
          }
        }
      } while (performance.now() - start < budgetMs);
    }
    const timeoutMs = this.#timeoutMs;
    if (this.#napMs > 0) {
      let now = performance.now();
      const napEnd = now + Math.min(this.#napMs, timeoutMs);
      while (now < napEnd) {
        const slept = Atomics.wait(words, index, seen, NAP_SLICE_MS) === "timed-out";
        const after = performance.now();
        // Only whole slices measure the slice length ("not-equal": the peer published just before it began).
        if (slept) this.#sliceMs += (Math.min(after - now, MAX_SLICE_SAMPLE_MS) - this.#sliceMs) / 4;
        now = after;
        value = Atomics.load(words, index);
        if (value !== seen) {
          waitCounters.napped++;
          // A nap, like a sleep, means the peer now answers about one nap slice late: spin the recovery
          // budget next time so that both sides return to spinning instead of napping every round (see the
          // module comment on nap cascades).
          this.#sleptLast = true;
          return value;
        }
      }
    }
    waitCounters.slept++;
    this.#sleptLast = true;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const c = signal.counter();
      Atomics.store(words, flag, 1);
      value = Atomics.load(words, index);
      if (value !== seen) break;
      const remaining = timeoutMs === Number.POSITIVE_INFINITY ? timeoutMs : deadline - performance.now();
      if (remaining <= 0 || !signal.sleep(c, remaining)) {
        value = Atomics.load(words, index);
        if (value !== seen) break;
        Atomics.store(words, flag, 0);
        throw new IsmDriverError("timeout", `peer did not publish within ${timeoutMs} ms`);
      }
    }
    Atomics.store(words, flag, 0);
    return value;
  }
}
