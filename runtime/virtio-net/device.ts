/**
 * Guest A's virtio-net device when its backend is a vhost-pci-net device in another guest: the register
 * file (with the peer registers of the proposal), the virtio-net configuration (`mac`, `status`), and the
 * peer-link side the vhost-pci-net device talks to (the role QEMU's vhost-user frontend plays).
 *
 * What the device offers its driver depends on the peer: it waits for `backend-features` before finishing
 * its first reset (so a driver that waits for `device_status` to read 0 sees the final offer), offers the
 * peer feature bits the backend can serve, and, when the vhost-pci-net side re-negotiates a subset, restricts
 * its offer and sets DEVICE_NEEDS_RESET when the driver had negotiated more (the proposal: "which may trigger
 * a reset of the peer device").
 *
 * At DRIVER_OK it sends `setup` (features, its guest's memory, its queues). On `connect` it configures the
 * peer registers (the vhost-pci-net guest's RX queues' GSIs and UUID), writes 1 to `peer_connection`,
 * reports the link up in the configuration, notifies the driver and answers `connected`.
 *
 * @module
 */
import { VIRTIO_MSI_NO_VECTOR } from "../notify/index.js";
import { CommonCfgRegisters, DeviceStatus, ISR_CONFIG } from "../vhost-pci-net/common-cfg.js";
import { RefusalLog } from "../vhost-pci-net/errors.js";
import { GuestInterrupts } from "../vhost-pci-net/interrupts.js";
import { virtioPciCapabilities } from "../vhost-pci-net/pci-capabilities.js";
import type { VirtioPciCapability } from "../vhost-pci-net/pci-capabilities.js";
import { parsePeerLinkMessage } from "../vhost-pci-net/peer-link.js";
import type { PeerLinkEndpoint, PeerLinkMessage, PeerMemoryDescriptor, VringInfo } from "../vhost-pci-net/peer-link.js";
import { PvInterruptHypercall } from "../vhost-pci-net/pv-interrupt.js";
import {
  PEER_FEATURE_MASK,
  PeerFeatureBit,
  VIRTIO_F_PV_INTERRUPT,
  VIRTIO_F_RING_EVENT_IDX,
  VIRTIO_F_RING_INDIRECT_DESC,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_S_LINK_UP,
  VirtioNetConfigSize,
  VirtioNetConfigView,
  featureMask,
  hasFeature,
} from "../vhost-pci-net/spec.js";

/** Queue index of receiveq1. */
export const NET_RECEIVEQ = 0;
/** Queue index of transmitq1. */
export const NET_TRANSMITQ = 1;

/** What the management environment of guest A provides. */
export interface VirtioNetEnvironment {
  /** Whether the hypervisor implements the PV-interrupt hypercall. */
  readonly pvInterrupt: boolean;
  /** Whether this side can log dirty pages for migration (VHOST_F_LOG_ALL toward the backend). */
  readonly dirtyLogging: boolean;
}

/** Options of {@link VirtioNetPeerDevice}. */
export interface VirtioNetPeerDeviceOptions {
  /** Guest A's RAM, as shared with the backend. */
  memory: PeerMemoryDescriptor;
  /** Guest A's interrupt controller. */
  interrupts: GuestInterrupts;
  /** The link to the vhost-pci-net device. */
  link: PeerLinkEndpoint;
  /** What the VMM supports. */
  environment: VirtioNetEnvironment;
  /** The MAC in the device configuration. */
  mac: Uint8Array;
  /** This device's UUID (told to the backend). */
  uuidHi: bigint;
  /** Low half of the UUID. */
  uuidLo: bigint;
  /** Peer feature bits (virtio-net bits) this device could offer with a capable backend. Default: all. */
  netFeatures?: bigint;
  /** Maximum queue size (default 256). */
  queueSize?: number;
}

/** Where the device stands with its backend. */
export type VirtioNetPeerState = "waiting-backend" | "ready" | "setup-sent" | "connected" | "disconnecting" | "disconnected";

/** Guest A's virtio-net device; see the module comment. */
export class VirtioNetPeerDevice {
  /** The register file. */
  readonly regs: CommonCfgRegisters;
  /** The device configuration (`struct virtio_net_config`) bytes. */
  readonly configBytes: Uint8Array;
  /** Generated view over {@link configBytes}. */
  readonly config: VirtioNetConfigView;
  /** PCI capabilities. */
  readonly capabilities: readonly VirtioPciCapability[];
  /** The PV-interrupt hypercall, or null when the VMM does not support it. */
  readonly pv: PvInterruptHypercall | null;
  /** Input refused so far. */
  readonly refusals = new RefusalLog();
  /** Number of resets the device asked for (DEVICE_NEEDS_RESET) because the backend re-negotiated. */
  resetsForRenegotiation = 0;

  readonly #o: Required<VirtioNetPeerDeviceOptions>;
  #state: VirtioNetPeerState = "waiting-backend";
  #backendFeatures: bigint | null = null;
  /** Peer feature bits the backend re-negotiated down to (all until it does). */
  #allowed = PEER_FEATURE_MASK;
  #backendInterrupts: GuestInterrupts | null = null;
  #refillGsi = 0;
  #kickGsis: readonly number[] = [];

