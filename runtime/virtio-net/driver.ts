/**
 * A minimal virtio-net driver (guest A's): one receiveq and one transmitq of split virtqueues carrying
 * `virtio_net_hdr` + frame, initialized through the common configuration, on a device whose backend is a
 * vhost-pci-net device in a peer guest.
 *
 * Transmit: frames are produced straight into transmit buffers (zero copy) behind a constant header (no
 * checksum offload, no GSO, `num_buffers` 0); one readable descriptor per packet. When the ring asks for a
 * kick, the driver uses VIRTIO_F_PV_INTERRUPT when negotiated — a hypercall raising the peer's RX queue GSI
 * from `peer_rx_queue_gsi` — and the device's notification area otherwise.
 *
 * Receive: receive buffers of {@link NET_BUFFER_SIZE} bytes (at least the 1526 the spec recommends without
 * GSO) are posted at start and re-posted after each frame is handed to the {@link FrameSink}.
 *
 * Configuration and connection: the driver follows the proposal's rules (reads the peer registers only after
 * being notified of `peer_connection` = 1, never writes 1 to it, unloads only after reading 0), and resets
 * and negotiates again when the device sets DEVICE_NEEDS_RESET (the backend re-negotiated its features).
 *
 * @module
 */
import type { GuestMemory } from "../memory/index.js";
import { SplitQueueDriver, UsedBuffer } from "../virtqueue/index.js";
import type { SplitRingAddresses } from "../virtqueue/index.js";
import { DeviceStatus, ISR_CONFIG, ISR_PEER_STATUS } from "../vhost-pci-net/common-cfg.js";
import type { CommonCfgRegisters } from "../vhost-pci-net/common-cfg.js";
import { VhostPciNetError } from "../vhost-pci-net/errors.js";
import { InterruptReceiver } from "../vhost-pci-net/interrupts.js";
import type { GuestInterrupts } from "../vhost-pci-net/interrupts.js";
import type { PvInterruptHypercall } from "../vhost-pci-net/pv-interrupt.js";
import {
  PEER_FEATURE_MASK,
  PeerFeatureBit,
  VIRTIO_F_PV_INTERRUPT,
  VIRTIO_F_RING_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_S_LINK_UP,
  VirtioNetHdrSize,
  encodeVirtioNetHdr,
  featureMask,
  hasFeature,
} from "../vhost-pci-net/spec.js";
import { NET_RECEIVEQ, NET_TRANSMITQ } from "./device.js";
import type { FrameSink, FrameSource } from "./frame-io.js";
import type { GuestLayout } from "./guest-layout.js";
import { randomLocalMac } from "./mac.js";

/** Bytes of each receive and transmit buffer (virtio_net_hdr + a 1514-byte frame, rounded up). */
export const NET_BUFFER_SIZE = 1536;

/** Vectors the driver assigns (the guest's controller needs at least 3). */
export const VirtioNetVectors = { CONFIG: 0, RECEIVEQ: 1, TRANSMITQ: 2 } as const;

/** Options of {@link VirtioNetDriver}. */
export interface VirtioNetDriverOptions {
  /** Guest A's memory. */
  memory: GuestMemory;
  /** Where in it rings and buffers go. */
  layout: GuestLayout;
  /** Guest A's interrupt controller (≥ 3 vectors). */
  interrupts: GuestInterrupts;
  /** The device's common configuration. */
  regs: CommonCfgRegisters;
  /** The device's configuration bytes (`struct virtio_net_config`). */
  deviceConfig: { readonly mac: Uint8Array; readonly status: number };
  /** A write to the device's notification area for a queue. */
  notify: (queue: number) => void;
  /** The PV-interrupt hypercall, when the hypervisor offers one. */
  pv: PvInterruptHypercall | null;
  /** Peer (virtio-net) feature bits the driver accepts besides the ones it always wants (default: VIRTIO_NET_F_MRG_RXBUF). */
  netFeatures?: bigint;
  /** Frames received. */
  sink?: FrameSink;
  /** Frames to send. */
  source?: FrameSource;
}

/** Where the driver is. */
export type VirtioNetDriverState = "stopped" | "resetting" | "running" | "failed" | "unloaded";

/** Data-path counters. */
export interface VirtioNetDriverStats {
  /** Frames put on the transmitq. */
  sent: number;
  /** Transmitted frames the device returned (used). */
  completed: number;
  /** Frames handed to the sink. */
  received: number;
  /** Kicks of the transmitq (PV interrupts or notifications). */
  kicks: number;
  /** Resets the driver performed because the device asked (DEVICE_NEEDS_RESET). */
  resets: number;
}

