/**
 * The driver side of the eventq: a fixed set of device-writable buffers kept posted; each used buffer holds
 * whole events back to back (decoded by the generated `decodeIsmEvents`) and is posted again at once.
 *
 * A used buffer that does not decode (a device writing garbage, a trailing fragment) is counted in
 * `undecodableBuffers` and its events are dropped — the buffer is still reposted, so a hostile device cannot
 * starve the driver of event buffers. A broken ring stops the channel (`broken`).
 *
 * @module
 */
import type { GuestMemory } from "../../memory/index.js";
import { createQueueDriver, UsedBuffer } from "../../virtqueue/index.js";
import type { RingAddresses, VirtqueueDriver } from "../../virtqueue/index.js";
import type { DmaPool } from "./dma-pool.js";
import { IsmDriverError } from "./errors.js";
import { decodeIsmEvents } from "./wire.js";
import type { IsmWireEvent } from "./wire.js";

/** Smallest event buffer accepted: the largest event structure (ATTACH/DETACH) is 32 bytes. */
export const MIN_EVENT_BUFFER_BYTES = 32;

/** Driver side of the eventq; see the module comment. */
export class EventChannel {
  readonly #memory: GuestMemory;
  readonly #queue: VirtqueueDriver<number>;
  readonly #bufferBytes: number;
  readonly #options: { features: bigint };
  readonly #notify: () => void;
  readonly #used = new UsedBuffer<number>();
  readonly #buffers: number[];
  #undecodable = 0;
  #emptyBuffers = 0;
  #failure: IsmDriverError | undefined;

  /**
   * Initialises the ring at `ring` and takes `count` buffers of `bufferBytes` from `pool`; call {@link start}
   * to post them.
   *
   * @throws IsmDriverError `invalid-argument` or `out-of-memory`
   */
  constructor(
    memory: GuestMemory,
    ring: RingAddresses,
    pool: DmaPool,
    options: { readonly count: number; readonly bufferBytes: number; readonly features: bigint },
    notify: () => void,
  ) {
    const { count, bufferBytes } = options;
    if (!Number.isInteger(count) || count < 1 || count > ring.size) {
      throw new IsmDriverError("invalid-argument", `event buffer count must be in [1, ${ring.size}], got ${String(count)}`);
    }
    if (!Number.isInteger(bufferBytes) || bufferBytes < MIN_EVENT_BUFFER_BYTES || bufferBytes > 1 << 20) {
      throw new IsmDriverError("invalid-argument", `event buffers must hold ${MIN_EVENT_BUFFER_BYTES}..2^20 bytes, got ${String(bufferBytes)}`);
    }
    this.#memory = memory;
    this.#queue = createQueueDriver<number>(memory, ring);
    this.#bufferBytes = bufferBytes;
    this.#options = { features: options.features };
    this.#notify = notify;
    this.#buffers = Array.from({ length: count }, () => pool.allocate(bufferBytes));
  }

  /** Used buffers whose content did not decode. */
  get undecodableBuffers(): number {
    return this.#undecodable;
  }

  /** Used buffers returned with no event (the device found the buffer too small). */
  get emptyBuffers(): number {
    return this.#emptyBuffers;
  }

  /** Why the channel stopped, if it did. */
  get failure(): IsmDriverError | undefined {
    return this.#failure;
  }

  /** Posts every buffer. */
  start(): void {
    for (const address of this.#buffers) this.#post(address);
    if (this.#queue.needsKick()) this.#notify();
  }

  /**
   * Collects every used buffer, reposts it, and returns the events in arrival order.
   *
   * @returns events decoded (empty when none, or when the channel is broken)
   */
  collect(): IsmWireEvent[] {
    if (this.#failure !== undefined) return [];
    const out: IsmWireEvent[] = [];
    const used = this.#used;
    let reposted = 0;
    for (;;) {
      const r = this.#queue.getUsed(used);
      if (r === "empty") break;
      if (r === "broken") {
        this.#failure = new IsmDriverError("queue-broken", `eventq broken: ${this.#queue.brokenReason ?? "?"} ${this.#queue.brokenDetail}`);
        return out;
      }
      const address = used.token!;
      if (used.length === 0) {
        this.#emptyBuffers++;
      } else {
        try {
          for (const e of decodeIsmEvents(this.#memory.slice(address, used.length), this.#options)) out.push(e);
        } catch {
          this.#undecodable++;
        }
      }
      this.#post(address);
      reposted++;
    }
    if (reposted > 0 && this.#queue.needsKick()) this.#notify();
    return out;
  }

  #post(address: number): void {
    const r = this.#queue.add([], [{ address, length: this.#bufferBytes }], address);
    if (r === "broken") this.#failure = new IsmDriverError("queue-broken", "eventq broken");
    // "no-space" cannot happen: at most `count <= size` single-descriptor buffers are ever outstanding.
  }
}
