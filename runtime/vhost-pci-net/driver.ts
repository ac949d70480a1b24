/**
 * The vhost-pci-net driver (guest B's driver): initializes the device through its common configuration,
 * answers the device's control messages, maps the peer's memory, mirrors the peer's virtqueues and moves
 * packets:
 *
 * - receiving: packets are copied from the mirrored RX queues (the peer's TX rings, popped with the
 *   hostile-proof device side) into buffers of the driver's own receiveq, then delivered from the receiveq to
 *   the guest's stack ({@link FrameSink}). The receiveq's consuming role is played by this copy engine, as
 *   the proposal says ("the driver copies packets from the mirrored RX virtqueues to its own RX virtqueue");
 * - transmitting: frames from the guest's stack ({@link FrameSource}) are written into the buffers of the
 *   mirrored TX queues (the peer's RX rings), after which the peer is interrupted through the PV-interrupt
 *   hypercall on the GSI the device configured in `peer_rx_queue_gsi`.
 *
 * Every control message is decoded with the generated codec and validated; anything wrong is refused with
 * a named reason ({@link VhostPciNetDriver.refusals}) and answered as the decisions document says (a
 * refused PEER_VIRTQ_INFO is acknowledged with `virtq_num` 0). A peer ring the device side refuses stops
 * that mirrored queue (`mirrored-ring-broken`); nothing the peer writes can make the driver throw or read
 * outside the peer memory it mapped.
 *
 * The driver follows the common-configuration rules the proposal adds: it never writes 1 to
 * `peer_connection`, reads the peer registers only after it was notified of a 1, closes a connection by
 * stopping its data path and writing 0, and unloads only after reading 0.
 *
 * @module
 */
import type { GuestMemory } from "../memory/index.js";
import { SplitQueueDevice, SplitQueueDriver, UsedBuffer, bindSplitRing, gatherReadable, ringAlignmentProblem, scatterWritable } from "../virtqueue/index.js";
import type { DescriptorChain, SplitRingAddresses } from "../virtqueue/index.js";
import type { FrameSink, FrameSource } from "../virtio-net/frame-io.js";
import type { GuestLayout } from "../virtio-net/guest-layout.js";
import { randomLocalMac } from "../virtio-net/mac.js";
import { DeviceStatus, ISR_CONFIG, ISR_PEER_STATUS } from "./common-cfg.js";
import type { CommonCfgRegisters } from "./common-cfg.js";
import { CONTROL_BUFFER_SIZE, CONTROL_RECEIVEQ, CONTROL_TRANSMITQ, ControlQueueDriver, RECEIVEQ } from "./control-queues.js";
import { DIRTY_LOG_BAR } from "./device.js";
import { DirtyPageLog } from "./dirty-log.js";
import { RefusalLog, VhostPciNetError } from "./errors.js";
import type { GuestInterrupts } from "./interrupts.js";
import { InterruptReceiver } from "./interrupts.js";
import { DirtyLogging, MirroredQueue, scatterLogged } from "./mirrored-queue.js";
import type { MirrorDirection, MirroredQueueSpec } from "./mirrored-queue.js";
import { decodeOtherMemInfo, peerGuestMemory } from "./peer-memory.js";
import type { DeviceBar, DriverAddressSpace, PeerMemoryRange } from "./peer-memory.js";
import type { PvInterruptHypercall } from "./pv-interrupt.js";
import {
  CodecError,
  PEER_FEATURE_MASK,
  PeerFeatureBit,
  VHOST_PCI_DIRTY_PAGE_LOGGING_OFF,
  VHOST_PCI_DIRTY_PAGE_LOGGING_ON,
  VHOST_PCI_MEM_INFO_NEED_MAP_N,
  VHOST_PCI_MEM_INFO_NEED_MAP_Y,
  VHOST_PCI_PEER_VIRTQ_RX,
  VHOST_PCI_PEER_VIRTQ_TX,
  VIRTIO_F_PV_INTERRUPT,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_HDR_GSO_NONE,
  VhostPciNetDeviceFeatureBit,
  VirtioNetHdrSize,
  decodeVhostPciNetRequest,
  encodeVhostPciNetRequest,
  encodeVirtioNetHdr,
  featureMask,
  hasFeature,
} from "./spec.js";
import type { VhostPciCtrlPeerMemInfo, VhostPciCtrlPeerVirtqInfo, VhostPciNetCommandName, VhostPciNetRequestInputs } from "./spec.js";
import { PEER_VIRTQ_F_EVENT_IDX, PEER_VIRTQ_F_INDIRECT_DESC, decodePeerVirtqEntries } from "./virtq-entry.js";

/** Vector assignment of the driver (the guest's controller needs at least 4 vectors). */
export const VhostPciNetVectors = { CONFIG: 0, CONTROL_RECEIVEQ: 1, CONTROL_TRANSMITQ: 2, RECEIVEQ: 3 } as const;

