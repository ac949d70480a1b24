/**
 * The pair of control virtqueues of a vhost-pci-net device (queue 0: control receiveq, device → driver;
 * queue 1: control transmitq, driver → device), one side each.
 *
 * Framing: one message (`struct vhost_pci_ctrl` and its payload, encoded by the generated codec) per
 * buffer. The driver posts device-writable buffers of {@link CONTROL_BUFFER_SIZE} bytes on the receiveq; the
 * device writes one message per buffer and returns it with the message length. The driver sends a message as
 * one device-readable chain on the transmitq; the device reads it and returns the chain with length 0.
 *
 * Device and driver run in the same guest thread here, so neither kicks the other: each polls its side on
 * every turn of the guest loop (the virtqueues still carry every message, with the hostile-proof device side
 * reading what the driver wrote and the device-proof driver side reading what the device wrote).
 *
 * @module
 */
import type { GuestMemory } from "../memory/index.js";
import { DescriptorChain, SplitQueueDevice, SplitQueueDriver, UsedBuffer, gatherReadable, scatterWritable } from "../virtqueue/index.js";
import type { RefusalLog } from "./errors.js";

/** Bytes of each control buffer, and the longest control message either side accepts. */
export const CONTROL_BUFFER_SIZE = 4096;
/** Queue index of the control receiveq. */
export const CONTROL_RECEIVEQ = 0;
/** Queue index of the control transmitq. */
export const CONTROL_TRANSMITQ = 1;
/** Queue index of the receiveq. */
export const RECEIVEQ = 2;

/** Device side of the two control queues. */
export class ControlQueueDevice {
  readonly #memory: GuestMemory;
  readonly #receiveq: SplitQueueDevice;
  readonly #transmitq: SplitQueueDevice;
  readonly #refusals: RefusalLog;
  readonly #interrupt: (queue: number) => void;
  readonly #chain: DescriptorChain;
  readonly #outgoing: Uint8Array[] = [];
  readonly #scratch = new Uint8Array(CONTROL_BUFFER_SIZE);
  #brokenReported = false;

  /**
   * @param memory - the guest's memory
   * @param receiveq - device side of queue 0
   * @param transmitq - device side of queue 1
   * @param refusals - where refused input is recorded
   * @param interrupt - raises queue `index`'s interrupt (when the driver wants one)
   */
  constructor(memory: GuestMemory, receiveq: SplitQueueDevice, transmitq: SplitQueueDevice, refusals: RefusalLog, interrupt: (queue: number) => void) {
    this.#memory = memory;
    this.#receiveq = receiveq;
    this.#transmitq = transmitq;
    this.#refusals = refusals;
    this.#interrupt = interrupt;
    const longest = Math.max(receiveq.maxChainLength, transmitq.maxChainLength);
    this.#chain = new DescriptorChain(longest);
  }

  /** Queues `message` for the driver; it is written into a receiveq buffer by {@link flush}. */
  send(message: Uint8Array): void {
    this.#outgoing.push(message);
  }

  /** Messages queued and not yet delivered (no receive buffer yet). */
  get pendingOutgoing(): number {
    return this.#outgoing.length;
  }

  /** True once either control queue is broken (the driver violated the ring protocol). */
  get broken(): boolean {
    return this.#receiveq.broken || this.#transmitq.broken;
  }

  /** Writes queued messages into the driver's receive buffers. @returns whether anything was delivered. */
  flush(): boolean {
    let delivered = false;
    while (this.#outgoing.length > 0) {
      const r = this.#receiveq.pop(this.#chain);
      if (r !== "popped") {
        if (r === "broken") this.#reportBroken();
        break;
      }
      const message = this.#outgoing.shift()!;
      if (message.length > this.#chain.writableBytes || this.#chain.readableCount !== 0) {
        // The driver's buffer cannot take the message: drop it (never a truncated message) and say why.
        this.#refusals.add(
          "control-message-too-long",
          `a ${message.length}-byte message does not fit a ${this.#chain.writableBytes}-byte receive buffer (${this.#chain.readableCount} readable segments)`,
        );
        this.#receiveq.addUsed(this.#chain.head, 0);
      } else {
        this.#receiveq.addUsed(this.#chain.head, scatterWritable(this.#memory, this.#chain, message));
      }
      delivered = true;
    }
    if (delivered) {
      this.#receiveq.publishUsed();
      if (this.#receiveq.needsInterrupt()) this.#interrupt(CONTROL_RECEIVEQ);
    }
    return delivered;
  }

