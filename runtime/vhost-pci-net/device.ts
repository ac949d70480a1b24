/**
 * The vhost-pci-net device model (guest B's device): its common configuration register file, its three
 * virtqueues (control receiveq, control transmitq, receiveq), the peer link to the virtio-net device it
 * serves, the BARs through which its driver maps the peer's memory, and the PV-interrupt hypercall.
 *
 * Negotiation with the peer and the driver (the order the proposal implies, made explicit):
 *
 * 1. On start the device tells the peer which peer feature bits it can serve (`backend-features`).
 * 2. The peer sends `setup` (its negotiated feature bits, memory, queues). Once the driver is DRIVER_OK the
 *    device sends VHOST_PCI_CTRL_PEER_FEATURE_BITS with those bits on the control receiveq.
 * 3. The driver answers with the bits it accepts. A strict subset makes the device re-negotiate with the
 *    peer (`renegotiate`, which resets the peer device); the peer's next `setup` restarts step 2.
 * 4. VHOST_PCI_CTRL_PEER_MEM_INFO: with need_map N the device maps the peer memory into the driver's
 *    address space and sends the address; with need_map Y it sends the BAR id and waits for the driver's
 *    answer with the address it mapped the BAR at.
 * 5. VHOST_PCI_CTRL_PEER_VIRTQ_INFO twice: the peer's TX queues (the driver's mirrored RX queues) and RX
 *    queues (mirrored TX). The driver answers each with the number of queues it set up.
 * 6. `connect` to the peer (where it injects its notifications); on `connected` the device configures the
 *    peer registers, writes 1 to `peer_connection` and notifies the driver (ISR bit 2).
 *
 * Closing: a driver write of 0 to `peer_connection` makes the device send `disconnect`; on `disconnected`
 * it unmaps the peer memory, writes 0 and notifies. A `disconnect` from the peer makes the device write 0
 * and notify first; it answers `disconnected` once the driver has read the 0 (from then on the driver no
 * longer touches the peer's memory).
 *
 * Every input (control messages from the driver, peer-link messages) is validated; refusals are recorded
 * in {@link VhostPciNetDevice.refusals} and never throw out of {@link VhostPciNetDevice.poll}.
 *
 * @module
 */
import type { GuestMemory } from "../memory/index.js";
import { VIRTIO_MSI_NO_VECTOR } from "../notify/index.js";
import { SplitQueueDevice } from "../virtqueue/index.js";
import type { SplitRingAddresses } from "../virtqueue/index.js";
import { CommonCfgRegisters, DeviceStatus } from "./common-cfg.js";
import { CONTROL_RECEIVEQ, CONTROL_TRANSMITQ, ControlQueueDevice, RECEIVEQ } from "./control-queues.js";
import type { DirtyPageLog } from "./dirty-log.js";
import { RefusalLog, VhostPciNetError } from "./errors.js";
import { GuestInterrupts } from "./interrupts.js";
import { virtioPciCapabilities } from "./pci-capabilities.js";
import type { VirtioPciCapability } from "./pci-capabilities.js";
import { encodeOtherMemInfo } from "./peer-memory.js";
import type { DeviceBar, DriverAddressSpace } from "./peer-memory.js";
import { parsePeerLinkMessage } from "./peer-link.js";
import type { PeerLinkEndpoint, PeerLinkMessage, VringInfo } from "./peer-link.js";
import { PvInterruptHypercall } from "./pv-interrupt.js";
import {
  CodecError,
  PEER_FEATURE_MASK,
  VHOST_PCI_DIRTY_PAGE_LOGGING_OFF,
  VHOST_PCI_DIRTY_PAGE_LOGGING_ON,
  VHOST_PCI_MEM_INFO_NEED_MAP_N,
  VHOST_PCI_MEM_INFO_NEED_MAP_Y,
  VHOST_PCI_PEER_VIRTQ_RX,
  VHOST_PCI_PEER_VIRTQ_TX,
  VIRTIO_F_PV_INTERRUPT,
  VIRTIO_F_VERSION_1,
  VhostPciNetDeviceFeatureBit,
  PeerFeatureBit,
  decodeVhostPciNetRequest,
  encodeVhostPciNetRequest,
  featureMask,
  hasFeature,
} from "./spec.js";
import type { VhostPciNetCommandName, VhostPciNetDecodedRequest, VhostPciNetRequestInputs } from "./spec.js";
import { PEER_VIRTQ_F_EVENT_IDX, PEER_VIRTQ_F_INDIRECT_DESC, encodePeerVirtqEntries } from "./virtq-entry.js";