  constructor(options: VirtioNetPeerDeviceOptions) {
    this.#o = { netFeatures: PEER_FEATURE_MASK, queueSize: 256, ...options };
    this.pv = options.environment.pvInterrupt ? new PvInterruptHypercall() : null;
    this.regs = new CommonCfgRegisters({
      queueMaxSizes: [this.#o.queueSize, this.#o.queueSize],
      deviceFeatures: 0n,
      interrupts: options.interrupts,
      hooks: {
        onResetRequest: () => {},
        onFeaturesOk: (f) => this.#onFeaturesOk(f),
        onDriverOk: () => this.#onDriverOk(),
        onPeerDisconnectRequest: () => this.#beginDisconnect(),
      },
    });
    this.configBytes = new Uint8Array(VirtioNetConfigSize);
    this.config = VirtioNetConfigView.over(this.configBytes);
    this.config.mac.set(options.mac.subarray(0, 6));
    this.config.status = 0;
    this.config.max_virtqueue_pairs = 1;
    this.capabilities = virtioPciCapabilities(VirtioNetConfigSize, 4 * 2);
  }

  /** Where the device stands with its backend. */
  get state(): VirtioNetPeerState {
    return this.#state;
  }

  /**
   * One turn: peer-link messages, a pending reset (completed only once the backend's features are known).
   * @returns whether anything happened
   */
  poll(): boolean {
    let progress = false;
    for (let raw = this.#o.link.receive(); raw !== undefined; raw = this.#o.link.receive()) {
      this.#onLinkMessage(raw);
      progress = true;
    }
    if (this.regs.resetPending && this.#backendFeatures !== null && this.#state !== "disconnecting") {
      if (this.#state === "connected") {
        this.#beginDisconnect();
      } else {
        this.regs.completeReset();
        if (this.pv !== null) this.pv.negotiated = false;
        this.#setLinkUp(false);
        this.#state = "ready";
      }
      progress = true;
    }
    return progress;
  }

  /**
   * A driver write to the notification area for queue `index` (a kick). The VMM forwards it to the backend
   * guest as an interrupt (vhost-pci's kick path); nothing happens before the connection.
   */
  notify(index: number): void {
    const backend = this.#backendInterrupts;
    if (backend === null || this.#state !== "connected") return;
    const gsi = index === NET_RECEIVEQ ? this.#refillGsi : (this.#kickGsis[0] ?? this.#refillGsi);
    if (gsi < backend.vectorCount) backend.raise(gsi);
  }

  // ---------------------------------------------------------------- hooks

  #onFeaturesOk(driverFeatures: bigint): boolean {
    if ((driverFeatures & ~this.regs.deviceFeatures) !== 0n || !hasFeature(driverFeatures, VIRTIO_F_VERSION_1)) return false;
    if (this.pv !== null) this.pv.negotiated = hasFeature(driverFeatures, VIRTIO_F_PV_INTERRUPT);
    return true;
  }

  #onDriverOk(): void {
    if (this.#state !== "ready") return;
    const negotiated = this.regs.driverFeatures;
    let peerFeatures = negotiated & PEER_FEATURE_MASK & ~featureMask(PeerFeatureBit.VHOST_F_LOG_ALL);
    if (this.#o.environment.dirtyLogging) peerFeatures |= featureMask(PeerFeatureBit.VHOST_F_LOG_ALL) & this.#allowed;
    const vring = (index: number): VringInfo => {
      const q = this.regs.queue(index);
      return {
        index,
        size: q.size,
        // The backend resumes where it stopped: it returned every chain it took, so that is used.idx (0 on a
        // fresh ring).
        lastAvailIdx: this.#usedIdx(toAddress(q.used)),
        desc: toAddress(q.desc),
        avail: toAddress(q.avail),
        used: toAddress(q.used),
        vector: q.msixVector === VIRTIO_MSI_NO_VECTOR ? 0xffffffff : q.msixVector,
        eventIdx: hasFeature(negotiated, VIRTIO_F_RING_EVENT_IDX),
        indirect: hasFeature(negotiated, VIRTIO_F_RING_INDIRECT_DESC),
      };
    };
    this.#state = "setup-sent";
    this.#o.link.send({
      type: "setup",
      features: peerFeatures,
      uuidHi: this.#o.uuidHi,
      uuidLo: this.#o.uuidLo,
      memory: this.#o.memory,
      interrupts: this.#o.interrupts.toDescriptor(),
      txQueues: [vring(NET_TRANSMITQ)],
      rxQueues: [vring(NET_RECEIVEQ)],
    });
  }

