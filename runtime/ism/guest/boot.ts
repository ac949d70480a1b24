/**
 * What a guest worker receives at start (the "firmware tables" of its ISM device) and the messages its
 * transport exchanges with the host on a dedicated `MessagePort`.
 *
 * Everything crosses the thread boundary by structured clone: SharedArrayBuffers (guest memory, doorbells,
 * interrupt table) are shared, not copied. The worker validates the boot block before using it — it is input
 * from another thread.
 *
 * @module
 */
import type { MessagePort } from "node:worker_threads";
import type { DoorbellBankDescriptor, DoorbellDescriptor, InterruptTableDescriptor } from "../../notify/index.js";
import type { RegionHandleDescriptor } from "../../shm/index.js";
import type { RingAddresses } from "../../virtqueue/index.js";
import type { IsmDeviceStatusDescriptor } from "../device-status.js";

/** Tag of an {@link IsmGuestBoot}. */
export const GUEST_BOOT_KIND = "virtiokit/ism-guest-boot";

/** The boot block of a guest worker. */
export interface IsmGuestBoot {
  /** Always {@link GUEST_BOOT_KIND}. */
  readonly kind: typeof GUEST_BOOT_KIND;
  /** Format version, 1. */
  readonly version: 1;
  /** Guest name. */
  readonly name: string;
  /** Guest memory (guest-physical address 0 at byte 0). */
  readonly memory: SharedArrayBuffer;
  /** Feature bits the device offers. */
  readonly deviceFeatures: bigint;
  /** Config space bytes (`struct virtio_ism_config`). */
  readonly config: Uint8Array;
  /** The device's MSI-X table. */
  readonly interrupts: InterruptTableDescriptor;
  /** The guest's interrupt line (rung on every delivered interrupt). */
  readonly interruptLine: DoorbellDescriptor;
  /** The device-set status bits (DEVICE_NEEDS_RESET) and configuration change counter. */
  readonly status: IsmDeviceStatusDescriptor;
  /** The host's wake-up doorbell: rung after every queue notification and notify-area write. */
  readonly hostWake: DoorbellDescriptor;
  /** Port to the host (activation, region windows). */
  readonly port: MessagePort;
}

/** Guest → host requests on the boot port. */
export type GuestToHost =
  | { readonly op: "activate"; readonly id: number; readonly features: bigint; readonly controlq: RingAddresses; readonly eventq: RingAddresses }
  | { readonly op: "map"; readonly id: number; readonly token: bigint; readonly offset: number }
  | { readonly op: "reset"; readonly id: number };

/** Host → guest answers on the boot port. */
export type HostToGuest =
  | { readonly op: "activated"; readonly id: number; readonly notifyBank: DoorbellBankDescriptor; readonly notifySize: number }
  | { readonly op: "mapped"; readonly id: number; readonly window: RegionHandleDescriptor | null }
  | { readonly op: "reset-done"; readonly id: number }
  | { readonly op: "error"; readonly id: number; readonly reason: string; readonly message: string };