  /**
   * The next message the driver sent, or undefined when there is none. An oversized message is refused
   * (`control-message-too-long`) and skipped.
   */
  receive(): Uint8Array | undefined {
    for (;;) {
      const r = this.#transmitq.pop(this.#chain);
      if (r !== "popped") {
        if (r === "broken") this.#reportBroken();
        return undefined;
      }
      const chain = this.#chain;
      let message: Uint8Array | undefined;
      if (chain.readableBytes > CONTROL_BUFFER_SIZE) {
        this.#refusals.add("control-message-too-long", `a ${chain.readableBytes}-byte message exceeds ${CONTROL_BUFFER_SIZE} bytes`);
      } else {
        const n = gatherReadable(this.#memory, chain, this.#scratch);
        message = this.#scratch.slice(0, n);
      }
      this.#transmitq.pushUsed(chain.head, 0);
      if (this.#transmitq.needsInterrupt()) this.#interrupt(CONTROL_TRANSMITQ);
      if (message !== undefined) return message;
    }
  }

  #reportBroken(): void {
    if (this.#brokenReported) return;
    this.#brokenReported = true;
    const q = this.#receiveq.broken ? this.#receiveq : this.#transmitq;
    this.#refusals.add("control-queue-broken", `${q.brokenReason ?? "unknown"}: ${q.brokenDetail}`);
  }
}

/** Where a driver keeps a pool of equal buffers. */
export interface BufferPool {
  /** Guest-physical address of buffer 0. */
  readonly address: number;
  /** Number of buffers. */
  readonly count: number;
  /** Bytes of each buffer (buffers are consecutive). */
  readonly bufferSize: number;
}

/** Driver side of the two control queues. */
export class ControlQueueDriver {
  readonly #memory: GuestMemory;
  readonly #receiveq: SplitQueueDriver<number>;
  readonly #transmitq: SplitQueueDriver<number>;
  readonly #rxPool: BufferPool;
  readonly #txPool: BufferPool;
  readonly #freeTx: number[];
  /** What each transmit buffer on the ring carries (a command name), until the device returns it. */
  readonly #txLabels: (string | undefined)[];
  readonly #used = new UsedBuffer<number>();

  /**
   * @param memory - the guest's memory
   * @param receiveq - driver side of queue 0
   * @param transmitq - driver side of queue 1
   * @param rxPool - receive buffers (each at least {@link CONTROL_BUFFER_SIZE})
   * @param txPool - transmit buffers (each at least {@link CONTROL_BUFFER_SIZE})
   */
  constructor(memory: GuestMemory, receiveq: SplitQueueDriver<number>, transmitq: SplitQueueDriver<number>, rxPool: BufferPool, txPool: BufferPool) {
    this.#memory = memory;
    this.#receiveq = receiveq;
    this.#transmitq = transmitq;
    this.#rxPool = rxPool;
    this.#txPool = txPool;
    this.#freeTx = Array.from({ length: txPool.count }, (_, i) => i);
    this.#txLabels = new Array<string | undefined>(txPool.count).fill(undefined);
  }

  /** Labels of the messages sent and not yet consumed by the device, oldest buffer index first. */
  pendingSends(): string[] {
    this.#reclaim();
    const out: string[] = [];
    for (const label of this.#txLabels) if (label !== undefined) out.push(label);
    return out;
  }

  /** Posts every receive buffer (step 2 of the device initialization). */
  fill(): void {
    for (let i = 0; i < this.#rxPool.count; i++) this.#postRx(i);
  }

  /** Why a control queue is broken (the device violated the ring protocol), or null. */
  get brokenReason(): string | null {
    const q = this.#receiveq.broken ? this.#receiveq : this.#transmitq.broken ? this.#transmitq : null;
    return q === null ? null : `${q.brokenReason}: ${q.brokenDetail}`;
  }

  /** The next message from the device (a copy), or undefined. The buffer goes back to the device at once. */
  receive(): Uint8Array | undefined {
    if (this.#receiveq.getUsed(this.#used) !== "used") return undefined;
    const index = this.#used.token!;
    const message = new Uint8Array(this.#used.length);
    this.#memory.read(this.#rxPool.address + index * this.#rxPool.bufferSize, message);
    this.#postRx(index);
    return message;
  }

  /**
   * Sends `message` to the device. @returns false when no transmit buffer is free (try again after the
   * device consumed earlier messages) or the queue is broken.
   */
  send(message: Uint8Array, label = "message"): boolean {
    this.#reclaim();
    const index = this.#freeTx.pop();
    if (index === undefined) return false;
    if (message.length > this.#txPool.bufferSize) {
      this.#freeTx.push(index);
      return false;
    }
    const address = this.#txPool.address + index * this.#txPool.bufferSize;
    this.#memory.write(address, message);
    if (this.#transmitq.add([{ address, length: Math.max(1, message.length) }], [], index) !== "added") {
      this.#freeTx.push(index);
      return false;
    }
    this.#txLabels[index] = label;
    return true;
  }

  #postRx(index: number): void {
    const address = this.#rxPool.address + index * this.#rxPool.bufferSize;
    this.#receiveq.add([], [{ address, length: this.#rxPool.bufferSize }], index);
  }

  #reclaim(): void {
    while (this.#transmitq.getUsed(this.#used) === "used") {
      this.#txLabels[this.#used.token!] = undefined;
      this.#freeTx.push(this.#used.token!);
    }
  }
}
