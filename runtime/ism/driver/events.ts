/**
 * ISM events as the driver hands them to guest code, and a bounded async-iterable stream of them.
 *
 * Events name a region by its offset in *this* device's memory (the wire carries no token); the driver
 * resolves the offset to the region handle it holds there, so `region` is `undefined` for an event about a
 * region the driver no longer refers to (e.g. an event queued before a local detach).
 *
 * @module
 */
import type { IsmRegionHandle } from "./region-handle.js";

/** A peer kicked the region's notify address (`VIRTIO_ISM_EVENT_UPDATE`). */
export interface IsmUpdateNotice {
  /** Discriminator (the spec's short name). */
  readonly type: "UPDATE";
  /** The region, when the driver still refers to it. */
  readonly region: IsmRegionHandle | undefined;
  /** Offset of the region in this device's memory. */
  readonly offset: number;
  /** devid of the kicker; `undefined` when the UPDATE came through a bound interrupt vector (no payload). */
  readonly from: bigint | undefined;
}

/** A peer attached or detached the region (`VIRTIO_ISM_EVENT_ATTACH` / `VIRTIO_ISM_EVENT_DETACH`). */
export interface IsmPeerNotice {
  /** Discriminator. */
  readonly type: "ATTACH" | "DETACH";
  /** The region, when the driver still refers to it. */
  readonly region: IsmRegionHandle | undefined;
  /** Offset of the region in this device's memory. */
  readonly offset: number;
  /** devid of the device that attached or detached. */
  readonly devid: bigint;
  /** Devices referring to the region after the change, not counting this one. */
  readonly peers: number;
}

/** A buffer the driver lent at alloc is free again (`VIRTIO_ISM_EVENT_BUFFER_FREE`; only without DEV_MEM). */
export interface IsmBufferFreeNotice {
  /** Discriminator. */
  readonly type: "BUFFER_FREE";
  /** Guest-physical address of the buffer (the driver has already returned it to its pool). */
  readonly buffer: number;
  /** Whether the address named a buffer the driver had lent (false: a bogus event, ignored). */
  readonly known: boolean;
}

/** Any event the driver reports. */
export type IsmDriverEvent = IsmUpdateNotice | IsmPeerNotice | IsmBufferFreeNotice;

/** Event names of {@link IsmDriverEvent}. */
export type IsmDriverEventType = IsmDriverEvent["type"];

/**
 * A bounded stream of values consumable with `for await`. When more than `capacity` values wait, the oldest is
 * dropped (and counted): a guest that stops iterating must not make the driver grow without bound.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  readonly #capacity: number;
  readonly #onClose: () => void;
  readonly #values: T[] = [];
  #head = 0;
  #waiter: ((result: IteratorResult<T>) => void) | undefined;
  #closed = false;
  #dropped = 0;

  /**
   * @param capacity - most values held while nobody reads
   * @param onClose - called once when the stream is closed (the producer forgets it)
   */
  constructor(capacity: number, onClose: () => void = () => {}) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    this.#onClose = onClose;
  }

  /** Values dropped because the reader fell behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Values waiting to be read. */
  get length(): number {
    return this.#values.length - this.#head;
  }

  /** Whether the stream is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Adds a value (ignored once closed). */
  push(value: T): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value, done: false });
      return;
    }
    if (this.length >= this.#capacity) {
      this.#head++;
      this.#dropped++;
    }
    this.#values.push(value);
    if (this.#head > 1024 && this.#head * 2 > this.#values.length) {
      this.#values.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** @returns the next value, waiting for one if none is queued */
  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) {
      const value = this.#values[this.#head++]!;
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined) return Promise.reject(new Error("EventStream: next() called while another next() is pending"));
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Closes the stream (a pending `next()` ends with `done`). */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Closes the stream; queued values are discarded. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#values.length = 0;
    this.#head = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
    this.#onClose();
  }

  /** This stream. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