/** BAR holding the peer's memory. */
export const PEER_MEMORY_BAR = 2;
/** BAR holding the dirty-page log. */
export const DIRTY_LOG_BAR = 3;
/** Driver address where the device maps the peer memory itself when need_map is N. */
export const PREMAPPED_PEER_ADDRESS = 2 ** 40;
/** Most feature re-negotiations with the peer before the device gives up (the subset shrinks each time). */
const MAX_RENEGOTIATIONS = 8;

/** What the management environment (the VMM) provides. */
export interface ManagementEnvironment {
  /** Whether the hypervisor implements the PV-interrupt hypercall. */
  readonly pvInterrupt: boolean;
}

/** Options of {@link VhostPciNetDevice}. */
export interface VhostPciNetDeviceOptions {
  /** Guest B's memory (the control queues and receiveq live there). */
  memory: GuestMemory;
  /** Guest B's interrupt controller. */
  interrupts: GuestInterrupts;
  /** The link to the peer (virtio-net) device. */
  link: PeerLinkEndpoint;
  /** Guest B's driver address space (the device maps the peer memory there when need_map is N). */
  addressSpace: DriverAddressSpace;
  /** What the VMM supports. */
  environment: ManagementEnvironment;
  /** How the driver gets at the peer memory. Default "Y". */
  needMap?: "N" | "Y";
  /** The `vhost_pci_id` of this device (assigned by the management software). */
  vhostPciId: bigint;
  /** This device's UUID, told to the peer. */
  uuidHi: bigint;
  /** Low half of the UUID. */
  uuidLo: bigint;
  /** Peer feature bits the device can serve. Default: every bit the proposal lists. */
  supportedPeerFeatures?: bigint;
  /** The log the management environment provides for dirty-page logging (exposed as BAR 3). */
  dirtyLog?: DirtyPageLog;
  /** Maximum sizes of the control queues (default 16) and of the receiveq (default 256). */
  controlQueueSize?: number;
  /** Maximum size of the receiveq. */
  receiveQueueSize?: number;
}

/** Where the device is in its negotiation with the peer. */
export type PeerState =
  | "waiting-setup"
  | "features-sent"
  | "renegotiating"
  | "mem-sent"
  | "virtq-sent"
  | "connecting"
  | "connected"
  | "disconnecting"
  | "peer-disconnecting"
  | "disconnected"
  | "failed";

type SetupMessage = Extract<PeerLinkMessage, { type: "setup" }>;

/** The vhost-pci-net device; see the module comment. */
export class VhostPciNetDevice {
  /** The register file the driver accesses. */
  readonly regs: CommonCfgRegisters;
  /** The PCI capabilities (no device configuration: "None currently defined"). */
  readonly capabilities: readonly VirtioPciCapability[];
  /** The PV-interrupt hypercall, or null when the management environment does not support it. */
  readonly pv: PvInterruptHypercall | null;
  /** The BARs the driver can map, by id. */
  readonly bars = new Map<number, DeviceBar>();
  /** Input refused so far. */
  readonly refusals = new RefusalLog();
  /** Every peer feature word sent to the driver in PEER_FEATURE_BITS, in order. */
  readonly peerFeatureBitsSent: bigint[] = [];
  /** The MAC the driver set with VHOST_PCI_CTRL_MAC, if any. */
  mac: Uint8Array | null = null;
  /** Why the negotiation stopped for good, when it did. */
  failure: string | null = null;