/** The driver; see the module comment. */
export class VirtioNetDriver {
  /** Counters. */
  readonly stats: VirtioNetDriverStats = { sent: 0, completed: 0, received: 0, kicks: 0, resets: 0 };
  /** Frames go here. */
  sink: FrameSink;
  /** Frames come from here. */
  source: FrameSource | null;

  readonly #o: VirtioNetDriverOptions;
  readonly #receiver: InterruptReceiver;
  readonly #wantedNet: bigint;
  #state: VirtioNetDriverState = "stopped";
  #features = 0n;
  #mac: Uint8Array = new Uint8Array(6);
  readonly #fallbackMac = randomLocalMac();
  #linkUp = false;
  #connected = false;
  #peerRxGsis: number[] = [];
  #peerUuid: [bigint, bigint] = [0n, 0n];
  #rings: { rx: SplitRingAddresses; tx: SplitRingAddresses; rxPool: number; txPool: number } | null = null;
  #rxq: SplitQueueDriver<number> | null = null;
  #txq: SplitQueueDriver<number> | null = null;
  #rxViews: Uint8Array[] = [];
  #txViews: Uint8Array[] = [];
  #freeTx: number[] = [];
  #txBlocked = false;
  readonly #used = new UsedBuffer<number>();
  /** Reusable one-segment lists for add() (it reads them synchronously): no allocation per packet. */
  readonly #segment = [{ address: 0, length: 0 }];

  /** @throws VhostPciNetError `invalid-option` for a controller with fewer than 3 vectors */
  constructor(options: VirtioNetDriverOptions) {
    if (options.interrupts.vectorCount < 3) throw new VhostPciNetError("invalid-option", "the driver needs 3 interrupt vectors");
    this.#o = options;
    this.#receiver = new InterruptReceiver(options.interrupts);
    // By default only VIRTIO_NET_F_MRG_RXBUF: this driver implements no checksum or segmentation offload, so
    // it does not claim any (its 1536-byte buffers suit mergeable and plain receive alike).
    this.#wantedNet = (options.netFeatures ?? featureMask(PeerFeatureBit.VIRTIO_NET_F_MRG_RXBUF)) & PEER_FEATURE_MASK;
    this.sink = options.sink ?? (() => {});
    this.source = options.source ?? null;
  }

  /** Where the driver is. */
  get state(): VirtioNetDriverState {
    return this.#state;
  }

  /** The negotiated features. */
  get features(): bigint {
    return this.#features;
  }

  /** The MAC read from the configuration (VIRTIO_NET_F_MAC). */
  get mac(): Uint8Array {
    return this.#mac;
  }

  /** Link status from the configuration (always up without VIRTIO_NET_F_STATUS). */
  get linkUp(): boolean {
    return this.#linkUp;
  }

  /** Whether the driver was notified of, and read, `peer_connection` = 1 (and not yet 0). */
  get connected(): boolean {
    return this.#connected;
  }

  /** The peer RX queue GSIs read after the connection. */
  get peerRxQueueGsis(): readonly number[] {
    return this.#peerRxGsis;
  }

  /** The peer UUID read after the connection. */
  get peerUuid(): readonly [bigint, bigint] {
    return this.#peerUuid;
  }

