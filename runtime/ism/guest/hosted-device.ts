/**
 * The host's side of one guest's ISM device: the device core in the domain, the guest memory its rings live
 * in, its interrupt table (with the guest's interrupt line), feature negotiation and activation on the rings the
 * driver chose, polling, notify-area writes, and retirement when the guest goes away.
 *
 * Shared by the in-thread host ({@link IsmLocalHost}) and the worker host ({@link IsmHost}), so both bring a
 * device up and tear it down the same way.
 *
 * @module
 */
import type { IsmDeviceCore } from "../core.js";
import { IsmDevice } from "../device.js";
import type { IsmNeedsResetCause } from "../device.js";
import { IsmDeviceStatus } from "../device-status.js";
import type { IsmDomain } from "../domain.js";
import type { IsmEventDelivery } from "../events.js";
import type { GuestMemory } from "../../memory/index.js";
import { bindPackedRing, bindSplitRing, isPackedRing } from "../../virtqueue/index.js";
import { DEV_MEM_FEATURE, hasPackedRing, IsmDriverError, RING_PACKED_FEATURE } from "../driver/index.js";
import type { IsmQueueSetup } from "../driver/index.js";
import { LineInterruptTable } from "./interrupt-line.js";

/** `VIRTIO_F_VERSION_1`: the device is a modern (virtio 1.x) device. */
export const VIRTIO_F_VERSION_1 = 1n << 32n;

/** How a hosted device is made. */
export interface HostedDeviceOptions {
  /** Chunk slots of the device memory. */
  readonly chunkCount: number;
  /** Whether the device offers `VIRTIO_ISM_F_DEV_MEM` (default true). */
  readonly offerDevMem?: boolean;
  /** Whether the device offers `VIRTIO_F_RING_PACKED`, so a driver may lay its queues out as packed rings (default false). */
  readonly offerPackedRing?: boolean;
  /** Interrupt vectors (default: the core's default). */
  readonly vectorCount?: number;
}

/** One guest's ISM device as the host holds it; see the module comment. */
export class HostedDevice {
  /** Name of the guest (for reports). */
  readonly name: string;
  /** The device core in the domain. */
  readonly core: IsmDeviceCore;
  /** The guest's memory. */
  readonly memory: GuestMemory;
  /** Interrupt table; its line is the guest's interrupt line. */
  readonly interrupts: LineInterruptTable;
  /** Feature bits offered. */
  readonly deviceFeatures: bigint;
  /** The device-set status bits (DEVICE_NEEDS_RESET) and the configuration change counter, shared with the guest. */
  readonly status = new IsmDeviceStatus();
  readonly #domain: IsmDomain;
  #device: IsmDevice | undefined;
  #retired = false;
  #failure: unknown = undefined;
  #strayNotifies = 0;
  #layout: "split" | "packed" | undefined = undefined;
  #resets = 0;

  /**
   * Adds a device to `domain` for a guest whose memory is `memory`.
   *
   * @throws IsmError from the domain (bad geometry or options)
   */
  constructor(domain: IsmDomain, name: string, memory: GuestMemory, options: HostedDeviceOptions) {
    const offerDevMem = options.offerDevMem ?? true;
    this.#domain = domain;
    this.name = name;
    this.memory = memory;
    // The core starts with DEV_MEM as offered; activation renegotiates it if the driver declines.
    this.core = domain.createDevice({ chunkCount: options.chunkCount, devMem: offerDevMem, ...(options.vectorCount === undefined ? {} : { vectorCount: options.vectorCount }) });
    this.interrupts = new LineInterruptTable(this.core.vectorCount);
    this.deviceFeatures = VIRTIO_F_VERSION_1 | (offerDevMem ? DEV_MEM_FEATURE : 0n) | (options.offerPackedRing ? RING_PACKED_FEATURE : 0n);
  }

  /** The virtqueue glue, once the driver activated the device. */
  get device(): IsmDevice | undefined {
    return this.#device;
  }

  /** Whether the device runs (activated and not retired). */
  get active(): boolean {
    return this.#device !== undefined && !this.#retired;
  }

  /** Why the device needs a reset (a queue broke), or undefined. */
  get needsReset(): IsmNeedsResetCause | undefined {
    return this.#device?.needsReset;
  }

  /** Device resets the driver asked for (a write of 0 to device_status). */
  get resets(): number {
    return this.#resets;
  }

  /** Whether the guest is gone. */
  get retired(): boolean {
    return this.#retired;
  }

  /** What made the device stop (an exception while it ran: a bug), if anything did. */
  get failure(): unknown {
    return this.#failure;
  }

  /** The ring layout of the active device's queues (as negotiated), undefined while inactive. */
  get ringLayout(): "split" | "packed" | undefined {
    return this.#layout;
  }

  /** Driver writes outside the notify area, or before activation (ignored). */
  get strayNotifies(): number {
    return this.#strayNotifies;
  }

