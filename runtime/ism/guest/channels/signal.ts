/**
 * How a side of a shared-memory channel sleeps and wakes its peer, independent of the memory the channel
 * lives in: through an ISM region (a kick of the region's notify address, delivered to the peer as an UPDATE
 * on the vector it bound) or, for baselines, through a raw Atomics word per side.
 *
 * Protocol (no lost wake-ups): a side that finds nothing to do reads `counter()`, announces that it sleeps
 * (a flag word in the channel), re-checks the channel, and only then `sleep(seen)`; the peer publishes, then
 * reads the flag and `wake()`s if it is set. With sequentially consistent Atomics on both words, either the
 * sleeper sees the publication or the publisher sees the flag.
 *
 * @module
 */
import { IsmDriverError } from "../../driver/index.js";
import type { IsmRegionHandle } from "../../driver/index.js";

/** A channel side's wake-up mechanism; see the module comment. */
export interface PeerSignal {
  /** @returns the counter of this side's wake-ups (read it before announcing sleep) */
  counter(): number;
  /**
   * Sleeps until the counter moves away from `seen`.
   *
   * @returns false when `timeoutMs` passed first
   */
  sleep(seen: number, timeoutMs: number): boolean;
  /** Wakes the peer. */
  wake(): void;
}

/**
 * The ISM signal of a region whose UPDATE events are bound to an interrupt vector on this side: waking the
 * peer is a kick, sleeping is a wait on the bound vector.
 *
 * @throws IsmDriverError `invalid-argument` when the region has no vector bound
 */
export function regionSignal(region: IsmRegionHandle): PeerSignal {
  if (region.vector === undefined) throw new IsmDriverError("invalid-argument", `region ${region.token} needs a bound vector (bindVector) to be used as a signal`);
  return {
    counter: () => region.kickCounter(),
    sleep: (seen, timeoutMs) => region.waitForKick(seen, { timeoutMs }).outcome === "rung",
    wake: () => region.kick(),
  };
}

/**
 * A raw Atomics signal (the baseline): side `me` sleeps on word `me * 16` of `words`, and wakes the peer by
 * incrementing and notifying word `(1 - me) * 16` (one cache line per side).
 */
export function rawSignal(words: Int32Array, me: 0 | 1): PeerSignal {
  const mine = me * 16;
  const peer = (1 - me) * 16;
  if (words.length < 32) throw new IsmDriverError("invalid-argument", "a raw signal needs 32 words");
  return {
    counter: () => Atomics.load(words, mine),
    sleep: (seen, timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      while (Atomics.load(words, mine) === seen) {
        const remaining = timeoutMs === Number.POSITIVE_INFINITY ? timeoutMs : deadline - performance.now();
        if (remaining <= 0 || Atomics.wait(words, mine, seen, remaining) === "timed-out") return Atomics.load(words, mine) !== seen;
      }
      return true;
    },
    wake: () => {
      Atomics.add(words, peer, 1);
      Atomics.notify(words, peer);
    },
  };
}
