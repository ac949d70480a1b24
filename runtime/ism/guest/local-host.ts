/**
 * `IsmLocalHost`: a communication domain whose guests' drivers run in the *same thread* as their devices.
 *
 * Each guest gets its own guest memory and an {@link IsmDriverTransport} whose notifications run the device
 * synchronously — like a trapping MMIO write that exits to the VMM, which handles it before the vCPU resumes:
 * a controlq notification executes the notifying device's requests, a notify-area write its kicks, and then the
 * events produced are moved into the eventq buffers of every device that has some pending. Only the devices
 * with work are run (a notification names its device; pending events are visible in the cores), which keeps
 * the soak fast. Interrupts ring the guest's interrupt line in this thread; the driver services its queues in a
 * microtask.
 *
 * For tests and the soak: no threads, deterministic, and the whole driver ↔ device path (rings, codecs, events,
 * permissions, memory release) is exercised.
 *
 * @module
 */
import type { IsmDeliveryReport, IsmDomainOptions } from "../domain.js";
import { IsmDomain } from "../domain.js";
import type { IsmDeviceCore } from "../core.js";
import type { IsmDeviceStatus } from "../device-status.js";
import type { IsmEventDelivery } from "../events.js";
import { GuestMemory } from "../../memory/index.js";
import type { Doorbell, InterruptTable } from "../../notify/index.js";
import type { RegionHandle } from "../../shm/index.js";
import { IsmDriverError } from "../driver/index.js";
import { CONTROLQ_INDEX, EVENTQ_INDEX } from "../driver/index.js";
import type { IsmDriverRam, IsmDriverTransport, IsmQueueSetup } from "../driver/index.js";
import { HostedDevice } from "./hosted-device.js";
import { regionWindow } from "./region-window.js";

/** Default bytes of guest memory per guest (rings, buffers; lent buffers without DEV_MEM come from here too). */
export const DEFAULT_GUEST_MEMORY_BYTES = 1 << 20;

/** Options of {@link IsmLocalHost}. */
export interface IsmLocalHostOptions {
  /** `chunk_size` of the domain (default 4096). */
  readonly chunkSize?: number;
  /** `notify_size` (default the domain's). */
  readonly notifySize?: number;
  /** Host memory for DEV_MEM regions (default unlimited). */
  readonly hostMemoryCapacity?: number;
  /** Random source for cdid, devids and tokens (default CSPRNG). */
  readonly random?: IsmDomainOptions["random"];
}

/** Options of {@link IsmLocalHost.addGuest}. */
export interface IsmLocalGuestOptions {
  /** Name in reports (default `guest<n>`). */
  readonly name?: string;
  /** Chunk slots of the device memory (default 256). */
  readonly chunkCount?: number;
  /** Whether the device offers `VIRTIO_ISM_F_DEV_MEM` (default true). */
  readonly offerDevMem?: boolean;
  /** Whether the device offers `VIRTIO_F_RING_PACKED`, so a driver may lay its queues out as packed rings (default false). */
  readonly offerPackedRing?: boolean;
  /** Bytes of guest memory, a multiple of 4096 (default {@link DEFAULT_GUEST_MEMORY_BYTES}). */
  readonly memoryBytes?: number;
}

/** A guest of an {@link IsmLocalHost}: its transport (give it to `IsmDriver.open`) and its device. */
export class IsmLocalGuest implements IsmDriverTransport {
  /** The host's side of the device. */
  readonly hosted: HostedDevice;
  /** The guest's memory. */
  readonly memory: GuestMemory;
  /** The whole guest memory is the driver's. */
  readonly ram: IsmDriverRam;
  /** Always true: the device runs inside notifications. */
  readonly inline = true;
  readonly #host: IsmLocalHost;

  /** Internal: use {@link IsmLocalHost.addGuest}. */
  constructor(host: IsmLocalHost, hosted: HostedDevice) {
    this.#host = host;
    this.hosted = hosted;
    this.memory = hosted.memory;
    this.ram = { base: 0, length: hosted.memory.regions[0]!.size };
  }

  /** Guest name. */
  get name(): string {
    return this.hosted.name;
  }

  /** The device core. */
  get core(): IsmDeviceCore {
    return this.hosted.core;
  }

  /** Offered features. */
  get deviceFeatures(): bigint {
    return this.hosted.deviceFeatures;
  }

  /** The device's interrupt table. */
  get interrupts(): InterruptTable {
    return this.hosted.interrupts;
  }

  /** The guest's interrupt line. */
  get interruptLine(): Doorbell {
    return this.hosted.interrupts.line;
  }