  readonly #o: Required<Omit<VhostPciNetDeviceOptions, "dirtyLog">> & { dirtyLog?: DirtyPageLog };
  #state: PeerState = "waiting-setup";
  #setup: SetupMessage | null = null;
  #peerInterrupts: GuestInterrupts | null = null;
  #features = 0n;
  #control: ControlQueueDevice | null = null;
  #acks = { tx: false, rx: false };
  #driverPeerAddress: number | null = null;
  #renegotiations = 0;
  #logging = false;
  #started = false;
  /** A control queue broke: nothing is served until the driver resets the device. */
  #needsReset = false;
  /** Times the device entered its error state (set DEVICE_NEEDS_RESET). */
  needsResetCount = 0;

  /** @throws VhostPciNetError `invalid-option` for bad options (trusted caller) */
  constructor(options: VhostPciNetDeviceOptions) {
    const o = {
      needMap: "Y" as const,
      supportedPeerFeatures: PEER_FEATURE_MASK,
      controlQueueSize: 16,
      receiveQueueSize: 256,
      ...options,
    };
    if ((o.supportedPeerFeatures & ~PEER_FEATURE_MASK) !== 0n) {
      throw new VhostPciNetError("invalid-option", "supported peer features must be peer feature bits of the proposal");
    }
    this.#o = o;
    // The reserved-feature requirement added by the proposal: offer PV_INTERRUPT only when the VMM has it.
    let offered = featureMask(VIRTIO_F_VERSION_1) | featureMask(VhostPciNetDeviceFeatureBit.CTRL_MAC_ADDR);
    if (o.environment.pvInterrupt) offered |= featureMask(VIRTIO_F_PV_INTERRUPT);
    this.pv = o.environment.pvInterrupt ? new PvInterruptHypercall() : null;
    this.regs = new CommonCfgRegisters({
      queueMaxSizes: [o.controlQueueSize, o.controlQueueSize, o.receiveQueueSize],
      deviceFeatures: offered,
      interrupts: o.interrupts,
      hooks: {
        onResetRequest: () => this.#onResetRequest(),
        onFeaturesOk: (f) => this.#onFeaturesOk(f),
        onDriverOk: () => this.#onDriverOk(),
        onPeerDisconnectRequest: () => this.#onDisconnectRequest(),
      },
    });
    this.capabilities = virtioPciCapabilities(0, 4 * 3);
    if (o.dirtyLog !== undefined) this.bars.set(DIRTY_LOG_BAR, { id: DIRTY_LOG_BAR, buffer: o.dirtyLog.buffer, size: o.dirtyLog.buffer.byteLength });
  }

  /** Where the negotiation with the peer stands. */
  get state(): PeerState {
    return this.#state;
  }

  /** The peer feature bits in force (after the driver accepted them), or 0 before. */
  get peerFeatures(): bigint {
    return this.#features;
  }

  /** The driver address at which the driver mapped the peer memory (need_map Y answer), if known. */
  get driverPeerAddress(): number | null {
    return this.#driverPeerAddress;
  }

  /** Whether dirty-page logging is on. */
  get logging(): boolean {
    return this.#logging;
  }

  /**
   * One turn of the device: link messages, a finished reset, the control transmitq, outgoing control
   * messages. @returns whether anything happened.
   */
  poll(): boolean {
    let progress = false;
    if (!this.#started) {
      this.#started = true;
      this.#o.link.send({ type: "backend-features", features: this.#o.supportedPeerFeatures });
      progress = true;
    }
    for (let raw = this.#o.link.receive(); raw !== undefined; raw = this.#o.link.receive()) {
      this.#onLinkMessage(raw);
      progress = true;
    }
    if (this.regs.resetPending && this.#state !== "disconnecting" && this.#state !== "peer-disconnecting") {
      this.#finishReset();
      progress = true;
    }
    if (this.#state === "peer-disconnecting" && (this.regs.lastDriverPeerConnectionRead === 0 || this.regs.resetPending)) {
      // The driver has seen the connection close (or is resetting): it no longer touches the peer's memory.
      this.#unmapPeer();
      this.#o.link.send({ type: "disconnected" });
      this.#state = "disconnected";
      progress = true;
    }
    const control = this.#control;
    if (control !== null && !this.#needsReset) {
      for (let m = control.receive(); m !== undefined; m = control.receive()) {
        this.#onDriverMessage(m);
        progress = true;
      }
      if (control.flush()) progress = true;
      if (control.broken) {
        // The device's one error path (QEMU's virtio_error): stop serving the control queues, set
        // DEVICE_NEEDS_RESET and send the configuration change notification (§2.1.1: "If DRIVER_OK is set,
        // after it sets DEVICE_NEEDS_RESET, the device MUST send a device configuration change notification").
        this.#needsReset = true;
        this.needsResetCount++;
        this.regs.setStatusBits(DeviceStatus.DEVICE_NEEDS_RESET);
        progress = true;
      }
    }
    return progress;
  }

