/**
 * Guest B of a vhost-pci pair: its RAM, its vhost-pci-net device and the vhost-pci-net driver, polled
 * together as one guest.
 *
 * @module
 */
import { GuestMemory } from "../memory/index.js";
import type { FrameSink, FrameSource } from "../virtio-net/frame-io.js";
import { GuestLayout } from "../virtio-net/guest-layout.js";
import { VhostPciNetDevice } from "./device.js";
import type { ManagementEnvironment } from "./device.js";
import type { DirtyPageLog } from "./dirty-log.js";
import { VhostPciNetDriver } from "./driver.js";
import type { GuestInterrupts } from "./interrupts.js";
import type { PeerLinkEndpoint } from "./peer-link.js";
import { DriverAddressSpace } from "./peer-memory.js";

/** First guest-physical address the driver places rings and buffers at. */
const LAYOUT_START = 0x1000;

/** Options of {@link GuestB}. */
export interface GuestBOptions {
  /** The guest's RAM. */
  ram: SharedArrayBuffer;
  /** Its interrupt controller (≥ 4 vectors). */
  interrupts: GuestInterrupts;
  /** Link to guest A's virtio-net device. */
  link: PeerLinkEndpoint;
  /** What its VMM supports. */
  environment: ManagementEnvironment;
  /** How the driver reaches the peer memory. */
  needMap?: "N" | "Y";
  /** The device's vhost_pci_id. */
  vhostPciId: bigint;
  /** UUID of the device. */
  uuidHi: bigint;
  /** Low half. */
  uuidLo: bigint;
  /** The dirty-page log the management environment provides. */
  dirtyLog?: DirtyPageLog;
  /** Peer feature bits the device can serve. */
  devicePeerFeatures?: bigint;
  /** Peer feature bits the driver accepts. */
  driverPeerFeatures?: bigint;
  /** Frames received from the peer. */
  sink?: FrameSink;
  /** Frames to send to the peer. */
  source?: FrameSource;
}

/** Guest B; see the module comment. */
export class GuestB {
  /** The guest's memory. */
  readonly memory: GuestMemory;
  /** Its interrupt controller. */
  readonly interrupts: GuestInterrupts;
  /** The driver's address space (mappings of device BARs). */
  readonly addressSpace = new DriverAddressSpace();
  /** The vhost-pci-net device. */
  readonly device: VhostPciNetDevice;
  /** The vhost-pci-net driver. */
  readonly driver: VhostPciNetDriver;

  constructor(o: GuestBOptions) {
    this.memory = GuestMemory.fromBuffer(o.ram);
    this.interrupts = o.interrupts;
    this.device = new VhostPciNetDevice({
      memory: this.memory,
      interrupts: o.interrupts,
      link: o.link,
      addressSpace: this.addressSpace,
      environment: o.environment,
      vhostPciId: o.vhostPciId,
      uuidHi: o.uuidHi,
      uuidLo: o.uuidLo,
      ...(o.needMap !== undefined ? { needMap: o.needMap } : {}),
      ...(o.dirtyLog !== undefined ? { dirtyLog: o.dirtyLog } : {}),
      ...(o.devicePeerFeatures !== undefined ? { supportedPeerFeatures: o.devicePeerFeatures } : {}),
    });
    this.driver = new VhostPciNetDriver({
      memory: this.memory,
      layout: new GuestLayout(LAYOUT_START, o.ram.byteLength - LAYOUT_START),
      interrupts: o.interrupts,
      regs: this.device.regs,
      bars: this.device.bars,
      addressSpace: this.addressSpace,
      pv: this.device.pv,
      ...(o.driverPeerFeatures !== undefined ? { supportedPeerFeatures: o.driverPeerFeatures } : {}),
      ...(o.sink !== undefined ? { sink: o.sink } : {}),
      ...(o.source !== undefined ? { source: o.source } : {}),
    });
  }

  /** Boots the driver. */
  start(): void {
    this.driver.start();
  }

  /** One turn of the device and the driver. @returns whether anything happened */
  poll(): boolean {
    const d = this.device.poll();
    const r = this.driver.poll();
    return d || r;
  }

  /** @returns true when work is pending (see {@link VhostPciNetDriver.prepareToSleep}) */
  prepareToSleep(): boolean {
    return this.driver.prepareToSleep();
  }
}