  /** The device-set status bits. */
  get deviceStatus(): IsmDeviceStatus {
    return this.hosted.status;
  }

  /** @returns the config space bytes */
  readConfig(): Uint8Array {
    return this.hosted.core.configBytes();
  }

  /** Resets the device; the peers' DETACH events are delivered at once. */
  async reset(): Promise<void> {
    this.#host.deliver(this.hosted.reset());
    this.#host.flushEvents();
  }

  /** Activates the device on the driver's rings. */
  async activate(setup: IsmQueueSetup): Promise<void> {
    this.#host.deliver(this.hosted.activate(setup));
  }

  /** Runs the notified queue of this device, then delivers the events it produced. */
  notifyQueue(queue: number): void {
    if (queue === CONTROLQ_INDEX) this.hosted.runControl();
    else if (queue === EVENTQ_INDEX) this.hosted.runEvents();
    this.#host.flushEvents();
  }

  /** Writes the notify area, runs this device's kicks, then delivers the events they produced. */
  writeNotify(offset: number): void {
    this.hosted.writeNotify(offset);
    this.hosted.runNotify();
    this.#host.flushEvents();
  }

  /** @returns the window on the mapping (resolved at once) */
  async mapRegion(token: bigint, offset: number): Promise<RegionHandle | undefined> {
    return regionWindow(this.hosted.core, token, offset);
  }
}

/** A domain with in-thread guests; see the module comment. */
export class IsmLocalHost {
  /** The communication domain. */
  readonly domain: IsmDomain;
  readonly #guests: IsmLocalGuest[] = [];

  /** @throws IsmError for bad domain options */
  constructor(options: IsmLocalHostOptions = {}) {
    this.domain = new IsmDomain({
      chunkSize: options.chunkSize ?? 4096,
      ...(options.notifySize === undefined ? {} : { notifySize: options.notifySize }),
      ...(options.hostMemoryCapacity === undefined ? {} : { hostMemoryCapacity: options.hostMemoryCapacity }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
  }

  /** The guests, in creation order (retired ones included). */
  get guests(): readonly IsmLocalGuest[] {
    return this.#guests;
  }

  /**
   * Adds a guest with its own memory and device.
   *
   * @throws IsmDriverError `invalid-argument` (memory size); IsmError (device geometry)
   */
  addGuest(options: IsmLocalGuestOptions = {}): IsmLocalGuest {
    const bytes = options.memoryBytes ?? DEFAULT_GUEST_MEMORY_BYTES;
    if (!Number.isSafeInteger(bytes) || bytes < 4096 || bytes % 4096 !== 0) {
      throw new IsmDriverError("invalid-argument", `guest memory must be a positive multiple of 4096 bytes, got ${String(bytes)}`);
    }
    const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(bytes));
    const hosted = new HostedDevice(this.domain, options.name ?? `guest${this.#guests.length}`, memory, {
      chunkCount: options.chunkCount ?? 256,
      offerDevMem: options.offerDevMem ?? true,
      offerPackedRing: options.offerPackedRing ?? false,
    });
    const guest = new IsmLocalGuest(this, hosted);
    this.#guests.push(guest);
    return guest;
  }

  /**
   * The guest is gone: its device is reset (its regions detached, peers told) and no longer run.
   *
   * @returns what the delivery of the resulting events did
   */
  removeGuest(guest: IsmLocalGuest): IsmDeliveryReport {
    const report = this.deliver(guest.hosted.retire());
    this.flushEvents();
    return report;
  }

  /** Routes events to the devices' queues (or vectors). */
  deliver(events: readonly IsmEventDelivery[]): IsmDeliveryReport {
    return this.domain.deliver(events);
  }

  /**
   * Moves pending events into eventq buffers, device by device, until no device with pending events can take
   * more (events never produce events, so this ends).
   *
   * @returns eventq buffers completed
   */
  flushEvents(): number {
    let total = 0;
    for (;;) {
      let round = 0;
      for (const g of this.#guests) if (g.hosted.hasPendingEvents) round += g.hosted.runEvents();
      total += round;
      if (round === 0) return total;
    }
  }

  /**
   * Runs every active device (controlq, notify area, eventq) until none has work left — for callers that
   * changed guest memory behind the transports' backs.
   *
   * @returns units of work done
   */
  runDevices(): number {
    let total = 0;
    for (;;) {
      let round = 0;
      for (const g of this.#guests) round += g.hosted.poll();
      total += round;
      if (round === 0) return total;
    }
  }
}