/** Bytes of each receive buffer: a virtio_net_hdr and a 1514-byte frame, rounded up (the spec's 1526). */
export const RECEIVE_BUFFER_SIZE = 1536;
/** Where the driver maps the peer memory BAR when need_map is Y. */
export const DRIVER_PEER_MAP_ADDRESS = 2 ** 41;

/** Options of {@link VhostPciNetDriver}. */
export interface VhostPciNetDriverOptions {
  /** Guest B's memory. */
  memory: GuestMemory;
  /** Where in it the driver may place rings and buffers. */
  layout: GuestLayout;
  /** Guest B's interrupt controller (≥ 4 vectors). */
  interrupts: GuestInterrupts;
  /** The device's common configuration (MMIO). */
  regs: CommonCfgRegisters;
  /** The device's BARs. */
  bars: ReadonlyMap<number, DeviceBar>;
  /** The driver's address space (where BARs get mapped). */
  addressSpace: DriverAddressSpace;
  /** The PV-interrupt hypercall, when the hypervisor offers one. */
  pv: PvInterruptHypercall | null;
  /** Peer feature bits this driver supports (default: all the proposal lists). */
  supportedPeerFeatures?: bigint;
  /** Most mirrored queues per direction (default 8). */
  maxMirroredQueues?: number;
  /** Receive buffers on the receiveq (default 256, at most the queue size). */
  receiveBuffers?: number;
  /** Frames delivered to the guest's stack. */
  sink?: FrameSink;
  /** Frames the guest's stack wants to send to the peer. */
  source?: FrameSource;
  /** The MAC to set through VHOST_PCI_CTRL_MAC (default: a random locally administered one). */
  mac?: Uint8Array;
}

/** Where the driver is. */
export type VhostPciNetDriverState = "stopped" | "resetting" | "running" | "failed" | "unloaded";

/** Counters of the data path. */
export interface VhostPciNetDriverStats {
  /** Frames copied from the peer into the receiveq. */
  copiedFromPeer: number;
  /** Frames delivered to the sink. */
  delivered: number;
  /** Frames written into the peer's receive buffers. */
  sentToPeer: number;
  /** Peer chains returned unused (frame too large or too short). */
  dropped: number;
  /** PV interrupts injected into the peer. */
  interruptsToPeer: number;
}

/** The vhost-pci-net driver; see the module comment. */
export class VhostPciNetDriver {
  /** Input refused so far. */
  readonly refusals = new RefusalLog();
  /** Data-path counters. */
  readonly stats: VhostPciNetDriverStats = { copiedFromPeer: 0, delivered: 0, sentToPeer: 0, dropped: 0, interruptsToPeer: 0 };

  /** Whether a frame taken from the source still waits for a peer receive buffer (not yet in `sentToPeer`). */
  get hasStagedFrame(): boolean {
    return this.#txStaged !== 0;
  }
  /** Dirty-page logging state (read by tests through {@link dirtyLog}). */
  readonly logging = new DirtyLogging();
  /**
   * When set to an array, every control message the driver receives or sends is appended (decoded), in
   * order: what the conformance checks look at.
   */
  messageLog: Array<{ readonly direction: "received" | "sent"; readonly command: string; readonly request: unknown }> | null = null;
  /**
   * Control messages that never reached the device because it set DEVICE_NEEDS_RESET before consuming them,
   * each with the named error it failed with.
   */
  readonly failedCalls: Array<{ readonly command: string; readonly error: VhostPciNetError }> = [];
  /** Device resets the driver performed because the device set DEVICE_NEEDS_RESET. */
  needsResetResets = 0;
  /** Frames go here. */
  sink: FrameSink;
  /** Frames come from here. */
  source: FrameSource | null;
  /** The MAC address of this guest's interface. */
  readonly mac: Uint8Array;

  readonly #o: VhostPciNetDriverOptions;
  readonly #receiver: InterruptReceiver;
  readonly #supportedPeer: bigint;
  readonly #maxMirrored: number;
  #state: VhostPciNetDriverState = "stopped";
  #features = 0n;
  #control: ControlQueueDriver | null = null;
  #receiveq: SplitQueueDriver<number> | null = null;
  /** Consuming role of the receiveq (the copy engine). */
  #receiveqConsumer: SplitQueueDevice | null = null;
  #rxChain: DescriptorChain | null = null;
  #rxHeld = false;
  #rxPool = 0;
  #rxCount = 0;
  readonly #used = new UsedBuffer<number>();
  #peerFeatures = 0n;
  #vhostPciId = 0n;
  #peerRange: PeerMemoryRange | null = null;
  #peerMemory: GuestMemory | null = null;
  #ownMapping: number | null = null;
  #mirroredRx: MirroredQueue[] = [];
  #mirroredTx: MirroredQueue[] = [];
  #connected = false;
  #peerRxGsis: number[] = [];
  #peerUuid: [bigint, bigint] = [0n, 0n];
  #dataPathStopped = false;
  #disconnectRequested = false;
  /** Staging for outgoing frames: virtio_net_hdr then the frame. */
  readonly #txStaging = new Uint8Array(VirtioNetHdrSize + 0xffff);
  #txStaged = 0;
  /** The last transmit pass stopped because the peer had no receive buffer for a staged frame. */
  #txBlocked = false;
  /** Where frames are produced: the staging area after the header. */
  readonly #txFrameView = this.#txStaging.subarray(VirtioNetHdrSize);
  readonly #copyStaging = new Uint8Array(VirtioNetHdrSize + 0xffff);
  /** One reusable segment list for posting receive buffers (add() reads it synchronously). */
  readonly #rxSegment = [{ address: 0, length: RECEIVE_BUFFER_SIZE }];
  /** A view of each receive buffer, made once. */
  #rxViews: Uint8Array[] = [];
  #txRoundRobin = 0;

