/**
 * `IsmDevice`: the ISM device model on real split virtqueues — the glue between an `IsmDeviceCore` and a
 * guest's memory, its controlq and eventq, its notify area and its interrupt vectors.
 *
 * - controlq (queue 0): each available chain is one `struct virtio_ism_ctrl`; its device-readable bytes are
 *   the request, its device-writable bytes receive `ack` then the reply. The used length is 1 + reply bytes.
 *   A chain with no writable byte cannot carry an ack, so it is returned (used length 0) without being
 *   executed — executing it could, for example, allocate a region whose token the driver never learns.
 *   At most `ISM_MAX_REQUEST_SIZE + 1` readable bytes are copied: anything longer is malformed anyway.
 * - eventq (queue 1): while events are pending, each available buffer is filled with as many whole events as
 *   fit, back to back (see wire/events.ts); the used length says where the last ends. A buffer too small for
 *   the oldest pending event is returned with used length 0 and processing stops until the next call (the
 *   event stays queued).
 * - notify area (`VIRTIO_ISM_SHM_ID_NOTIFY`): a `DoorbellBank` with one doorbell per chunk slot, wrapped in a
 *   `NotifyArea` of `notify_size`-byte addresses (hence at most `MAX_BANK_DOORBELLS` chunk slots). Only the
 *   doorbells of attached regions' first slots are watched; a ring elsewhere is ignored.
 * - interrupts: an `InterruptTable`; the controlq and eventq signal their vectors when the driver asks
 *   (`needsInterrupt`), and UPDATE events bound with `EVENT_VECTOR_SET` raise their vector directly.
 *
 * - a broken queue (the driver broke the ring protocol: a loop, an index running away, a buffer outside its
 *   memory) is the device's error state: the queue stops, DEVICE_NEEDS_RESET is set in the device status and a
 *   configuration change interrupt is sent — one path for both queues, as QEMU's `virtio_error`. Nothing of the
 *   broken queue is executed any more; the notify area stops too. The other guests of the domain go on.
 *
 * The glue is poll-driven and single-threaded: call {@link IsmDevice.poll} (or the three steps) when the driver
 * kicked a queue or rang a notify address. A device reset is `core.reset()` followed by a new `IsmDevice` over
 * the rings the driver sets up again.
 *
 * @module
 */
import type { GuestMemory } from "../memory/index.js";
import { DoorbellBank, InterruptTable, MAX_BANK_DOORBELLS, NotifyArea } from "../notify/index.js";
import { createQueueDevice, gatherReadable, scatterWritable } from "../virtqueue/index.js";
import type { DescriptorChain, QueueDeviceOptions, RingAddresses, VirtqueueDevice } from "../virtqueue/index.js";
import { ISM_MAX_REQUEST_SIZE } from "./constants.js";
import type { IsmDeviceCore } from "./core.js";
import { IsmDeviceStatus } from "./device-status.js";
import type { IsmDomain } from "./domain.js";
import { IsmError } from "./errors.js";
import { encodeEvents } from "./wire/events.js";

/** Default MSI-X vector of the controlq. */
export const ISM_CONTROLQ_VECTOR = 0;
/** Default MSI-X vector of the eventq. */
export const ISM_EVENTQ_VECTOR = 1;

/** How {@link IsmDevice} reaches its guest. */
export interface IsmDeviceTransport {
  /** The guest's memory (rings and buffers live there). */
  readonly memory: GuestMemory;
  /** Ring addresses of the controlq. */
  readonly controlq: RingAddresses;
  /** Ring addresses of the eventq. */
  readonly eventq: RingAddresses;
  /** Negotiated ring features (event index, indirect descriptors) for both queues. */
  readonly queueOptions?: QueueDeviceOptions;
  /** Interrupt table (default: a new one with `core.vectorCount` vectors). */
  readonly interrupts?: InterruptTable;
  /** Vector of the controlq (default {@link ISM_CONTROLQ_VECTOR}). */
  readonly controlVector?: number;
  /** Vector of the eventq (default {@link ISM_EVENTQ_VECTOR}). */
  readonly eventVector?: number;
  /** Where DEVICE_NEEDS_RESET is set (default: a register of this device's own). */
  readonly status?: IsmDeviceStatus;
  /** Interrupts the driver for a configuration change (after the status bit is set). */
  readonly raiseConfigChange?: () => void;
}

/** Why a device needs a reset: which queue broke, and the virtqueue's reason. */
export interface IsmNeedsResetCause {
  /** `controlq` or `eventq`. */
  readonly queue: "controlq" | "eventq";
  /** The virtqueue's broken reason (e.g. `chain-too-long`). */
  readonly reason: string;
  /** Specifics (indices, values). */
  readonly detail: string;
}