  /** used.idx of the ring whose used area is at `used` in this guest's memory (0 when it is not inside it). */
  #usedIdx(used: number): number {
    const m = this.#o.memory;
    const offset = used + 2 - m.gpaStart;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + 2 > m.size || offset % 2 !== 0) return 0;
    return Atomics.load(new Uint16Array(m.buffer, offset, 1), 0);
  }

  #beginDisconnect(): void {
    if (this.#state !== "connected") return;
    this.#state = "disconnecting";
    this.#o.link.send({ type: "disconnect" });
  }

  // ---------------------------------------------------------------- peer link

  #onLinkMessage(raw: unknown): void {
    const parsed = parsePeerLinkMessage(raw);
    if (!parsed.ok) {
      this.refusals.add("malformed-peer-message", parsed.detail);
      return;
    }
    const m = parsed.message;
    switch (m.type) {
      case "backend-features":
        this.#backendFeatures = m.features & PEER_FEATURE_MASK;
        this.#offer();
        if (this.#state === "waiting-backend") {
          this.#state = "ready";
        } else if (this.#state === "disconnected" && (this.regs.view.device_status & DeviceStatus.DRIVER_OK) !== 0 && !this.regs.resetPending) {
          // The backend was reset after closing the connection and announces itself again: offer the rings
          // once more, from where the backend left them, so that the connection can be set up anew.
          this.#state = "ready";
          this.#onDriverOk();
        }
        return;
      case "renegotiate":
        return this.#onRenegotiate(m.features);
      case "connect":
        return this.#onConnect(m);
      case "disconnect":
        // The backend stops touching this guest's memory before it sends this; stop injecting into it.
        this.#closeConnection();
        this.#o.link.send({ type: "disconnected" });
        return;
      case "disconnected":
        if (this.#state !== "disconnecting") return this.#unexpected(m.type);
        this.#closeConnection();
        return;
      default:
        return this.#unexpected(m.type);
    }
  }

  #onRenegotiate(features: bigint): void {
    if (this.#state !== "setup-sent") return this.#unexpected("renegotiate");
    this.#allowed = features & PEER_FEATURE_MASK;
    this.#offer();
    const negotiated = this.regs.driverFeatures & PEER_FEATURE_MASK & ~featureMask(PeerFeatureBit.VHOST_F_LOG_ALL);
    this.#state = "ready";
    if ((negotiated & ~this.#allowed) !== 0n) {
      // The driver negotiated bits the backend no longer serves: it must reset and negotiate again.
      this.resetsForRenegotiation++;
      this.regs.setStatusBits(DeviceStatus.DEVICE_NEEDS_RESET);
    } else {
      this.#onDriverOk();
    }
  }

  #onConnect(m: Extract<PeerLinkMessage, { type: "connect" }>): void {
    if (this.#state !== "setup-sent") return this.#unexpected("connect");
    try {
      this.#backendInterrupts = GuestInterrupts.fromDescriptor(m.interrupts);
    } catch (err) {
      this.refusals.add("malformed-peer-message", `backend interrupts: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.#kickGsis = m.rxQueueGsis;
    this.#refillGsi = m.refillGsi;
    this.regs.setPeerInfo(m.rxQueueGsis, m.uuidHi, m.uuidLo);
    this.pv?.route(this.#backendInterrupts);
    this.#state = "connected";
    this.#setLinkUp(true);
    this.regs.setPeerConnection(1);
    this.#o.link.send({ type: "connected" });
  }

  #closeConnection(): void {
    this.pv?.route(null);
    this.#backendInterrupts = null;
    this.regs.clearPeerInfo();
    this.#state = "disconnected";
    this.#setLinkUp(false);
    this.regs.setPeerConnection(0);
  }

  #unexpected(type: string): void {
    this.refusals.add("unexpected-peer-message", `${type} in state ${this.#state}`);
  }

  /** Recomputes the offer: virtio 1.x, event index, MAC, link status, PV interrupts if the VMM has them, and the peer bits. */
  #offer(): void {
    let f = featureMask(VIRTIO_F_VERSION_1) | featureMask(VIRTIO_F_RING_EVENT_IDX) | featureMask(VIRTIO_NET_F_MAC) | featureMask(VIRTIO_NET_F_STATUS);
    if (this.#o.environment.pvInterrupt) f |= featureMask(VIRTIO_F_PV_INTERRUPT);
    // VHOST_F_LOG_ALL is a backend capability, not a virtio-net feature: it is never offered to the driver.
    const peerBits = (this.#backendFeatures ?? 0n) & this.#o.netFeatures & this.#allowed & ~featureMask(PeerFeatureBit.VHOST_F_LOG_ALL);
    this.regs.offerFeatures(f | peerBits);
  }

  #setLinkUp(up: boolean): void {
    const status = up ? VIRTIO_NET_S_LINK_UP : 0;
    if (this.config.status === status) return;
    this.config.status = status;
    // Device configuration changed: a new generation, and a configuration interrupt.
    this.regs.bumpConfigGeneration();
    this.regs.raiseConfigChange(ISR_CONFIG);
  }
}

/** A driver-written 64-bit address as a number (past 2^53 - 1 it becomes an address no memory has). */
function toAddress(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.MAX_SAFE_INTEGER;
}
