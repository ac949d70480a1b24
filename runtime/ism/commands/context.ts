/**
 * What a command handler sees: the executing device's state, the domain services it may use, and the room
 * the driver left for the reply. Internal to the device model (not exported from the package).
 *
 * @module
 */
import type { IsmAck } from "../../../generated/ism/constants.js";
import type { DeviceMemory, HostMemory } from "../../shm/index.js";
import { VIRTIO_ISM_OK } from "../constants.js";
import type { IsmEventDelivery } from "../events.js";
import type { IsmRegion } from "../region.js";
import type { IsmRegionTable } from "../region-table.js";

/**
 * Decides whether `[address, address + length)` is a buffer the driver may lend (no `VIRTIO_ISM_F_DEV_MEM`):
 * the virtqueue glue checks it lies in guest memory. The core alone only requires a non-zero address whose
 * range does not wrap past 2^64.
 */
export type IsmBufferValidator = (address: bigint, length: bigint) => boolean;

/** Mutable per-device state, owned by `IsmDeviceCore` and changed only by the command handlers. */
export interface IsmDeviceState {
  /** The device's id. */
  readonly devid: bigint;
  /** Chunk slots of the device memory (`VIRTIO_ISM_SHM_ID_REGIONS`). */
  readonly memory: DeviceMemory;
  /** Bytes of one notify address. */
  readonly notifySize: number;
  /** Interrupt vectors the device has; `EVENT_VECTOR_SET` accepts `0 .. vectorCount - 1`. */
  readonly vectorCount: number;
  /** `VIRTIO_ISM_F_DEV_MEM` negotiated. */
  devMem: boolean;
  /** Number of resets so far (see `IsmRegion.allocatorEpoch`). */
  epoch: number;
  /** Regions this device refers to, by token, in attach order. */
  readonly attached: Map<bigint, IsmRegion>;
  /** The same regions by the index of their first chunk slot in this device (= their notify address index). */
  readonly byFirstSlot: Map<number, IsmRegion>;
  /** Extra check of lent buffers (set by the virtqueue glue). */
  bufferValidator: IsmBufferValidator | undefined;
}

/** Domain services available to handlers. */
export interface IsmDomainServices {
  /** Chunk size of every device of the domain. */
  readonly chunkSize: number;
  /** The domain's regions and issued tokens. */
  readonly regions: IsmRegionTable;
  /** Host memory for a region allocated by a device with (`true`) or without `VIRTIO_ISM_F_DEV_MEM`. */
  poolFor(devMem: boolean): HostMemory;
  /** Whether `devid` names a device of the domain. */
  hasDevice(devid: bigint): boolean;
  /** Reset epoch of device `devid`, or `undefined` if there is no such device. */
  epochOf(devid: bigint): number | undefined;
}

/**
 * The outcome of one command as a handler decides it: the ack, the reply (in the generated reply codec's input
 * form) and the events. The core encodes the reply with the generated encoder.
 */
export interface IsmCommandOutcome<R> {
  /** The ack value. */
  readonly ack: IsmAck;
  /** Reply data, for an OK ack of a command that has a reply. */
  readonly reply: R | undefined;
  /**
   * For an E2BIG ack of alloc/attach: the fixed part of the reply (`token`/`size`, `num`) to write when the
   * driver left room for it, telling the driver how many chunks to make room for next time.
   */
  readonly retry: { readonly first: bigint; readonly num: number } | undefined;
  /** Events for other devices (or, for BUFFER_FREE, possibly this one), in the order produced. */
  readonly events: readonly IsmEventDelivery[];
  /** Why the ack is not OK, for logs and tests (empty when OK). */
  readonly detail: string;
}

/** The outcome of one control request as the core reports it: the ack, the encoded reply, the events. */
export interface IsmExecution {
  /** The ack value (one of `ISM_ACK_VALUES`). */
  readonly ack: number;
  /** `command_specific_data_reply` bytes; never longer than the reply capacity given. */
  readonly reply: Uint8Array;
  /** Events for other devices (or, for BUFFER_FREE, possibly this one), in the order produced. */
  readonly events: readonly IsmEventDelivery[];
  /** Why the ack is not OK, for logs and tests (empty when OK). */
  readonly detail: string;
}

/** Everything a handler needs. */
export interface IsmCommandContext {
  /** The executing device. */
  readonly device: IsmDeviceState;
  /** The domain. */
  readonly domain: IsmDomainServices;
  /** Bytes available for the reply after the ack byte. */
  readonly replyCapacity: number;
}

/** @returns a refusal: `ack`, no reply, no events (with an E2BIG retry hint when given) */
export function refuse(ack: IsmAck, detail: string, retry?: { first: bigint; num: number }): IsmCommandOutcome<never> {
  return { ack, reply: undefined, retry, events: [], detail };
}

/** @returns a success: `VIRTIO_ISM_OK` with `reply` and `events` */
export function succeed<R>(reply: R | undefined, events: readonly IsmEventDelivery[] = []): IsmCommandOutcome<R> {
  return { ack: VIRTIO_ISM_OK, reply, retry: undefined, events, detail: "" };
}
