/**
 * A mirrored virtqueue: one of the peer's rings, driven from the vhost-pci-net driver with the hostile-proof
 * device side of the virtqueue runtime. The peer's TX queues are the driver's mirrored RX queues (it pops
 * packets from them); the peer's RX queues are its mirrored TX queues (it fills their buffers).
 *
 * Everything the peer wrote is untrusted: the ring is bound to a {@link GuestMemory} holding only the peer's
 * memory, so no descriptor can reach the driver's own memory, and the first ring violation (loop, runaway
 * index, descriptor outside the peer memory) marks the queue broken; the driver then stops using it and
 * reports `mirrored-ring-broken` with the virtqueue reason.
 *
 * While dirty-page logging is on, every write this side makes into the peer's memory is logged: packet
 * bytes (see {@link scatterLogged}), used-ring elements, `used.idx`, and `avail_event`.
 *
 * @module
 */
import type { GuestMemory } from "../memory/index.js";
import { DescriptorChain, SplitQueueDevice, splitRingFieldOffsets } from "../virtqueue/index.js";
import type { SplitRingAddresses } from "../virtqueue/index.js";
import type { DirtyPageLog } from "./dirty-log.js";

/** Dirty-page logging state shared by the driver's mirrored queues. */
export class DirtyLogging {
  /** The log, once the management environment provided it. */
  log: DirtyPageLog | null = null;
  /** Whether the device turned logging on. */
  on = false;

  /** The log to write to now, or null when logging is off. */
  get active(): DirtyPageLog | null {
    return this.on ? this.log : null;
  }
}

/** Which way packets go through a mirrored queue, from the vhost-pci-net driver's point of view. */
export type MirrorDirection = "rx" | "tx";

/** What the driver learned about one peer queue (validated PEER_VIRTQ_INFO entry). */
export interface MirroredQueueSpec {
  /** The queue's index in the peer device. */
  readonly peerIndex: number;
  /** Ring layout, in the peer's guest-physical addresses. */
  readonly addresses: SplitRingAddresses;
  /** VIRTIO_F_RING_EVENT_IDX negotiated on the peer's side. */
  readonly eventIdx: boolean;
  /** VIRTIO_F_RING_INDIRECT_DESC negotiated on the peer's side. */
  readonly indirect: boolean;
  /** Where to resume consuming. */
  readonly lastAvailIdx: number;
  /** The queue's GSI in the peer (for used-buffer interrupts), or 0xffffffff. */
  readonly vector: number;
}

/** One mirrored queue; see the module comment. */
export class MirroredQueue {
  /** rx: a peer TX queue (packets come from it); tx: a peer RX queue (packets go into it). */
  readonly direction: MirrorDirection;
  /** The validated description. */
  readonly spec: MirroredQueueSpec;
  /** The hostile-proof device side over the peer's ring. */
  readonly device: SplitQueueDevice;
  /** Reusable chain for pops. */
  readonly chain: DescriptorChain;
  readonly #logging: DirtyLogging;
  readonly #usedRing: number;
  readonly #availEvent: number;

  /**
   * @param peer - the peer's memory (and nothing else)
   * @param direction - rx (a peer TX queue) or tx (a peer RX queue)
   * @param spec - validated queue description
   * @param logging - the driver's logging state
   */
  constructor(peer: GuestMemory, direction: MirrorDirection, spec: MirroredQueueSpec, logging: DirtyLogging) {
    this.direction = direction;
    this.spec = spec;
    this.#logging = logging;
    this.device = new SplitQueueDevice(peer, spec.addresses, {
      eventIdx: spec.eventIdx,
      indirectDesc: spec.indirect,
      lastAvailIdx: spec.lastAvailIdx,
      usedIdx: spec.lastAvailIdx,
    });
    this.chain = this.device.createChain();
    const offsets = splitRingFieldOffsets(spec.addresses.size);
    this.#usedRing = spec.addresses.usedAddress + offsets.usedRing;
    this.#availEvent = spec.addresses.usedAddress + offsets.availEvent;
  }

  /** Returns chain `head` with `length` bytes written, logging the used element. */
  addUsed(head: number, length: number): void {
    const log = this.#logging.active;
    if (log !== null) log.mark(this.#usedRing + 8 * (this.device.usedIdx & (this.spec.addresses.size - 1)), 8);
    this.device.addUsed(head, length);
  }

  /** Publishes used elements (logging `used.idx`); returns whether the peer wants an interrupt. */
  publish(): boolean {
    const log = this.#logging.active;
    if (log !== null) log.mark(this.spec.addresses.usedAddress, 4);
    this.device.publishUsed();
    return this.device.needsInterrupt();
  }

  /** {@link SplitQueueDevice.enableKicks}, logging the `avail_event` (or `used.flags`) write. */
  enableKicks(): boolean {
    const log = this.#logging.active;
    if (log !== null) log.mark(this.device.eventIdx ? this.#availEvent : this.spec.addresses.usedAddress, 2);
    return this.device.enableKicks();
  }

  /** {@link SplitQueueDevice.disableKicks}, logging the `used.flags` write. */
  disableKicks(): void {
    const log = this.#logging.active;
    if (log !== null && !this.device.eventIdx) log.mark(this.spec.addresses.usedAddress, 2);
    this.device.disableKicks();
  }
}

/**
 * Copies `src` into the writable segments of `chain` in `memory` (as much as fits), logging each written
 * range when `log` is given. @returns bytes written.
 */
export function scatterLogged(memory: GuestMemory, chain: DescriptorChain, src: Uint8Array, log: DirtyPageLog | null): number {
  let done = 0;
  for (let i = chain.readableCount; i < chain.count && done < src.length; i++) {
    const address = chain.addresses[i]!;
    const n = Math.min(chain.lengths[i]!, src.length - done);
    memory.write(address, src.subarray(done, done + n));
    if (log !== null) log.mark(address, n);
    done += n;
  }
  return done;
}
