/**
 * The driver side of the controlq: each request is one chain — a device-readable buffer holding the request
 * (`class`, `command`, data; encoded by the generated `encodeIsmRequestInto`) and a device-writable buffer for
 * `ack` + reply (decoded by the generated `decodeIsmReply`). Several requests may be in flight; each completes
 * its own promise when its chain comes back, in whatever order the device returns them.
 *
 * Nothing the device writes is trusted: the split-ring driver checks used ids and lengths (a violation breaks
 * the queue and fails every pending request with `queue-broken`); a used length of 0 (no ack) or an undecodable
 * reply fails that request with `bad-reply`.
 *
 * When the ring has no free descriptor, requests wait in a FIFO backlog and are added as chains complete.
 *
 * @module
 */
import type { GuestMemory } from "../../memory/index.js";
import { createQueueDriver, UsedBuffer } from "../../virtqueue/index.js";
import type { RingAddresses, VirtqueueDriver } from "../../virtqueue/index.js";
import type { DmaPool } from "./dma-pool.js";
import { IsmDriverError } from "./errors.js";
import { ACK_BYTES, decodeIsmReply, encodeIsmRequestInto } from "./wire.js";
import type { IsmCommandName, IsmReply, IsmRequestInputs } from "./wire.js";

/** Longest request the ISM spec defines is 26 bytes; the scratch buffer leaves room. */
const SCRATCH_BYTES = 64;

/** The reply part of a buffer starts 8-aligned after the request, so its le64 fields are naturally aligned. */
function replyOffsetOf(requestBytes: number): number {
  return Math.ceil(requestBytes / 8) * 8;
}

/** One request in flight or waiting for ring space. */
interface PendingControl {
  readonly command: IsmCommandName;
  /** Request bytes (encoded once, written when the chain is added). */
  readonly request: Uint8Array;
  /** Bytes the device may write: ack + reply room. */
  readonly writable: number;
  /** Pool buffer holding request then reply (0 until the chain is added). */
  buffer: number;
  readonly resolve: (reply: IsmReply<IsmCommandName>) => void;
  readonly reject: (error: IsmDriverError) => void;
}

/** Driver side of the controlq; see the module comment. */
export class ControlChannel {
  readonly #memory: GuestMemory;
  readonly #queue: VirtqueueDriver<PendingControl>;
  readonly #pool: DmaPool;
  readonly #options: { features: bigint };
  readonly #notify: () => void;
  readonly #backlog: PendingControl[] = [];
  /** Requests whose chains are on the ring (rejected by {@link fail}). */
  #outstanding = new Set<PendingControl>();
  readonly #used = new UsedBuffer<PendingControl>();
  readonly #scratch = new Uint8Array(SCRATCH_BYTES);
  #failure: IsmDriverError | undefined;
  #completed = 0;

  /**
   * @param memory - guest memory holding the ring and buffers
   * @param ring - the controlq's ring addresses (the ring is initialised here)
   * @param pool - where request/reply buffers come from
   * @param features - negotiated features (decide the `buffer` fields of alloc and attach)
   * @param notify - available-buffer notification of the controlq
   */
  constructor(memory: GuestMemory, ring: RingAddresses, pool: DmaPool, features: bigint, notify: () => void) {
    this.#memory = memory;
    this.#queue = createQueueDriver<PendingControl>(memory, ring);
    this.#pool = pool;
    this.#options = { features };
    this.#notify = notify;
  }

  /** Requests added and not yet answered, plus those waiting for ring space. */
  get pending(): number {
    return this.#queue.outstanding + this.#backlog.length;
  }

  /** Requests answered so far. */
  get completed(): number {
    return this.#completed;
  }

  /** Why the channel stopped (queue broken or driver closed), if it did. */
  get failure(): IsmDriverError | undefined {
    return this.#failure;
  }