/** What one {@link IsmDevice.poll} did. */
export interface IsmPollResult {
  /** Control chains completed. */
  readonly control: number;
  /** Notify-address kicks handled. */
  readonly kicks: number;
  /** Eventq buffers completed. */
  readonly eventBuffers: number;
}

/** Counters of the glue. */
export interface IsmDeviceGlueStats {
  /** Control chains returned unexecuted because they had no writable byte. */
  readonly unackableChains: number;
  /** Eventq buffers returned empty because the oldest pending event did not fit. */
  readonly undersizedEventBuffers: number;
}

/** The ISM device model on virtqueues; see the module comment. */
export class IsmDevice {
  /** The command core. */
  readonly core: IsmDeviceCore;
  /** The domain the core belongs to (events are delivered through it). */
  readonly domain: IsmDomain;
  /** Device side of the controlq. */
  readonly controlq: VirtqueueDevice;
  /** Device side of the eventq. */
  readonly eventq: VirtqueueDevice;
  /** The notify area the driver kicks. */
  readonly notifyArea: NotifyArea;
  /** Interrupt vectors. */
  readonly interrupts: InterruptTable;
  /** Vector of the controlq. */
  readonly controlVector: number;
  /** Vector of the eventq. */
  readonly eventVector: number;
  /** The device-set status bits (DEVICE_NEEDS_RESET). */
  readonly status: IsmDeviceStatus;
  readonly #raiseConfigChange: (() => void) | undefined;
  #needsReset: IsmNeedsResetCause | undefined;
  readonly #memory: GuestMemory;
  readonly #controlChain: DescriptorChain;
  readonly #eventChain: DescriptorChain;
  readonly #request = new Uint8Array(ISM_MAX_REQUEST_SIZE + 1);
  /** Doorbell counter last seen for each watched notify address (keyed by chunk slot). */
  readonly #seen = new Map<number, number>();
  #unackableChains = 0;
  #undersizedEventBuffers = 0;

  /**
   * @throws IsmError `foreign-device` (core not of `domain`), `invalid-geometry` (more chunk slots than a
   *   doorbell bank holds) or `invalid-option` (interrupt table too small, vector out of range)
   */
  constructor(domain: IsmDomain, core: IsmDeviceCore, transport: IsmDeviceTransport) {
    if (domain.device(core.devid) !== core) throw new IsmError("foreign-device", `device ${core.devid} is not part of this domain`);
    const slots = core.memory.chunkCount;
    if (slots > MAX_BANK_DOORBELLS) {
      throw new IsmError("invalid-geometry", `the notify area has one doorbell per chunk slot: at most ${MAX_BANK_DOORBELLS} slots, got ${slots}`);
    }
    const interrupts = transport.interrupts ?? new InterruptTable(core.vectorCount);
    if (interrupts.vectorCount < core.vectorCount) {
      throw new IsmError("invalid-option", `interrupt table has ${interrupts.vectorCount} vectors, the device accepts ${core.vectorCount}`);
    }
    const controlVector = transport.controlVector ?? ISM_CONTROLQ_VECTOR;
    const eventVector = transport.eventVector ?? ISM_EVENTQ_VECTOR;
    for (const v of [controlVector, eventVector]) {
      if (!Number.isInteger(v) || v < 0 || v >= interrupts.vectorCount) throw new IsmError("invalid-option", `queue vector ${String(v)} out of range`);
    }
    this.domain = domain;
    this.core = core;
    this.#memory = transport.memory;
    this.controlq = createQueueDevice(transport.memory, transport.controlq, transport.queueOptions);
    this.eventq = createQueueDevice(transport.memory, transport.eventq, transport.queueOptions);
    this.#controlChain = this.controlq.createChain();
    this.#eventChain = this.eventq.createChain();
    this.notifyArea = new NotifyArea(new DoorbellBank(slots), core.config.notifySize);
    this.interrupts = interrupts;
    this.controlVector = controlVector;
    this.eventVector = eventVector;
    this.status = transport.status ?? new IsmDeviceStatus();
    this.#raiseConfigChange = transport.raiseConfigChange;
    core.interruptSink = (vector) => {
      interrupts.raise(vector);
    };
    const memory = transport.memory;
    core.bufferValidator = (address, length) =>
      address + length <= BigInt(Number.MAX_SAFE_INTEGER) && memory.isValidRange(Number(address), Number(length));
    this.#syncWatchedAddresses();
  }

