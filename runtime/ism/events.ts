/**
 * ISM events as the device model produces them, and where each one goes.
 *
 * An event is produced by one device's command or kick and addressed to one device of the domain (`to`, a
 * devid). Its route is decided when it is produced, from the receiving device's state: an UPDATE event for a
 * region the receiver bound to an interrupt vector (`VIRTIO_ISM_CTRL_EVENT_VECTOR_SET`) is delivered by
 * raising that vector and never goes through the eventq ("Inform Update Event IRQ Vector"); everything else is
 * queued for the receiver's eventq.
 *
 * @module
 */

/** `VIRTIO_ISM_EVENT_UPDATE`: a peer kicked the region's notify address. */
export interface IsmUpdateEvent {
  /** Discriminator. */
  readonly kind: "update";
  /** Offset of the region in the *receiving* device's memory (its first chunk). */
  readonly offset: number;
  /** devid of the device that kicked. */
  readonly devid: bigint;
}

/** `VIRTIO_ISM_EVENT_ATTACH` / `VIRTIO_ISM_EVENT_DETACH`: a peer attached or detached the region. */
export interface IsmAttachDetachEvent {
  /** Discriminator. */
  readonly kind: "attach" | "detach";
  /** Offset of the region in the *receiving* device's memory (its first chunk). */
  readonly offset: number;
  /** devid of the device that attached or detached. */
  readonly devid: bigint;
  /** Devices referring to the region after the change, not counting the receiver. */
  readonly peers: number;
}

/** `VIRTIO_ISM_EVENT_BUFFER_FREE`: nobody refers to a region the driver lent a buffer for any more. */
export interface IsmBufferFreeEvent {
  /** Discriminator. */
  readonly kind: "buffer-free";
  /** The `buffer` the driver passed when it allocated the region. */
  readonly buffer: bigint;
}

/** Any ISM event. */
export type IsmEvent = IsmUpdateEvent | IsmAttachDetachEvent | IsmBufferFreeEvent;

/** How an event reaches its receiver: through the eventq, or by raising a bound interrupt vector. */
export type IsmEventRoute = { readonly kind: "eventq" } | { readonly kind: "irq"; readonly vector: number };

/** One event addressed to one device. */
export interface IsmEventDelivery {
  /** devid of the receiving device. */
  readonly to: bigint;
  /** Eventq or interrupt vector. */
  readonly route: IsmEventRoute;
  /** The event. */
  readonly event: IsmEvent;
}

/** The eventq route (shared: routes are immutable). */
export const EVENTQ_ROUTE: IsmEventRoute = Object.freeze({ kind: "eventq" });