  /**
   * Sends `request` and resolves with the decoded ack and reply (any ack: the caller decides what a refusal
   * means).
   *
   * @param replyBytes - room for the reply after the ack
   * @throws IsmDriverError (rejected promise) `invalid-argument` when the request cannot be encoded, `bad-reply`,
   *   `queue-broken`, `out-of-memory` or `closed`
   */
  submit<K extends IsmCommandName>(command: K, request: IsmRequestInputs[K], replyBytes: number): Promise<IsmReply<K>> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    let length: number;
    try {
      // The scratch buffer is larger than any request the spec defines; a longer one fails the encoder's own
      // bounds check.
      length = encodeIsmRequestInto(command, request, this.#scratch, 0, this.#options);
    } catch (cause) {
      return Promise.reject(new IsmDriverError("invalid-argument", `cannot encode ${command}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
    }
    const encoded = this.#scratch.slice(0, length);
    return new Promise<IsmReply<K>>((resolve, reject) => {
      const pending: PendingControl = {
        command,
        request: encoded,
        writable: ACK_BYTES + replyBytes,
        buffer: 0,
        resolve: resolve as (reply: IsmReply<IsmCommandName>) => void,
        reject,
      };
      if (this.#backlog.length > 0 || !this.#add(pending)) this.#backlog.push(pending);
    });
  }

  /**
   * Completes every request the device has answered, then moves backlog requests into freed ring space.
   *
   * @returns requests completed
   */
  collect(): number {
    let done = 0;
    const used = this.#used;
    for (;;) {
      const r = this.#queue.getUsed(used);
      if (r === "empty") break;
      if (r === "broken") {
        this.fail(new IsmDriverError("queue-broken", `controlq broken: ${this.#queue.brokenReason ?? "?"} ${this.#queue.brokenDetail}`));
        return done;
      }
      const pending = used.token!;
      used.token = undefined;
      done++;
      this.#completed++;
      this.#complete(pending, used.length);
    }
    while (this.#backlog.length > 0 && this.#failure === undefined) {
      if (!this.#add(this.#backlog[0]!)) break;
      this.#backlog.shift();
    }
    return done;
  }

  /** Stops the channel: every pending and later request is rejected with `error`. */
  fail(error: IsmDriverError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const p of this.#backlog.splice(0)) p.reject(error);
    // Chains still on the ring are abandoned with their buffers: the device may yet write into them, so the
    // memory is not returned to the pool.
    const rejectOutstanding = this.#outstanding;
    this.#outstanding = new Set();
    for (const p of rejectOutstanding) p.reject(error);
  }

  /** @returns false when the ring has no room (nothing changed) */
  #add(pending: PendingControl): boolean {
    if (this.#failure !== undefined) {
      pending.reject(this.#failure);
      return true;
    }
    if (this.#queue.numFree < 2) return false;
    const replyOffset = replyOffsetOf(pending.request.length);
    let buffer: number;
    try {
      buffer = this.#pool.allocate(replyOffset + pending.writable);
    } catch (error) {
      pending.reject(error instanceof IsmDriverError ? error : new IsmDriverError("out-of-memory", String(error)));
      return true;
    }
    pending.buffer = buffer;
    this.#memory.write(buffer, pending.request);
    const result = this.#queue.add(
      [{ address: buffer, length: pending.request.length }],
      [{ address: buffer + replyOffset, length: pending.writable }],
      pending,
    );
    if (result !== "added") {
      this.#pool.free(buffer);
      if (result === "broken") {
        pending.reject(new IsmDriverError("queue-broken", "controlq broken"));
        return true;
      }
      return false;
    }
    this.#outstanding.add(pending);
    if (this.#queue.needsKick()) this.#notify();
    return true;
  }

  #complete(pending: PendingControl, usedLength: number): void {
    this.#outstanding.delete(pending);
    const replyAddress = pending.buffer + replyOffsetOf(pending.request.length);
    const bytes = usedLength > 0 ? this.#memory.slice(replyAddress, usedLength) : new Uint8Array(0);
    this.#pool.free(pending.buffer);
    if (usedLength === 0) {
      pending.reject(new IsmDriverError("bad-reply", `${pending.command}: the device returned the chain without an ack (used length 0)`));
      return;
    }
    try {
      pending.resolve(decodeIsmReply(pending.command, bytes, 0, this.#options));
    } catch (cause) {
      pending.reject(new IsmDriverError("bad-reply", `${pending.command}: undecodable reply: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
    }
  }
}