  /**
   * Management command (e.g. live migration starting or ending): turns the driver's dirty-page logging on
   * or off with VHOST_PCI_CTRL_DIRTY_PAGE_LOGGING.
   * @throws VhostPciNetError `invalid-state` unless connected with VHOST_F_LOG_ALL negotiated and a log BAR
   */
  setDirtyLogging(on: boolean): void {
    if (this.#state !== "connected") throw new VhostPciNetError("invalid-state", `dirty logging needs a connection (state ${this.#state})`);
    if (!hasFeature(this.#features, PeerFeatureBit.VHOST_F_LOG_ALL) || !this.bars.has(DIRTY_LOG_BAR)) {
      throw new VhostPciNetError("invalid-state", "VHOST_F_LOG_ALL was not negotiated or no log was provided");
    }
    this.#logging = on;
    this.#sendToDriver("DIRTY_PAGE_LOGGING", { off_or_on: on ? VHOST_PCI_DIRTY_PAGE_LOGGING_ON : VHOST_PCI_DIRTY_PAGE_LOGGING_OFF });
  }

  // ---------------------------------------------------------------- register hooks

  #onResetRequest(): void {
    // The connection must be closed with the peer before the device forgets it.
    if (this.#state === "connected" || this.#state === "connecting") this.#beginDisconnect();
    // Otherwise the reset completes on the next poll: the driver must wait for device_status to read 0.
  }

  #finishReset(): void {
    // A reset that closed the connection leaves the peer's rings where the data path stopped: the old setup is
    // stale. Announce the backend again so that the peer offers its rings afresh (then negotiation restarts).
    const closedPeer = this.#state === "disconnected" && this.#setup !== null;
    this.regs.completeReset();
    this.#control = null;
    this.#needsReset = false;
    this.#acks = { tx: false, rx: false };
    if (this.pv !== null) {
      this.pv.negotiated = false;
      this.pv.route(null);
    }
    // The peer's setup stays valid across a reset of this device: negotiation restarts at DRIVER_OK.
    if (this.#state !== "failed") this.#state = "waiting-setup";
    this.#features = 0n;
    this.#logging = false;
    if (closedPeer && this.#state === "waiting-setup") {
      this.#setup = null;
      this.#o.link.send({ type: "backend-features", features: this.#o.supportedPeerFeatures });
    }
  }

  #onFeaturesOk(driverFeatures: bigint): boolean {
    // Refuse features never offered, and a driver that does not accept VIRTIO_F_VERSION_1 (the "MAY fail").
    if ((driverFeatures & ~this.regs.deviceFeatures) !== 0n || !hasFeature(driverFeatures, VIRTIO_F_VERSION_1)) return false;
    if (this.pv !== null) this.pv.negotiated = hasFeature(driverFeatures, VIRTIO_F_PV_INTERRUPT);
    return true;
  }

  #onDriverOk(): void {
    const regs = this.regs;
    const ring = (i: number): SplitRingAddresses => {
      const q = regs.queue(i);
      return { size: q.size, descAddress: toAddress(q.desc), availAddress: toAddress(q.avail), usedAddress: toAddress(q.used) };
    };
    // Ring layouts come from the driver: a bad one yields a broken queue (reported when used), never a throw.
    const rx = new SplitQueueDevice(this.#o.memory, ring(CONTROL_RECEIVEQ));
    const tx = new SplitQueueDevice(this.#o.memory, ring(CONTROL_TRANSMITQ));
    this.#control = new ControlQueueDevice(this.#o.memory, rx, tx, this.refusals, (q) => regs.raiseQueueInterrupt(q));
    if (this.#setup !== null && this.#state === "waiting-setup") this.#sendFeatureBits();
  }

  #onDisconnectRequest(): void {
    if (this.#state === "connected") this.#beginDisconnect();
  }

  #beginDisconnect(): void {
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
      case "setup":
        return this.#onSetup(m);
      case "connected":
        if (this.#state !== "connecting") return this.#unexpectedPeer(m.type);
        return this.#completeConnection();
      case "disconnect":
        if (this.#state === "connected" || this.#state === "connecting") {
          this.#state = "peer-disconnecting";
          this.regs.clearPeerInfo();
          this.regs.setPeerConnection(0);
          return;
        }
        // Not connected: nothing of the peer's is in use; acknowledge at once.
        this.#o.link.send({ type: "disconnected" });
        return;
      case "disconnected":
        if (this.#state !== "disconnecting") return this.#unexpectedPeer(m.type);
        this.#unmapPeer();
        this.regs.clearPeerInfo();
        this.#state = "disconnected";
        this.regs.setPeerConnection(0);
        return;
      default:
        return this.#unexpectedPeer(m.type);
    }
  }

  #onSetup(m: SetupMessage): void {
    if (this.#state !== "waiting-setup" && this.#state !== "renegotiating") return this.#unexpectedPeer("setup");
    const mem = m.memory;
    if (mem.size <= 0 || mem.size > mem.buffer.byteLength || mem.gpaStart % 8 !== 0 || mem.gpaStart + mem.size > Number.MAX_SAFE_INTEGER) {
      this.refusals.add("invalid-peer-memory", `peer memory 0x${mem.gpaStart.toString(16)}+${mem.size} in a ${mem.buffer.byteLength}-byte buffer`);
      return;
    }
    if (m.txQueues.length === 0 || m.rxQueues.length === 0) {
      this.refusals.add("malformed-peer-message", "setup without TX or RX queues");
      return;
    }
    try {
      this.#peerInterrupts = GuestInterrupts.fromDescriptor(m.interrupts);
    } catch (err) {
      this.refusals.add("malformed-peer-message", `peer interrupts: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.#setup = m;
    this.bars.set(PEER_MEMORY_BAR, { id: PEER_MEMORY_BAR, buffer: mem.buffer, size: mem.size });
    this.#state = "waiting-setup";
    if (this.#control !== null) this.#sendFeatureBits();
  }

  #unexpectedPeer(type: string): void {
    this.refusals.add("unexpected-peer-message", `${type} in state ${this.#state}`);
  }

  #completeConnection(): void {
    const setup = this.#setup!;
    this.regs.setPeerInfo(
      setup.rxQueues.map((q) => q.vector),
      setup.uuidHi,
      setup.uuidLo,
    );
    this.pv?.route(this.#peerInterrupts);
    this.#state = "connected";
    // The proposal's MUST: write 1 once the negotiation with the peer is done, and notify the driver.
    this.regs.setPeerConnection(1);
  }

  #unmapPeer(): void {
    this.pv?.route(null);
    this.#logging = false;
    if (this.#o.needMap === "N") this.#o.addressSpace.unmap(PREMAPPED_PEER_ADDRESS);
  }

  // ---------------------------------------------------------------- control messages

  #sendFeatureBits(): void {
    const offered = this.#setup!.features & this.#o.supportedPeerFeatures;
    this.peerFeatureBitsSent.push(offered);
    this.#state = "features-sent";
    this.#sendToDriver("PEER_FEATURE_BITS", { feature_bits: offered });
  }

  #sendMemInfo(): void {
    const mem = this.#setup!.memory;
    let peerMem: bigint;
    if (this.#o.needMap === "N") {
      this.#o.addressSpace.unmap(PREMAPPED_PEER_ADDRESS);
      this.#o.addressSpace.map(PREMAPPED_PEER_ADDRESS, mem.buffer, mem.size);
      peerMem = BigInt(PREMAPPED_PEER_ADDRESS);
    } else {
      peerMem = BigInt(PEER_MEMORY_BAR);
    }
    this.#state = "mem-sent";
    this.#sendToDriver("PEER_MEM_INFO", {
      need_map: this.#o.needMap === "N" ? VHOST_PCI_MEM_INFO_NEED_MAP_N : VHOST_PCI_MEM_INFO_NEED_MAP_Y,
      peer_mem: peerMem,
      other_mem_info: encodeOtherMemInfo({ gpaStart: mem.gpaStart, size: mem.size }),
    });
    // With need_map N there is nothing to wait for: the driver uses the mapping directly.
    if (this.#o.needMap === "N") this.#sendVirtqInfo();
  }

  #sendVirtqInfo(): void {
    const setup = this.#setup!;
    this.#state = "virtq-sent";
    this.#acks = { tx: false, rx: false };
    for (const [dir, queues] of [
      [VHOST_PCI_PEER_VIRTQ_TX, setup.txQueues],
      [VHOST_PCI_PEER_VIRTQ_RX, setup.rxQueues],
    ] as const) {
      this.#sendToDriver("PEER_VIRTQ_INFO", { tx_or_rx: dir, virtq_num: queues.length, vq: encodePeerVirtqEntries(queues.map(entryOf)) });
    }
  }

  #sendToDriver<K extends VhostPciNetCommandName>(command: K, request: VhostPciNetRequestInputs[K]): void {
    const bytes = encodeVhostPciNetRequest(command, request, { vhost_pci_id: this.#o.vhostPciId });
    this.#control?.send(bytes);
  }

  #onDriverMessage(bytes: Uint8Array): void {
    let msg: VhostPciNetDecodedRequest;
    try {
      msg = decodeVhostPciNetRequest(bytes);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.refusals.add(err.reason === "unknown-command" ? "unknown-request" : "malformed-control-message", err.message);
      return;
    }
    // The driver learns the id from the device's messages; before the first one it can only send 0.
    if (msg.header.vhost_pci_id !== this.#o.vhostPciId && msg.header.vhost_pci_id !== 0n) {
      this.refusals.add("unexpected-request", `${msg.command} for vhost_pci_id ${msg.header.vhost_pci_id}, this device is ${this.#o.vhostPciId}`);
      return;
    }
    switch (msg.command) {
      case "PEER_FEATURE_BITS":
        return this.#onDriverFeatureBits(msg.request.feature_bits);
      case "PEER_MEM_INFO":
        return this.#onDriverMemInfo(msg.request.need_map, msg.request.peer_mem);
      case "PEER_VIRTQ_INFO":
        return this.#onDriverVirtqAck(msg.request.tx_or_rx, msg.request.virtq_num);
      case "MAC":
        return this.#onDriverMac(msg.request);
      case "DIRTY_PAGE_LOGGING":
        this.refusals.add("unexpected-request", "DIRTY_PAGE_LOGGING is sent by the device, not the driver");
        return;
    }
  }

  #onDriverFeatureBits(accepted: bigint): void {
    if (this.#state !== "features-sent") return this.#unexpectedDriver("PEER_FEATURE_BITS");
    const offered = this.peerFeatureBitsSent[this.peerFeatureBitsSent.length - 1]!;
    if ((accepted & ~offered) !== 0n) {
      this.refusals.add("feature-bits-not-subset", `driver accepted 0x${accepted.toString(16)} of 0x${offered.toString(16)}`);
      this.#sendFeatureBits();
      return;
    }
    if (accepted !== offered) {
      if (++this.#renegotiations > MAX_RENEGOTIATIONS) {
        this.failure = `feature negotiation did not settle after ${MAX_RENEGOTIATIONS} rounds`;
        this.#state = "failed";
        return;
      }
      // The proposal: "the device needs to re-negotiate the subset of feature bits with the peer device".
      this.#state = "renegotiating";
      this.#o.link.send({ type: "renegotiate", features: accepted });
      return;
    }
    this.#features = accepted;
    this.#sendMemInfo();
  }

  #onDriverMemInfo(needMap: number, peerMem: bigint): void {
    if (this.#state !== "mem-sent" || this.#o.needMap !== "Y") return this.#unexpectedDriver("PEER_MEM_INFO");
    if (needMap !== VHOST_PCI_MEM_INFO_NEED_MAP_Y) {
      this.refusals.add("invalid-need-map", `driver answered need_map ${needMap}`);
      return;
    }
    const bar = this.bars.get(PEER_MEMORY_BAR)!;
    const address = peerMem <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(peerMem) : -1;
    const mapping = this.#o.addressSpace.mappingAt(address);
    if (mapping === undefined || mapping.buffer !== bar.buffer) {
      this.refusals.add("peer-memory-unmapped", `driver says it mapped the peer memory at 0x${peerMem.toString(16)}, no such mapping of BAR ${PEER_MEMORY_BAR}`);
      return;
    }
    this.#driverPeerAddress = address;
    this.#sendVirtqInfo();
  }

  #onDriverVirtqAck(direction: number, count: number): void {
    if (this.#state !== "virtq-sent") return this.#unexpectedDriver("PEER_VIRTQ_INFO");
    const setup = this.#setup!;
    const expected = direction === VHOST_PCI_PEER_VIRTQ_TX ? setup.txQueues.length : direction === VHOST_PCI_PEER_VIRTQ_RX ? setup.rxQueues.length : -1;
    if (expected < 0) {
      this.refusals.add("invalid-virtq-direction", `tx_or_rx ${direction}`);
      return;
    }
    if (count !== expected) {
      // The driver refused the peer's queues: no connection.
      this.failure = `the driver set up ${count} of ${expected} ${direction === VHOST_PCI_PEER_VIRTQ_TX ? "TX" : "RX"} queues of the peer`;
      this.#state = "failed";
      return;
    }
    if (direction === VHOST_PCI_PEER_VIRTQ_TX) this.#acks.tx = true;
    else this.#acks.rx = true;
    if (this.#acks.tx && this.#acks.rx) {
      this.#state = "connecting";
      const vector = this.#notificationVector();
      this.#o.link.send({
        type: "connect",
        uuidHi: this.#o.uuidHi,
        uuidLo: this.#o.uuidLo,
        interrupts: this.#o.interrupts.toDescriptor(),
        rxQueueGsis: setup.txQueues.map(() => vector),
        refillGsi: vector,
      });
    }
  }