  /** @throws VhostPciNetError `invalid-option` for a controller with fewer than 4 vectors */
  constructor(options: VhostPciNetDriverOptions) {
    if (options.interrupts.vectorCount < 4) throw new VhostPciNetError("invalid-option", "the driver needs 4 interrupt vectors");
    this.#o = options;
    this.#receiver = new InterruptReceiver(options.interrupts);
    this.#supportedPeer = (options.supportedPeerFeatures ?? PEER_FEATURE_MASK) & PEER_FEATURE_MASK;
    this.#maxMirrored = options.maxMirroredQueues ?? 8;
    this.sink = options.sink ?? (() => {});
    this.source = options.source ?? null;
    this.mac = options.mac ?? randomLocalMac();
    // The header the driver puts in front of every frame it writes into the peer's receive buffers: no
    // checksum offload, no GSO, one buffer (VIRTIO_NET_F_MRG_RXBUF is not used; see the decisions document).
    encodeVirtioNetHdr({ flags: 0, gso_type: VIRTIO_NET_HDR_GSO_NONE, hdr_len: 0, gso_size: 0, csum_start: 0, csum_offset: 0, num_buffers: 1 }, this.#txStaging, 0);
  }

  /** Where the driver is. */
  get state(): VhostPciNetDriverState {
    return this.#state;
  }

  /** Whether the driver was notified of, and read, `peer_connection` = 1 (and not yet 0). */
  get connected(): boolean {
    return this.#connected;
  }

  /** The features negotiated with the device. */
  get features(): bigint {
    return this.#features;
  }

  /** The peer feature bits the driver accepted last. */
  get peerFeatures(): bigint {
    return this.#peerFeatures;
  }

  /** The peer RX queue GSIs read from the peer registers after the connection. */
  get peerRxQueueGsis(): readonly number[] {
    return this.#peerRxGsis;
  }

  /** The peer UUID read from the peer registers. */
  get peerUuid(): readonly [bigint, bigint] {
    return this.#peerUuid;
  }

  /** Mirrored queues set up (rx: from peer TX queues; tx: from peer RX queues). */
  get mirroredQueues(): { readonly rx: readonly MirroredQueue[]; readonly tx: readonly MirroredQueue[] } {
    return { rx: this.#mirroredRx, tx: this.#mirroredTx };
  }

  /** The peer memory as mapped (null before PEER_MEM_INFO or after a disconnect). */
  get peerMemory(): GuestMemory | null {
    return this.#peerMemory;
  }

  /** The dirty-page log, once logging was turned on at least once. */
  get dirtyLog(): DirtyPageLog | null {
    return this.logging.log;
  }

  /** Starts the driver: asks the device to reset; initialization continues in {@link poll}. */
  start(): void {
    if (this.#state !== "stopped") throw new VhostPciNetError("invalid-state", `start in state ${this.#state}`);
    this.#o.regs.writeField("device_status", 0);
    this.#state = "resetting";
  }

  /**
   * One turn of the driver: initialization once the reset is done, interrupts, control messages, the data
   * path. @returns whether anything happened.
   */
  poll(): boolean {
    switch (this.#state) {
      case "resetting":
        // "After writing 0 to device_status, the driver MUST wait for a read of device_status to return 0."
        if (this.#o.regs.readField("device_status") !== 0) return false;
        this.#initialize();
        return true;
      case "running":
        return this.#pollRunning();
      default:
        return false;
    }
  }

  /**
   * Asks for the connection to be closed: stops the data path (returning any peer chain it holds, so every
   * chain the peer sees used is complete), then writes 0 to `peer_connection`. The connection is closed
   * once {@link connected} turns false (after the device negotiated with the peer and wrote 0).
   */
  requestDisconnect(): void {
    if (!this.#connected || this.#disconnectRequested) return;
    this.#disconnectRequested = true;
    this.#stopDataPath();
    this.#o.regs.writeField("peer_connection", 0);
  }

  /**
   * Unloads the driver. Refused (returns false) until the driver has read 0 from `peer_connection`: the
   * peer may still be writing into shared rings before that.
   */
  unload(): boolean {
    if (this.#o.regs.readField("peer_connection") !== 0) return false;
    this.#o.regs.noteUnload();
    this.#state = "unloaded";
    return true;
  }

  /**
   * Before the guest sleeps: re-enables the notifications it waits for. @returns true when work is already
   * pending (do not sleep).
   */
  prepareToSleep(): boolean {
    if (this.#state !== "running") return false;
    let pending = false;
    if (this.#connected && !this.#dataPathStopped) {
      for (const q of this.#mirroredRx) if (!q.device.broken && q.enableKicks()) pending = true;
      // Ask the peer to say when it adds receive buffers only while a frame is waiting for one.
      if (this.#txBlocked) {
        for (const q of this.#mirroredTx) if (!q.device.broken && q.enableKicks()) pending = true;
      }
    }
    return pending;
  }

  // ---------------------------------------------------------------- initialization

  #initialize(): void {
    const regs = this.#o.regs;
    const fail = (why: string): void => {
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
    // A driver MUST accept VIRTIO_F_VERSION_1 if offered; this one (a 1.x-only driver) gives up without it.
    if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return fail("VIRTIO_F_VERSION_1 not offered");
    const wanted = featureMask(VIRTIO_F_VERSION_1) | featureMask(VIRTIO_F_PV_INTERRUPT) | featureMask(VhostPciNetDeviceFeatureBit.CTRL_MAC_ADDR);
    const features = offered & wanted;
    regs.writeField("driver_feature_select", 0);
    regs.writeField("driver_feature", Number(features & 0xffffffffn));
    regs.writeField("driver_feature_select", 1);
    regs.writeField("driver_feature", Number(features >> 32n));
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    if ((regs.readField("device_status") & DeviceStatus.FEATURES_OK) === 0) return fail("the device did not accept the features");
    this.#features = features;

    const memory = this.#o.memory;
    const layout = this.#o.layout;
    regs.writeField("msix_config", VhostPciNetVectors.CONFIG);
    const rings: SplitRingAddresses[] = [];
    for (const [index, vector] of [
      [CONTROL_RECEIVEQ, VhostPciNetVectors.CONTROL_RECEIVEQ],
      [CONTROL_TRANSMITQ, VhostPciNetVectors.CONTROL_TRANSMITQ],
      [RECEIVEQ, VhostPciNetVectors.RECEIVEQ],
    ] as const) {
      regs.writeField("queue_select", index);
      const size = regs.readField("queue_size");
      if (size === 0) return fail(`queue ${index} is unavailable`);
      const ring = layout.ring(size);
      rings.push(ring);
      // Every other field first; queue_enable last, as the driver requirement says.
      regs.writeField("queue_size", size);
      regs.writeField("queue_msix_vector", vector);
      regs.writeField("queue_desc", BigInt(ring.descAddress));
      regs.writeField("queue_avail", BigInt(ring.availAddress));
      regs.writeField("queue_used", BigInt(ring.usedAddress));
      regs.writeField("queue_enable", 1);
    }
    const controlRx = new SplitQueueDriver<number>(memory, rings[0]!);
    const controlTx = new SplitQueueDriver<number>(memory, rings[1]!);
    const controlCount = Math.min(rings[0]!.size, rings[1]!.size);
    const rxPool = { address: layout.pool(controlCount, CONTROL_BUFFER_SIZE), count: controlCount, bufferSize: CONTROL_BUFFER_SIZE };
    const txPool = { address: layout.pool(controlCount, CONTROL_BUFFER_SIZE), count: controlCount, bufferSize: CONTROL_BUFFER_SIZE };
    this.#control = new ControlQueueDriver(memory, controlRx, controlTx, rxPool, txPool);
    this.#receiveq = new SplitQueueDriver<number>(memory, rings[2]!);
    this.#receiveqConsumer = new SplitQueueDevice(memory, rings[2]!);
    this.#rxChain = this.#receiveqConsumer.createChain();
    this.#rxCount = Math.min(this.#o.receiveBuffers ?? 256, rings[2]!.size);
    this.#rxPool = layout.pool(this.#rxCount, RECEIVE_BUFFER_SIZE);
    this.#rxViews = Array.from({ length: this.#rxCount }, (_, i) => memory.slice(this.#rxPool + i * RECEIVE_BUFFER_SIZE, RECEIVE_BUFFER_SIZE));
    // Step 2 of the initialization: fill the receiveq and the control receiveq.
    for (let i = 0; i < this.#rxCount; i++) this.#postReceive(i);
    this.#control.fill();
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK);
    this.#state = "running";
    // No VHOST_PCI_NET_F_MAC (no configuration layout is defined): tell the device our generated MAC.
    if (hasFeature(features, VhostPciNetDeviceFeatureBit.CTRL_MAC_ADDR)) this.#send("MAC", this.mac);
  }

  #postReceive(index: number): void {
    this.#rxSegment[0]!.address = this.#rxPool + index * RECEIVE_BUFFER_SIZE;
    this.#receiveq!.add(NO_SEGMENTS, this.#rxSegment, index);
  }

  // ---------------------------------------------------------------- running

  #pollRunning(): boolean {
    let progress = false;
    if (this.#receiver.take(VhostPciNetVectors.CONFIG) > 0) {
      this.#onConfigInterrupt();
      progress = true;
      // DEVICE_NEEDS_RESET: the reset has started; initialization resumes in poll() once it is done.
      if (this.#state !== "running") return progress;
    }
    const control = this.#control!;
    for (let m = control.receive(); m !== undefined; m = control.receive()) {
      this.#onDeviceMessage(m);
      progress = true;
    }
    if (this.#connected && !this.#dataPathStopped) {
      if (this.#receiveFromPeer() > 0) progress = true;
      if (this.#transmitToPeer() > 0) progress = true;
    }
    if (this.#deliver() > 0) progress = true;
    return progress;
  }

  #onConfigInterrupt(): void {
    const isr = this.#o.regs.readIsr();
    const regs = this.#o.regs;
    if ((isr & ISR_CONFIG) !== 0 && (regs.readField("device_status") & DeviceStatus.DEVICE_NEEDS_RESET) !== 0) {
      this.#onNeedsReset();
      return;
    }
    if ((isr & ISR_PEER_STATUS) === 0) return;
    const value = regs.readField("peer_connection");
    if (value === 1 && !this.#connected) {
      // Only now (notified of a 1) does the driver read the peer device related registers.
      const count = regs.readField("peer_num_rx_queues");
      const gsis: number[] = [];
      for (let i = 0; i < count; i++) {
        regs.writeField("peer_rx_queue_select", i);
        gsis.push(regs.readField("peer_rx_queue_gsi"));
      }
      this.#peerRxGsis = gsis;
      this.#peerUuid = [regs.readField("peer_uuid_hi"), regs.readField("peer_uuid_lo")];
      this.#connected = true;
      this.#dataPathStopped = false;
    } else if (value === 0 && this.#connected) {
      this.#stopDataPath();
      this.#connected = false;
      this.#disconnectRequested = false;
      this.#forgetPeer();
    }
  }

  /**
   * The device set DEVICE_NEEDS_RESET (it stopped serving a control queue this driver's side broke): every
   * control message it had not consumed fails with `device-needs-reset`, the data path stops (every peer chain
   * published, none held), the peer is forgotten, and the driver resets the device at once (§2.1.2: "the driver
   * SHOULD reset the device"); initialization starts over once device_status reads 0, as at start.
   */
  #onNeedsReset(): void {
    const error = new VhostPciNetError("device-needs-reset", "the device set DEVICE_NEEDS_RESET; the driver reset it");
    for (const command of this.#control?.pendingSends() ?? []) this.failedCalls.push({ command, error });
    if (this.#connected) this.#stopDataPath();
    this.#connected = false;
    this.#disconnectRequested = false;
    this.#forgetPeer();
    this.#control = null;
    this.#receiveq = null;
    this.#receiveqConsumer = null;
    this.#rxHeld = false;
    this.needsResetResets++;
    this.#o.regs.writeField("device_status", 0);
    this.#state = "resetting";
  }

  /**
   * Stops touching the peer: publishes everything and interrupts the peer once more. No peer chain is ever
   * held between two turns (a chain is popped only when its packet can be moved at once), so every chain the
   * peer sees used is complete.
   */
  #stopDataPath(): void {
    if (this.#dataPathStopped) return;
    this.#dataPathStopped = true;
    // Give back the receiveq buffer the copy engine was holding (length 0: nothing in it).
    if (this.#rxHeld) {
      this.#receiveqConsumer!.pushUsed(this.#rxChain!.head, 0);
      this.#rxHeld = false;
    }
    for (const q of [...this.#mirroredRx, ...this.#mirroredTx]) {
      if (!q.device.broken && q.publish()) this.#interruptPeer(q);
    }
  }

  #forgetPeer(): void {
    if (this.#ownMapping !== null) this.#o.addressSpace.unmap(this.#ownMapping);
    this.#ownMapping = null;
    this.#peerMemory = null;
    this.#peerRange = null;
    this.#mirroredRx = [];
    this.#mirroredTx = [];
    this.#peerRxGsis = [];
    this.logging.on = false;
  }

  // ---------------------------------------------------------------- control messages

  #send<K extends VhostPciNetCommandName>(command: K, request: VhostPciNetRequestInputs[K]): void {
    const bytes = encodeVhostPciNetRequest(command, request, { vhost_pci_id: this.#vhostPciId });
    this.messageLog?.push({ direction: "sent", command, request });
    // The transmit pool holds as many buffers as the device has control buffers; a full pool means the
    // device is not consuming: the message is dropped and the device's negotiation will not advance.
    if (!this.#control!.send(bytes, command)) this.refusals.add("control-queue-broken", `no control transmit buffer for ${command}`);
  }

  #onDeviceMessage(bytes: Uint8Array): void {
    let msg;
    try {
      msg = decodeVhostPciNetRequest(bytes);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.refusals.add(err.reason === "unknown-command" ? "unknown-request" : "malformed-control-message", err.message);
      return;
    }
    this.#vhostPciId = msg.header.vhost_pci_id;
    this.messageLog?.push({ direction: "received", command: msg.command, request: msg.request });
    switch (msg.command) {
      case "PEER_FEATURE_BITS":
        return this.#onPeerFeatureBits(msg.request.feature_bits);
      case "PEER_MEM_INFO":
        return this.#onPeerMemInfo(msg.request);
      case "PEER_VIRTQ_INFO":
        return this.#onPeerVirtqInfo(msg.request);
      case "DIRTY_PAGE_LOGGING":
        return this.#onDirtyPageLogging(msg.request.off_or_on);
      case "MAC":
        this.refusals.add("unexpected-request", "VHOST_PCI_CTRL_MAC is sent by the driver, not the device");
        return;
    }
  }

  #onPeerFeatureBits(offered: bigint): void {
    // "Upon receiving the peer feature bits from the device, the driver SHOULD send its supported peer
    // feature bits to the device via the control transmitq."
    this.#peerFeatures = offered & this.#supportedPeer;
    this.#send("PEER_FEATURE_BITS", { feature_bits: this.#peerFeatures });
  }

  #onPeerMemInfo(info: VhostPciCtrlPeerMemInfo): void {
    if (this.#peerMemory !== null || this.#connected) {
      this.refusals.add("unexpected-request", "PEER_MEM_INFO while the peer memory is already mapped");
      return;
    }
    const range = decodeOtherMemInfo(info.other_mem_info);
    if (typeof range === "string") {
      this.refusals.add("invalid-peer-memory-info", range);
      return;
    }
    const space = this.#o.addressSpace;
    let mapping;
    if (info.need_map === VHOST_PCI_MEM_INFO_NEED_MAP_N) {
      mapping = info.peer_mem <= BigInt(Number.MAX_SAFE_INTEGER) ? space.mappingAt(Number(info.peer_mem)) : undefined;
      if (mapping === undefined) {
        this.refusals.add("peer-memory-unmapped", `need_map N but nothing is mapped at 0x${info.peer_mem.toString(16)}`);
        return;
      }
    } else if (info.need_map === VHOST_PCI_MEM_INFO_NEED_MAP_Y) {
      const bar = info.peer_mem < 6n ? this.#o.bars.get(Number(info.peer_mem)) : undefined;
      if (bar === undefined) {
        this.refusals.add("peer-memory-unmapped", `need_map Y names BAR ${info.peer_mem}, which the device does not have`);
        return;
      }
      if (range.size > bar.size) {
        this.refusals.add("peer-memory-unmapped", `peer memory of ${range.size} bytes is larger than BAR ${bar.id} (${bar.size} bytes)`);
        return;
      }
      space.unmap(DRIVER_PEER_MAP_ADDRESS);
      mapping = space.map(DRIVER_PEER_MAP_ADDRESS, bar.buffer, bar.size);
      this.#ownMapping = DRIVER_PEER_MAP_ADDRESS;
    } else {
      this.refusals.add("invalid-need-map", `need_map ${info.need_map}`);
      return;
    }
    const memory = peerGuestMemory(mapping, range);
    if (typeof memory === "string") {
      this.refusals.add("peer-memory-unmapped", memory);
      if (this.#ownMapping !== null) space.unmap(this.#ownMapping);
      this.#ownMapping = null;
      return;
    }
    this.#peerRange = range;
    this.#peerMemory = memory;
    // With need_map Y the device waits for the address the BAR was mapped at.
    if (info.need_map === VHOST_PCI_MEM_INFO_NEED_MAP_Y) {
      this.#send("PEER_MEM_INFO", { need_map: VHOST_PCI_MEM_INFO_NEED_MAP_Y, peer_mem: BigInt(DRIVER_PEER_MAP_ADDRESS), other_mem_info: new Uint8Array(0) });
    }
  }

  #onPeerVirtqInfo(info: VhostPciCtrlPeerVirtqInfo): void {
    const direction: MirrorDirection | null = info.tx_or_rx === VHOST_PCI_PEER_VIRTQ_TX ? "rx" : info.tx_or_rx === VHOST_PCI_PEER_VIRTQ_RX ? "tx" : null;
    const nack = (): void => this.#send("PEER_VIRTQ_INFO", { tx_or_rx: info.tx_or_rx, virtq_num: 0, vq: new Uint8Array(0) });
    if (direction === null) {
      this.refusals.add("invalid-virtq-direction", `tx_or_rx ${info.tx_or_rx}`);
      return nack();
    }
    const peer = this.#peerMemory;
    if (peer === null) {
      this.refusals.add("peer-memory-not-mapped-yet", "PEER_VIRTQ_INFO before PEER_MEM_INFO");
      return nack();
    }
    if (info.virtq_num > this.#maxMirrored) {
      this.refusals.add("too-many-virtqs", `${info.virtq_num} queues, at most ${this.#maxMirrored}`);
      return nack();
    }
    let entries;
    try {
      entries = decodePeerVirtqEntries(info.vq, info.virtq_num);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.refusals.add("virtq-count-mismatch", err.message);
      return nack();
    }
    const specs: MirroredQueueSpec[] = [];
    for (const e of entries) {
      if (e.desc > MAX_SAFE || e.avail > MAX_SAFE || e.used > MAX_SAFE) {
        this.refusals.add("virtq-outside-peer-memory", `peer queue ${e.queueIndex}: an address beyond 2^53 - 1`);
        return nack();
      }
      const addresses = {
        size: e.size,
        descAddress: safeAddress(e.desc),
        availAddress: safeAddress(e.avail),
        usedAddress: safeAddress(e.used),
      };
      const layoutProblem = ringAlignmentProblem(addresses);
      if (layoutProblem !== null && layoutProblem !== "ring-outside-memory") {
        this.refusals.add("invalid-virtq-layout", `peer queue ${e.queueIndex}: ${layoutProblem}`);
        return nack();
      }
      const bound = bindSplitRing(peer, addresses);
      if (!bound.ok) {
        this.refusals.add("virtq-outside-peer-memory", `peer queue ${e.queueIndex}: ${bound.detail}`);
        return nack();
      }
      specs.push({
        peerIndex: e.queueIndex,
        addresses,
        eventIdx: (e.flags & PEER_VIRTQ_F_EVENT_IDX) !== 0,
        indirect: (e.flags & PEER_VIRTQ_F_INDIRECT_DESC) !== 0,
        lastAvailIdx: e.lastAvailIdx,
        vector: e.vector,
      });
    }
    const queues = specs.map((s) => new MirroredQueue(peer, direction, s, this.logging));
    if (direction === "rx") this.#mirroredRx = queues;
    else this.#mirroredTx = queues;
    this.#send("PEER_VIRTQ_INFO", { tx_or_rx: info.tx_or_rx, virtq_num: queues.length, vq: new Uint8Array(0) });
  }

  #onDirtyPageLogging(value: number): void {
    if (value !== VHOST_PCI_DIRTY_PAGE_LOGGING_ON && value !== VHOST_PCI_DIRTY_PAGE_LOGGING_OFF) {
      this.refusals.add("invalid-logging-value", `off_or_on ${value}`);
      return;
    }
    if (value === VHOST_PCI_DIRTY_PAGE_LOGGING_OFF) {
      this.logging.on = false;
      return;
    }
    const bar = this.#o.bars.get(DIRTY_LOG_BAR);
    const range = this.#peerRange;
    if (!hasFeature(this.#peerFeatures, PeerFeatureBit.VHOST_F_LOG_ALL) || bar === undefined || range === null) {
      this.refusals.add("logging-not-negotiated", bar === undefined ? "the device has no log BAR" : "VHOST_F_LOG_ALL not negotiated, or no peer memory");
      return;
    }
    if (this.logging.log === null || this.logging.log.buffer !== bar.buffer) {
      try {
        this.logging.log = new DirtyPageLog(range.gpaStart - (range.gpaStart % 4096), range.size + (range.gpaStart % 4096), bar.buffer);
      } catch (err) {
        this.refusals.add("logging-not-negotiated", `the log BAR cannot cover the peer memory: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    this.logging.on = true;
  }

  // ---------------------------------------------------------------- data path

  /** Copies packets from the mirrored RX queues into the receiveq. @returns frames moved */
  #receiveFromPeer(): number {
    const peer = this.#peerMemory!;
    const own = this.#o.memory;
    const consumer = this.#receiveqConsumer!;
    const rxChain = this.#rxChain!;
    let moved = 0;
    for (const q of this.#mirroredRx) {
      if (q.device.broken) continue;
      let n = 0;
      for (;;) {
        if (!this.#rxHeld) {
          if (consumer.pop(rxChain) !== "popped") break;
          this.#rxHeld = true;
        }
        const r = q.device.pop(q.chain);
        if (r === "empty") break;
        if (r === "broken") {
          this.#ringBroken(q);
          break;
        }
        const chain = q.chain;
        const length = chain.readableBytes;
        if (length < VirtioNetHdrSize || length > rxChain.writableBytes) {
          this.refusals.add(length < VirtioNetHdrSize ? "frame-too-short" : "frame-too-large", `peer TX chain of ${length} readable bytes`);
          this.stats.dropped++;
        } else {
          copyChain(peer, chain, own, rxChain, length, this.#copyStaging);
          consumer.addUsed(rxChain.head, length);
          this.#rxHeld = false;
          this.stats.copiedFromPeer++;
        }
        q.addUsed(chain.head, 0);
        n++;
      }
      if (n > 0) {
        moved += n;
        if (q.publish()) this.#interruptPeer(q);
      }
    }
    if (moved > 0) consumer.publishUsed();
    return moved;
  }

  /** Writes frames from the source into the mirrored TX queues. @returns frames written */
  #transmitToPeer(): number {
    const source = this.source;
    const queues = this.#mirroredTx;
    this.#txBlocked = false;
    if (queues.length === 0 || (source === null && this.#txStaged === 0)) return 0;
    const peer = this.#peerMemory!;
    const log = this.logging.active;
    const q = queues[this.#txRoundRobin++ % queues.length]!;
    if (q.device.broken) return 0;
    let sent = 0;
    let returned = 0;
    for (;;) {
      // Frame first, chain second: a chain is popped only when a frame is ready for it, so none is held.
      if (this.#txStaged === 0) {
        const n = source === null ? 0 : source.produce(this.#txFrameView);
        if (n === 0) break;
        this.#txStaged = n;
      }
      const r = q.device.pop(q.chain);
      if (r === "empty") {
        this.#txBlocked = true;
        break;
      }
      if (r === "broken") {
        this.#ringBroken(q);
        break;
      }
      const chain = q.chain;
      const total = VirtioNetHdrSize + this.#txStaged;
      if (total > chain.writableBytes || chain.readableCount !== 0) {
        // The peer's buffer cannot take the frame: return it unused and keep the frame for the next one.
        this.refusals.add("frame-too-large", `a ${total}-byte packet does not fit a ${chain.writableBytes}-byte peer receive buffer`);
        q.addUsed(chain.head, 0);
        this.stats.dropped++;
        returned++;
        continue;
      }
      const written = scatterLogged(peer, chain, this.#txStaging.subarray(0, total), log);
      q.addUsed(chain.head, written);
      this.#txStaged = 0;
      sent++;
    }
    if ((sent > 0 || returned > 0) && q.publish()) this.#interruptPeer(q);
    this.stats.sentToPeer += sent;
    return sent + returned;
  }

  /** Hands received frames to the sink and re-posts their buffers. @returns frames delivered */
  #deliver(): number {
    const receiveq = this.#receiveq;
    if (receiveq === null) return 0;
    const used = this.#used;
    let n = 0;
    while (receiveq.getUsed(used) === "used") {
      const index = used.token!;
      if (used.length >= VirtioNetHdrSize) {
        this.sink(this.#rxViews[index]!, VirtioNetHdrSize, used.length - VirtioNetHdrSize);
        this.stats.delivered++;
      }
      this.#postReceive(index);
      n++;
    }
    return n;
  }

  /**
   * Interrupts the peer for queue `q`: mirrored TX queues use the GSI the device configured in
   * `peer_rx_queue_gsi` (the peer's RX queue), mirrored RX queues the vector their PEER_VIRTQ_INFO entry gave.
   */
  #interruptPeer(q: MirroredQueue): void {
    const pv = this.#o.pv;
    if (pv === null || !hasFeature(this.#features, VIRTIO_F_PV_INTERRUPT)) return;
    const index = this.#mirroredTx.indexOf(q);
    const gsi = q.direction === "tx" ? (this.#peerRxGsis[index] ?? q.spec.vector) : q.spec.vector;
    const outcome = pv.inject(gsi);
    if (outcome === "delivered" || outcome === "pending") this.stats.interruptsToPeer++;
  }

  #ringBroken(q: MirroredQueue): void {
    this.refusals.add("mirrored-ring-broken", `mirrored ${q.direction.toUpperCase()} queue (peer queue ${q.spec.peerIndex}): ${q.device.brokenReason}: ${q.device.brokenDetail}`);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const NO_SEGMENTS: readonly { address: number; length: number }[] = [];

/** Copies `length` readable bytes of `src` (in `from`) into the writable part of `dst` (in `to`). */
function copyChain(from: GuestMemory, src: DescriptorChain, to: GuestMemory, dst: DescriptorChain, length: number, staging: Uint8Array): void {
  if (src.readableCount === 1 && dst.count === 1 && dst.readableCount === 0) {
    // One segment each (the common case): one copy, straight between the two guests' memories.
    from.read(src.addresses[0]!, to.slice(dst.addresses[0]!, length));
  } else {
    const view = staging.subarray(0, length);
    gatherReadable(from, src, view);
    scatterWritable(to, dst, view);
  }
  // The receiveq is consumed without VIRTIO_NET_F_MRG_RXBUF: one buffer per packet, num_buffers 1.
  if (dst.lengths[dst.readableCount]! >= VirtioNetHdrSize) to.writeU16(dst.addresses[dst.readableCount]! + 10, 1);
}

/** A peer-written 64-bit address as a number; past 2^53 - 1 it becomes an address no memory has. */
function safeAddress(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.MAX_SAFE_INTEGER;
}