  /** Counters. */
  get stats(): IsmDeviceGlueStats {
    return { unackableChains: this.#unackableChains, undersizedEventBuffers: this.#undersizedEventBuffers };
  }

  /** Why the device entered its error state (a queue broke), or undefined while it serves. */
  get needsReset(): IsmNeedsResetCause | undefined {
    return this.#needsReset;
  }

  /** Runs the controlq, then the notify area, then the eventq. */
  poll(): IsmPollResult {
    const control = this.processControlQueue();
    const kicks = this.pollNotifyArea();
    const eventBuffers = this.processEventQueue();
    return { control, kicks, eventBuffers };
  }

  /**
   * Executes every available control request and completes its chain; events go to the domain.
   *
   * @returns chains completed (0 when the queue is empty or broken)
   */
  processControlQueue(): number {
    const queue = this.controlq;
    const chain = this.#controlChain;
    let done = 0;
    if (this.#needsReset !== undefined) return 0;
    while (queue.pop(chain) === "popped") {
      if (chain.writableBytes === 0) {
        this.#unackableChains++;
        queue.addUsed(chain.head, 0);
        done++;
        continue;
      }
      const length = gatherReadable(this.#memory, chain, this.#request);
      const result = this.core.execute(this.#request.subarray(0, length), chain.writableBytes - 1);
      const out = new Uint8Array(1 + result.reply.length);
      out[0] = result.ack;
      out.set(result.reply, 1);
      // A new region's notify address is watched from now on, before the driver can learn it from the reply.
      this.#syncWatchedAddresses();
      queue.addUsed(chain.head, scatterWritable(this.#memory, chain, out));
      this.domain.deliver(result.events);
      done++;
    }
    this.#finish(queue, this.controlVector);
    return done;
  }

  /**
   * Turns rings of attached regions' notify addresses into kicks (UPDATE events to the other referrers).
   *
   * @returns kicks handled (several rings of one address between two polls count as one kick)
   */
  pollNotifyArea(): number {
    if (this.#needsReset !== undefined) return 0;
    // The core may have changed outside the controlq (a reset, or commands executed directly).
    this.#syncWatchedAddresses();
    let kicks = 0;
    for (const [slot, seen] of this.#seen) {
      const now = this.notifyArea.bank.doorbell(slot).load();
      if (now === seen) continue;
      this.#seen.set(slot, now);
      const result = this.core.kick(this.notifyArea.offsetOf(slot));
      this.domain.deliver(result.events);
      if (result.outcome === "updated") kicks++;
    }
    return kicks;
  }

  /**
   * Moves pending events into available eventq buffers.
   *
   * @returns buffers completed
   */
  processEventQueue(): number {
    const pending = this.core.eventQueue;
    const queue = this.eventq;
    const chain = this.#eventChain;
    let done = 0;
    if (this.#needsReset !== undefined) return 0;
    while (pending.length > 0 && queue.pop(chain) === "popped") {
      done++;
      if (pending.headSize() > chain.writableBytes) {
        this.#undersizedEventBuffers++;
        queue.addUsed(chain.head, 0);
        break;
      }
      const bytes = encodeEvents(pending.take(chain.writableBytes));
      queue.addUsed(chain.head, scatterWritable(this.#memory, chain, bytes));
    }
    this.#finish(queue, this.eventVector);
    return done;
  }

  /** Publishes used buffers and interrupts when the driver wants it. */
  #finish(queue: VirtqueueDevice, vector: number): void {
    if (queue.broken) {
      this.#enterNeedsReset(queue === this.controlq ? "controlq" : "eventq", queue);
      return;
    }
    queue.publishUsed();
    if (queue.needsInterrupt()) this.interrupts.raise(vector);
  }

  /**
   * The one error path (QEMU's `virtio_error`): remember why, set DEVICE_NEEDS_RESET, send the configuration
   * change notification. Used elements added before the break are not published: the driver fails every
   * pending request anyway, and a reset discards the rings.
   */
  #enterNeedsReset(name: "controlq" | "eventq", queue: VirtqueueDevice): void {
    if (this.#needsReset !== undefined) return;
    this.#needsReset = { queue: name, reason: queue.brokenReason ?? "unknown", detail: queue.brokenDetail };
    this.status.setNeedsReset(this.#raiseConfigChange);
  }

  /** Watches exactly the notify addresses of the regions the core refers to. */
  #syncWatchedAddresses(): void {
    const notifySize = this.notifyArea.notifySize;
    const live = new Set<number>();
    for (const region of this.core.attachedRegions()) {
      const slot = region.notifyOffset / notifySize;
      live.add(slot);
      if (!this.#seen.has(slot)) this.#seen.set(slot, this.notifyArea.bank.doorbell(slot).load());
    }
    for (const slot of this.#seen.keys()) if (!live.has(slot)) this.#seen.delete(slot);
  }
}