  #onDriverMac(payload: Uint8Array): void {
    if (!hasFeature(this.regs.driverFeatures, VhostPciNetDeviceFeatureBit.CTRL_MAC_ADDR)) return this.#unexpectedDriver("MAC (VHOST_PCI_NET_F_CTRL_MAC_ADDR not negotiated)");
    if (payload.length !== 6 || (payload[0]! & 1) !== 0) {
      this.refusals.add("invalid-mac", `MAC payload of ${payload.length} bytes${payload.length > 0 && (payload[0]! & 1) !== 0 ? " (multicast)" : ""}`);
      return;
    }
    this.mac = payload.slice();
  }

  #unexpectedDriver(what: string): void {
    this.refusals.add("unexpected-request", `${what} in state ${this.#state}`);
  }

  /**
   * The vector the peer raises to tell the driver about its rings: the receiveq's vector (the driver polls
   * its mirrored queues when it fires), else the configuration vector.
   */
  #notificationVector(): number {
    const v = this.regs.queue(RECEIVEQ).msixVector;
    if (v !== VIRTIO_MSI_NO_VECTOR) return v;
    const c = this.regs.configVector;
    return c === VIRTIO_MSI_NO_VECTOR ? 0 : c;
  }
}

function entryOf(q: VringInfo): Parameters<typeof encodePeerVirtqEntries>[0][number] {
  return {
    queueIndex: q.index,
    size: q.size,
    lastAvailIdx: q.lastAvailIdx,
    flags: (q.eventIdx ? PEER_VIRTQ_F_EVENT_IDX : 0) | (q.indirect ? PEER_VIRTQ_F_INDIRECT_DESC : 0),
    vector: q.vector,
    desc: BigInt(q.desc),
    avail: BigInt(q.avail),
    used: BigInt(q.used),
  };
}

/** A driver-written 64-bit address as a number; anything past 2^53 - 1 becomes an address no memory has. */
function toAddress(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.MAX_SAFE_INTEGER;
}
