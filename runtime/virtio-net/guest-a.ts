/**
 * Guest A of a vhost-pci pair: its RAM, its virtio-net device (whose backend is the vhost-pci-net device of
 * guest B) and the virtio-net driver, polled together as one guest.
 *
 * @module
 */
import { GuestMemory } from "../memory/index.js";
import type { GuestInterrupts } from "../vhost-pci-net/interrupts.js";
import type { PeerLinkEndpoint } from "../vhost-pci-net/peer-link.js";
import { VirtioNetPeerDevice } from "./device.js";
import type { VirtioNetEnvironment } from "./device.js";
import { VirtioNetDriver } from "./driver.js";
import type { FrameSink, FrameSource } from "./frame-io.js";
import { GuestLayout } from "./guest-layout.js";

/** First guest-physical address the driver places rings and buffers at (page 0 stays unused). */
const LAYOUT_START = 0x1000;

/** Options of {@link GuestA}. */
export interface GuestAOptions {
  /** The guest's RAM (guest-physical address 0 upward). */
  ram: SharedArrayBuffer;
  /** Its interrupt controller (≥ 3 vectors). */
  interrupts: GuestInterrupts;
  /** Link to guest B's vhost-pci-net device. */
  link: PeerLinkEndpoint;
  /** What its VMM supports. */
  environment: VirtioNetEnvironment;
  /** MAC of the virtio-net device. */
  mac: Uint8Array;
  /** UUID of the device. */
  uuidHi: bigint;
  /** Low half. */
  uuidLo: bigint;
  /** Peer (virtio-net) feature bits the device could offer. */
  deviceNetFeatures?: bigint;
  /** virtio-net feature bits the driver accepts. */
  driverNetFeatures?: bigint;
  /** Queue size (default 256). */
  queueSize?: number;
  /** Frames received. */
  sink?: FrameSink;
  /** Frames to send. */
  source?: FrameSource;
}

/** Guest A; see the module comment. */
export class GuestA {
  /** The guest's memory. */
  readonly memory: GuestMemory;
  /** Its interrupt controller. */
  readonly interrupts: GuestInterrupts;
  /** The virtio-net device. */
  readonly device: VirtioNetPeerDevice;
  /** The virtio-net driver. */
  readonly driver: VirtioNetDriver;

  constructor(o: GuestAOptions) {
    this.memory = GuestMemory.fromBuffer(o.ram);
    this.interrupts = o.interrupts;
    this.device = new VirtioNetPeerDevice({
      memory: { buffer: o.ram, gpaStart: 0, size: o.ram.byteLength },
      interrupts: o.interrupts,
      link: o.link,
      environment: o.environment,
      mac: o.mac,
      uuidHi: o.uuidHi,
      uuidLo: o.uuidLo,
      ...(o.deviceNetFeatures !== undefined ? { netFeatures: o.deviceNetFeatures } : {}),
      ...(o.queueSize !== undefined ? { queueSize: o.queueSize } : {}),
    });
    const device = this.device;
    this.driver = new VirtioNetDriver({
      memory: this.memory,
      layout: new GuestLayout(LAYOUT_START, o.ram.byteLength - LAYOUT_START),
      interrupts: o.interrupts,
      regs: device.regs,
      deviceConfig: device.config,
      notify: (q) => device.notify(q),
      pv: device.pv,
      ...(o.driverNetFeatures !== undefined ? { netFeatures: o.driverNetFeatures } : {}),
      ...(o.sink !== undefined ? { sink: o.sink } : {}),
      ...(o.source !== undefined ? { source: o.source } : {}),
    });
  }

  #startPending = false;

  /**
   * Boots the driver — once the device knows its backend's features (as QEMU starts a guest only after its
   * vhost-user backend is connected), so the driver never sees a provisional feature offer.
   */
  start(): void {
    this.#startPending = true;
  }

  /** One turn of the device and the driver. @returns whether anything happened */
  poll(): boolean {
    const d = this.device.poll();
    if (this.#startPending && this.device.state !== "waiting-backend") {
      this.#startPending = false;
      this.driver.start();
    }
    const r = this.driver.poll();
    return d || r;
  }

  /** @returns true when work is pending (see {@link VirtioNetDriver.prepareToSleep}) */
  prepareToSleep(): boolean {
    return this.driver.prepareToSleep();
  }
}
