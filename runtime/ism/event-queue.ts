/**
 * The events waiting for a device's eventq buffers, bounded.
 *
 * Policy (spec/ism-decisions.md, "eventq without buffers"): the draft says nothing about a driver that posts
 * no eventq buffers, but a device must not grow without bound on a guest's behalf, so the queue holds at most
 * `capacity` events.
 * - An UPDATE identical (same offset, same kicking devid) to one already waiting is coalesced: the driver reacts
 *   to "region X was updated by Y", which one pending event already says.
 * - When full, the oldest UPDATE is evicted first (updates are hints a driver must re-read the region after
 *   anyway), then the oldest ATTACH/DETACH (a later one carries a newer `peers` count), and only if the queue
 *   holds nothing but BUFFER_FREE events is the newcomer dropped: BUFFER_FREE is the one event whose loss
 *   leaks memory (the driver would never learn its buffer is free), so it is kept longest.
 * Every coalesce, eviction and drop is counted, per kind.
 *
 * @module
 */
import { IsmError } from "./errors.js";
import type { IsmEvent } from "./events.js";
import { eventSize } from "./wire/events.js";

/** Default {@link IsmEventQueue} capacity. */
export const DEFAULT_EVENT_QUEUE_CAPACITY = 1024;

/** What {@link IsmEventQueue.push} did. */
export type IsmEventQueueOutcome = "queued" | "coalesced" | "evicted-oldest" | "dropped";

/** Counters of {@link IsmEventQueue}. */
export interface IsmEventQueueStats {
  /** Events accepted (including those queued after an eviction). */
  queued: number;
  /** UPDATE events merged into an identical pending one. */
  coalesced: number;
  /** Pending events evicted to make room, by kind. */
  evicted: Record<IsmEvent["kind"], number>;
  /** New events dropped because only BUFFER_FREE events were pending. */
  dropped: number;
  /** Events handed to eventq buffers. */
  delivered: number;
}

function updateKey(offset: number, devid: bigint): string {
  return `${offset}/${devid}`;
}

/** Bounded FIFO of pending events; see the module comment. */
export class IsmEventQueue {
  /** Most events held. */
  readonly capacity: number;
  #events: IsmEvent[] = [];
  /** Pending UPDATE events by {@link updateKey}, for coalescing. */
  readonly #updates = new Set<string>();
  readonly #stats: IsmEventQueueStats = {
    queued: 0,
    coalesced: 0,
    evicted: { update: 0, attach: 0, detach: 0, "buffer-free": 0 },
    dropped: 0,
    delivered: 0,
  };

  /** @throws IsmError `invalid-option` when `capacity` is not an integer in [1, 2^20] */
  constructor(capacity: number = DEFAULT_EVENT_QUEUE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new IsmError("invalid-option", `event queue capacity must be an integer in [1, 2^20], got ${String(capacity)}`);
    }
    this.capacity = capacity;
  }

  /** Number of pending events. */
  get length(): number {
    return this.#events.length;
  }

  /** A snapshot of the counters. */
  get stats(): IsmEventQueueStats {
    return structuredClone(this.#stats);
  }

  /** Pending events, oldest first (a copy). */
  pending(): IsmEvent[] {
    return [...this.#events];
  }

  /** Adds `event` under the policy of the module comment. */
  push(event: IsmEvent): IsmEventQueueOutcome {
    if (event.kind === "update" && this.#updates.has(updateKey(event.offset, event.devid))) {
      this.#stats.coalesced++;
      return "coalesced";
    }
    let outcome: IsmEventQueueOutcome = "queued";
    if (this.#events.length >= this.capacity) {
      const victim = this.#oldestIndex("update") ?? this.#oldestAttachDetach();
      if (victim === undefined) {
        this.#stats.dropped++;
        return "dropped";
      }
      this.#remove(victim);
      outcome = "evicted-oldest";
    }
    this.#events.push(event);
    if (event.kind === "update") this.#updates.add(updateKey(event.offset, event.devid));
    this.#stats.queued++;
    return outcome;
  }

  /** Size in bytes of the oldest pending event, or 0 when none is pending. */
  headSize(): number {
    const head = this.#events[0];
    return head === undefined ? 0 : eventSize(head);
  }

  /**
   * Removes and returns the oldest events whose sizes add up to at most `bytes`, in order, stopping at the
   * first that does not fit (events keep their order; none is split).
   */
  take(bytes: number): IsmEvent[] {
    let used = 0;
    let n = 0;
    while (n < this.#events.length) {
      const size = eventSize(this.#events[n]!);
      if (used + size > bytes) break;
      used += size;
      n++;
    }
    const out = this.#events.splice(0, n);
    for (const e of out) if (e.kind === "update") this.#updates.delete(updateKey(e.offset, e.devid));
    this.#stats.delivered += out.length;
    return out;
  }

  /** Drops every pending event (device reset); not counted as drops. */
  clear(): void {
    this.#events = [];
    this.#updates.clear();
  }

  #oldestIndex(kind: IsmEvent["kind"]): number | undefined {
    const i = this.#events.findIndex((e) => e.kind === kind);
    return i < 0 ? undefined : i;
  }

  #oldestAttachDetach(): number | undefined {
    const i = this.#events.findIndex((e) => e.kind === "attach" || e.kind === "detach");
    return i < 0 ? undefined : i;
  }

  #remove(index: number): void {
    const [e] = this.#events.splice(index, 1);
    if (e === undefined) return;
    if (e.kind === "update") this.#updates.delete(updateKey(e.offset, e.devid));
    this.#stats.evicted[e.kind]++;
  }
}
