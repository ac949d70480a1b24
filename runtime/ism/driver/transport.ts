/**
 * What the ISM driver needs from the machine it runs on: the guest's memory, the device's offered features and
 * config space, a way to bring the queues up, available-buffer notifications, writes to the notify area,
 * interrupts, and the window through which the guest sees a region the device mapped (the
 * `VIRTIO_ISM_SHM_ID_REGIONS` shared memory region).
 *
 * Two implementations exist: the in-thread {@link IsmLocalHost} (the device runs synchronously inside each
 * notification, like a trapping MMIO write; used by tests and the soak) and the worker-thread guest transport
 * (`connectGuestTransport`, the device runs in the host thread and is woken by a shared doorbell).
 *
 * @module
 */
import type { GuestMemory } from "../../memory/index.js";
import type { Doorbell, InterruptTable } from "../../notify/index.js";
import type { RegionHandle } from "../../shm/index.js";
import type { IsmDeviceStatus } from "../device-status.js";
import type { RingAddresses } from "../../virtqueue/index.js";

/** Index of the control virtqueue. */
export const CONTROLQ_INDEX = 0;
/** Index of the event virtqueue. */
export const EVENTQ_INDEX = 1;

/** What the driver tells the device at FEATURES_OK / DRIVER_OK time. */
export interface IsmQueueSetup {
  /** Accepted feature bits. */
  readonly features: bigint;
  /** Ring addresses of the controlq (queue 0). */
  readonly controlq: RingAddresses;
  /** Ring addresses of the eventq (queue 1). */
  readonly eventq: RingAddresses;
}

/** Guest-physical range the driver manages (rings, control buffers, event buffers, lent buffers). */
export interface IsmDriverRam {
  /** First guest-physical address (a multiple of 4096). */
  readonly base: number;
  /** Bytes. */
  readonly length: number;
}

/** The machine interface of the ISM driver; see the module comment. */
export interface IsmDriverTransport {
  /** The guest's memory: rings and buffers live there. */
  readonly memory: GuestMemory;
  /** The part of `memory` the driver may use. */
  readonly ram: IsmDriverRam;
  /** Feature bits the device offers. */
  readonly deviceFeatures: bigint;
  /** MSI-X table of the device: vector 0 controlq, vector 1 eventq, others for regions' UPDATE events. */
  readonly interrupts: InterruptTable;
  /** Rung after every interrupt the device delivers, whatever the vector: the guest CPU's interrupt line. */
  readonly interruptLine: Doorbell;
  /**
   * True when the device runs synchronously inside {@link notifyQueue} and {@link writeNotify} (same thread);
   * the driver then services its queues from the interrupt line's in-thread listeners. False when the device
   * runs in another thread; the driver then waits on the interrupt line.
   */
  readonly inline: boolean;
  /**
   * The status bits the device sets (DEVICE_NEEDS_RESET) and its configuration change counter; a configuration
   * change interrupt also rings {@link interruptLine}.
   */
  readonly deviceStatus: IsmDeviceStatus;
  /** @returns the device config space (`struct virtio_ism_config`, 40 bytes) */
  readConfig(): Uint8Array;
  /**
   * Accepts `setup.features` (FEATURES_OK), hands the ring addresses to the device and sets DRIVER_OK.
   *
   * @throws IsmDriverError `activation-failed` (rejected promise)
   */
  activate(setup: IsmQueueSetup): Promise<void>;
  /**
   * Writes 0 to device_status and waits until the device has reset: its rings are forgotten, every region it
   * referred to is detached, DEVICE_NEEDS_RESET is cleared. {@link activate} brings it up again.
   *
   * @throws IsmDriverError `activation-failed` (rejected promise) when the device cannot be reset (guest gone)
   */
  reset(): Promise<void>;
  /** Available-buffer notification for queue `queue` ({@link CONTROLQ_INDEX} or {@link EVENTQ_INDEX}). */
  notifyQueue(queue: number): void;
  /** A driver write at `offset` in the notify area (`VIRTIO_ISM_SHM_ID_NOTIFY`): a kick of the region there. */
  writeNotify(offset: number): void;
  /**
   * The guest's view of the region `token` the device mapped at device offset `offset`: an access handle
   * limited, at every access, by the mapping's current permissions.
   *
   * @returns the handle, or `undefined` when the device holds no such mapping (any more)
   */
  mapRegion(token: bigint, offset: number): Promise<RegionHandle | undefined>;
}