  /**
   * FEATURES_OK and DRIVER_OK: accepts the driver's features and binds the device to its rings.
   *
   * @returns the events a renegotiation produced (none for a fresh device), for `domain.deliver`
   * @throws IsmDriverError `activation-failed` (features not offered, rings outside guest memory, already
   *   active, guest retired); nothing changes then
   */
  activate(setup: IsmQueueSetup): IsmEventDelivery[] {
    if (this.#retired) throw new IsmDriverError("activation-failed", `guest ${this.name} is gone`);
    if (this.#device !== undefined) throw new IsmDriverError("activation-failed", `the device of ${this.name} is already active (reset it first)`);
    if (typeof setup.features !== "bigint" || (setup.features & ~this.deviceFeatures) !== 0n) {
      throw new IsmDriverError("activation-failed", `features 0x${String(setup.features)} include bits the device did not offer`);
    }
    // The device side of a ring never throws on a bad layout (it starts broken); refuse it here instead, so a
    // driver learns at activation that its rings are unusable.
    for (const [name, ring] of [["controlq", setup.controlq], ["eventq", setup.eventq]] as const) {
      // The layout must be the one the features say: packed exactly when VIRTIO_F_RING_PACKED was accepted.
      if (isPackedRing(ring) !== hasPackedRing(setup.features)) {
        throw new IsmDriverError("activation-failed", `${name} ring is ${isPackedRing(ring) ? "packed" : "split"}, but VIRTIO_F_RING_PACKED was ${isPackedRing(ring) ? "not " : ""}negotiated`);
      }
      const bound = isPackedRing(ring) ? bindPackedRing(this.memory, ring) : bindSplitRing(this.memory, ring);
      if (!bound.ok) throw new IsmDriverError("activation-failed", `${name} ring refused: ${bound.reason} ${bound.detail}`);
    }
    const layout = isPackedRing(setup.controlq) ? "packed" : "split";
    const devMem = (setup.features & DEV_MEM_FEATURE) !== 0n;
    let events: IsmEventDelivery[] = [];
    if (devMem !== this.core.devMem) events = this.core.reset({ devMem });
    try {
      this.#device = new IsmDevice(this.#domain, this.core, {
        memory: this.memory,
        controlq: setup.controlq,
        eventq: setup.eventq,
        interrupts: this.interrupts,
        status: this.status,
        // The configuration change interrupt reaches the guest CPU on its interrupt line; the driver tells it
        // from queue interrupts by the status register's counter (its ISR bit 1).
        raiseConfigChange: () => this.interrupts.line.ring(),
      });
      this.#layout = layout;
    } catch (cause) {
      throw new IsmDriverError("activation-failed", `rings refused: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    return events;
  }

  /**
   * Runs the device once: controlq, notify area, eventq.
   *
   * @returns control chains + kicks + event buffers handled (0 when inactive)
   */
  poll(): number {
    return this.#guarded((d) => {
      const r = d.poll();
      return r.control + r.kicks + r.eventBuffers;
    });
  }

  /** Executes the controlq's available requests. @returns chains completed */
  runControl(): number {
    return this.#guarded((d) => d.processControlQueue());
  }

  /** Turns notify-area writes into kicks. @returns kicks handled */
  runNotify(): number {
    return this.#guarded((d) => d.pollNotifyArea());
  }

  /** Moves pending events into eventq buffers. @returns buffers completed */
  runEvents(): number {
    return this.#guarded((d) => d.processEventQueue());
  }

  /** Whether events wait for eventq buffers. */
  get hasPendingEvents(): boolean {
    return this.core.eventQueue.length > 0;
  }

  /** Runs `step` on the active device; an exception stops this device, not its host (see {@link failure}). */
  #guarded(step: (device: IsmDevice) => number): number {
    const device = this.#device;
    if (device === undefined || this.#retired || this.#failure !== undefined) return 0;
    try {
      return step(device);
    } catch (error) {
      // The glue promises not to throw on guest input; if it does anyway, stop this device rather than the
      // host loop that serves every guest.
      this.#failure = error;
      return 0;
    }
  }

  /**
   * A driver write at `offset` in the notify area. A write outside the area (or before activation) reaches
   * nothing and is only counted, as a write past a BAR would be.
   */
  writeNotify(offset: number): void {
    const device = this.#device;
    if (device === undefined || this.#retired || !Number.isSafeInteger(offset) || offset < 0 || offset >= device.notifyArea.byteLength) {
      this.#strayNotifies++;
      return;
    }
    device.notifyArea.kick(offset);
  }

  /**
   * The driver wrote 0 to device_status: the device forgets its rings (the driver sets them up again with
   * {@link activate}), every region it referred to is detached (DETACH to the peers, host memory released where
   * nobody is left), and DEVICE_NEEDS_RESET is cleared. Works on a device that is not active too.
   *
   * @returns the events to deliver
   * @throws IsmDriverError `activation-failed` when the guest is gone
   */
  reset(): IsmEventDelivery[] {
    if (this.#retired) throw new IsmDriverError("activation-failed", `guest ${this.name} is gone`);
    this.#resets++;
    this.#device = undefined;
    this.#layout = undefined;
    this.#failure = undefined;
    this.status.clear();
    return this.core.reset();
  }

  /**
   * The guest is gone: resets the device (every region it referred to is detached — DETACH to the peers, host
   * memory released where nobody is left) and stops polling it.
   *
   * @returns the events to deliver (empty when already retired)
   */
  retire(): IsmEventDelivery[] {
    if (this.#retired) return [];
    this.#retired = true;
    return this.core.reset();
  }
}