  /** Starts the driver: asks the device to reset; initialization continues in {@link poll}. */
  start(): void {
    if (this.#state !== "stopped") throw new VhostPciNetError("invalid-state", `start in state ${this.#state}`);
    this.#reset();
  }

  /** One turn: initialization, interrupts, transmit, receive. @returns whether anything happened */
  poll(): boolean {
    if (this.#state === "resetting") {
      if (this.#o.regs.readField("device_status") !== 0) return false;
      this.#initialize();
      return true;
    }
    if (this.#state !== "running") return false;
    let progress = false;
    if (this.#receiver.take(VirtioNetVectors.CONFIG) > 0) {
      this.#onConfigInterrupt();
      progress = true;
      if (this.#state !== "running") return true;
    }
    if (this.#reclaim() > 0) progress = true;
    if (this.#connected && this.#transmit() > 0) progress = true;
    if (this.#receive() > 0) progress = true;
    return progress;
  }

  /** Before sleeping: re-enables the interrupts the driver waits for. @returns true when work is pending */
  prepareToSleep(): boolean {
    if (this.#state !== "running") return false;
    let pending = this.#rxq!.enableUsedNotifications();
    if (this.#txBlocked) {
      if (this.#txq!.enableUsedNotifications()) pending = true;
    } else {
      this.#txq!.disableUsedNotifications();
    }
    return pending;
  }

  /** Asks for the peer connection to be closed (writes 0 to `peer_connection`). */
  requestDisconnect(): void {
    if (this.#connected) this.#o.regs.writeField("peer_connection", 0);
  }

  /** Unloads the driver; refused (false) until it reads 0 from `peer_connection`. */
  unload(): boolean {
    if (this.#o.regs.readField("peer_connection") !== 0) return false;
    this.#o.regs.noteUnload();
    this.#state = "unloaded";
    return true;
  }

  // ---------------------------------------------------------------- initialization

  #reset(): void {
    this.#o.regs.writeField("device_status", 0);
    this.#state = "resetting";
    this.#connected = false;
  }

  #initialize(): void {
    const regs = this.#o.regs;
    const fail = (why: string): never => {
      regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FAILED);
      this.#state = "failed";
      throw new VhostPciNetError("device-refused", why);
    };
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE);
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    regs.writeField("device_feature_select", 0);
    let offered = BigInt(regs.readField("device_feature"));
    regs.writeField("device_feature_select", 1);
    offered |= BigInt(regs.readField("device_feature")) << 32n;
    if (!hasFeature(offered, VIRTIO_F_VERSION_1)) fail("VIRTIO_F_VERSION_1 not offered");
    const always =
      featureMask(VIRTIO_F_VERSION_1) | featureMask(VIRTIO_F_RING_EVENT_IDX) | featureMask(VIRTIO_F_PV_INTERRUPT) | featureMask(VIRTIO_NET_F_MAC) | featureMask(VIRTIO_NET_F_STATUS);
    const features = offered & (always | this.#wantedNet);
    regs.writeField("driver_feature_select", 0);
    regs.writeField("driver_feature", Number(features & 0xffffffffn));
    regs.writeField("driver_feature_select", 1);
    regs.writeField("driver_feature", Number(features >> 32n));
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    if ((regs.readField("device_status") & DeviceStatus.FEATURES_OK) === 0) fail("the device did not accept the features");
    this.#features = features;

    const memory = this.#o.memory;
    if (this.#rings === null) {
      // Placed once; a reset reuses the same memory (the rings are re-initialized by the queue drivers).
      regs.writeField("queue_select", NET_RECEIVEQ);
      const rxSize = regs.readField("queue_size");
      regs.writeField("queue_select", NET_TRANSMITQ);
      const txSize = regs.readField("queue_size");
      if (rxSize === 0 || txSize === 0) fail("the device lacks receiveq1 or transmitq1");
      const layout = this.#o.layout;
      this.#rings = {
        rx: layout.ring(rxSize),
        tx: layout.ring(txSize),
        rxPool: layout.pool(rxSize, NET_BUFFER_SIZE),
        txPool: layout.pool(txSize, NET_BUFFER_SIZE),
      };
    }
    const rings = this.#rings;
    regs.writeField("msix_config", VirtioNetVectors.CONFIG);
    for (const [index, ring, vector] of [
      [NET_RECEIVEQ, rings.rx, VirtioNetVectors.RECEIVEQ],
      [NET_TRANSMITQ, rings.tx, VirtioNetVectors.TRANSMITQ],
    ] as const) {
      regs.writeField("queue_select", index);
      regs.writeField("queue_size", ring.size);
      regs.writeField("queue_msix_vector", vector);
      regs.writeField("queue_desc", BigInt(ring.descAddress));
      regs.writeField("queue_avail", BigInt(ring.availAddress));
      regs.writeField("queue_used", BigInt(ring.usedAddress));
      regs.writeField("queue_enable", 1);
    }
    const eventIdx = hasFeature(features, VIRTIO_F_RING_EVENT_IDX);
    this.#rxq = new SplitQueueDriver<number>(memory, rings.rx, { eventIdx });
    this.#txq = new SplitQueueDriver<number>(memory, rings.tx, { eventIdx });
    this.#rxViews = Array.from({ length: rings.rx.size }, (_, i) => memory.slice(rings.rxPool + i * NET_BUFFER_SIZE, NET_BUFFER_SIZE));
    this.#txViews = Array.from({ length: rings.tx.size }, (_, i) => memory.slice(rings.txPool + i * NET_BUFFER_SIZE + VirtioNetHdrSize, NET_BUFFER_SIZE - VirtioNetHdrSize));
    // Every transmitted packet carries the same header: written once per buffer.
    const header = { flags: 0, gso_type: VIRTIO_NET_HDR_GSO_NONE, hdr_len: 0, gso_size: 0, csum_start: 0, csum_offset: 0, num_buffers: 0 };
    for (let i = 0; i < rings.tx.size; i++) encodeVirtioNetHdr(header, memory.slice(rings.txPool + i * NET_BUFFER_SIZE, VirtioNetHdrSize));
    this.#freeTx = Array.from({ length: rings.tx.size }, (_, i) => rings.tx.size - 1 - i);
    for (let i = 0; i < rings.rx.size; i++) this.#postReceive(i);
    this.#readConfig();
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK);
    this.#state = "running";
    this.#txq.disableUsedNotifications();
  }

  #readConfig(): void {
    const regs = this.#o.regs;
    // Generation-checked read of the device configuration.
    for (;;) {
      const before = regs.readField("config_generation");
      const mac = this.#o.deviceConfig.mac.slice(0, 6);
      const status = this.#o.deviceConfig.status;
      if (regs.readField("config_generation") !== before) continue;
      // Without VIRTIO_NET_F_MAC the spec recommends a locally administered address.
      this.#mac = hasFeature(this.#features, VIRTIO_NET_F_MAC) ? mac : this.#fallbackMac;
      this.#linkUp = hasFeature(this.#features, VIRTIO_NET_F_STATUS) ? (status & VIRTIO_NET_S_LINK_UP) !== 0 : true;
      return;
    }
  }

  #onConfigInterrupt(): void {
    const regs = this.#o.regs;
    const isr = regs.readIsr();
    if ((isr & ISR_CONFIG) !== 0) {
      if ((regs.readField("device_status") & DeviceStatus.DEVICE_NEEDS_RESET) !== 0) {
        this.stats.resets++;
        this.#reset();
        return;
      }
      this.#readConfig();
    }
    if ((isr & ISR_PEER_STATUS) === 0) return;
    const value = regs.readField("peer_connection");
    if (value === 1 && !this.#connected) {
      const count = regs.readField("peer_num_rx_queues");
      const gsis: number[] = [];
      for (let i = 0; i < count; i++) {
        regs.writeField("peer_rx_queue_select", i);
        gsis.push(regs.readField("peer_rx_queue_gsi"));
      }
      this.#peerRxGsis = gsis;
      this.#peerUuid = [regs.readField("peer_uuid_hi"), regs.readField("peer_uuid_lo")];
      this.#connected = true;
    } else if (value === 0 && this.#connected) {
      this.#connected = false;
      this.#peerRxGsis = [];
    }
  }

  // ---------------------------------------------------------------- data path

  #postReceive(index: number): void {
    const segment = this.#segment[0]!;
    segment.address = this.#rings!.rxPool + index * NET_BUFFER_SIZE;
    segment.length = NET_BUFFER_SIZE;
    this.#rxq!.add(NO_SEGMENTS, this.#segment, index);
  }

  #reclaim(): number {
    const txq = this.#txq!;
    const used = this.#used;
    let n = 0;
    while (txq.getUsed(used) === "used") {
      this.#freeTx.push(used.token!);
      n++;
    }
    this.stats.completed += n;
    return n;
  }

  #transmit(): number {
    const source = this.source;
    if (source === null) return 0;
    const txq = this.#txq!;
    const txPool = this.#rings!.txPool;
    const free = this.#freeTx;
    let n = 0;
    this.#txBlocked = false;
    for (;;) {
      const index = free.pop();
      if (index === undefined) {
        this.#txBlocked = true;
        break;
      }
      const length = source.produce(this.#txViews[index]!);
      if (length === 0) {
        free.push(index);
        break;
      }
      if (!Number.isInteger(length) || length < 0 || length > NET_BUFFER_SIZE - VirtioNetHdrSize) {
        free.push(index);
        throw new VhostPciNetError("frame-too-large", `a frame of ${length} bytes does not fit a ${NET_BUFFER_SIZE}-byte buffer`);
      }
      const segment = this.#segment[0]!;
      segment.address = txPool + index * NET_BUFFER_SIZE;
      segment.length = VirtioNetHdrSize + length;
      txq.add(this.#segment, NO_SEGMENTS, index);
      n++;
    }
    if (n > 0) {
      this.stats.sent += n;
      if (txq.needsKick()) this.#kickTransmit();
    }
    return n;
  }

  #kickTransmit(): void {
    this.stats.kicks++;
    const pv = this.#o.pv;
    // The proposal's notification path: inject the peer's RX queue interrupt directly.
    if (pv !== null && hasFeature(this.#features, VIRTIO_F_PV_INTERRUPT) && this.#peerRxGsis.length > 0) {
      const outcome = pv.inject(this.#peerRxGsis[0]!);
      if (outcome === "delivered" || outcome === "pending") return;
    }
    this.#o.notify(NET_TRANSMITQ);
  }

  #receive(): number {
    const rxq = this.#rxq!;
    const used = this.#used;
    let n = 0;
    while (rxq.getUsed(used) === "used") {
      const index = used.token!;
      if (used.length >= VirtioNetHdrSize) {
        this.sink(this.#rxViews[index]!, VirtioNetHdrSize, used.length - VirtioNetHdrSize);
        this.stats.received++;
      }
      this.#postReceive(index);
      n++;
    }
    if (n > 0 && rxq.needsKick()) this.#o.notify(NET_RECEIVEQ);
    return n;
  }
}

const NO_SEGMENTS: readonly { address: number; length: number }[] = [];
