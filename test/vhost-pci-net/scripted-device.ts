/**
 * A vhost-pci-net device whose control messages a test writes byte by byte: the harness for feeding the
 * driver hostile input (malformed messages, queues outside the peer memory, impossible values). Everything
 * else is the real runtime: register file, control virtqueues, address space, BARs, PV hypercall.
 */
import { GuestMemory } from "../../runtime/memory/index.js";
import { SplitQueueDevice } from "../../runtime/virtqueue/index.js";
import { CommonCfgRegisters } from "../../runtime/vhost-pci-net/common-cfg.js";
import { CONTROL_RECEIVEQ, CONTROL_TRANSMITQ, ControlQueueDevice } from "../../runtime/vhost-pci-net/control-queues.js";
import { DIRTY_LOG_BAR, PEER_MEMORY_BAR } from "../../runtime/vhost-pci-net/device.js";
import { VhostPciNetDriver } from "../../runtime/vhost-pci-net/driver.js";
import { RefusalLog } from "../../runtime/vhost-pci-net/errors.js";
import { GuestInterrupts } from "../../runtime/vhost-pci-net/interrupts.js";
import { DriverAddressSpace } from "../../runtime/vhost-pci-net/peer-memory.js";
import type { DeviceBar } from "../../runtime/vhost-pci-net/peer-memory.js";
import { PvInterruptHypercall } from "../../runtime/vhost-pci-net/pv-interrupt.js";
import { VIRTIO_F_PV_INTERRUPT, VIRTIO_F_VERSION_1, VhostPciNetDeviceFeatureBit, decodeVhostPciNetRequest, encodeVhostPciNetRequest, featureMask } from "../../runtime/vhost-pci-net/spec.js";
import type { VhostPciNetCommandName, VhostPciNetDecodedRequest, VhostPciNetRequestInputs } from "../../runtime/vhost-pci-net/spec.js";
import { GuestLayout } from "../../runtime/virtio-net/guest-layout.js";

/** The peer memory the scripted device exposes: 1 MiB at guest-physical 0. */
export const PEER_RAM_SIZE = 1 << 20;

export class ScriptedDevice {
  readonly ram = new SharedArrayBuffer(1 << 21);
  readonly peerRam = new SharedArrayBuffer(PEER_RAM_SIZE);
  readonly memory = GuestMemory.fromBuffer(this.ram);
  readonly interrupts = new GuestInterrupts(4);
  readonly addressSpace = new DriverAddressSpace();
  readonly bars = new Map<number, DeviceBar>();
  readonly pv = new PvInterruptHypercall();
  readonly regs: CommonCfgRegisters;
  readonly driver: VhostPciNetDriver;
  /** Refusals of the control-queue device side (driver-written rings). */
  readonly deviceRefusals = new RefusalLog();
  /** What the driver sent, decoded. */
  readonly fromDriver: VhostPciNetDecodedRequest[] = [];
  #control: ControlQueueDevice | null = null;

  constructor(options: { withLogBar?: boolean } = {}) {
    this.regs = new CommonCfgRegisters({
      queueMaxSizes: [16, 16, 256],
      deviceFeatures: featureMask(VIRTIO_F_VERSION_1) | featureMask(VIRTIO_F_PV_INTERRUPT) | featureMask(VhostPciNetDeviceFeatureBit.CTRL_MAC_ADDR),
      interrupts: this.interrupts,
      hooks: {
        onDriverOk: () => {
          const ring = (i: number) => {
            const q = this.regs.queue(i);
            return { size: q.size, descAddress: Number(q.desc), availAddress: Number(q.avail), usedAddress: Number(q.used) };
          };
          this.#control = new ControlQueueDevice(
            this.memory,
            new SplitQueueDevice(this.memory, ring(CONTROL_RECEIVEQ)),
            new SplitQueueDevice(this.memory, ring(CONTROL_TRANSMITQ)),
            this.deviceRefusals,
            (q) => this.regs.raiseQueueInterrupt(q),
          );
        },
      },
    });
    this.pv.negotiated = true;
    this.bars.set(PEER_MEMORY_BAR, { id: PEER_MEMORY_BAR, buffer: this.peerRam, size: PEER_RAM_SIZE });
    if (options.withLogBar) this.bars.set(DIRTY_LOG_BAR, { id: DIRTY_LOG_BAR, buffer: new SharedArrayBuffer(64), size: 64 });
    this.driver = new VhostPciNetDriver({
      memory: this.memory,
      layout: new GuestLayout(0x1000, this.ram.byteLength - 0x1000),
      interrupts: this.interrupts,
      regs: this.regs,
      bars: this.bars,
      addressSpace: this.addressSpace,
      pv: this.pv,
    });
    this.driver.start();
    this.step();
    if (this.driver.state !== "running") throw new Error(`driver did not start: ${this.driver.state}`);
  }

  /** One turn: the device's control queues, then the driver. */
  step(): void {
    const control = this.#control;
    if (control !== null) {
      for (let m = control.receive(); m !== undefined; m = control.receive()) this.fromDriver.push(decodeVhostPciNetRequest(m));
      control.flush();
    }
    this.driver.poll();
    if (control !== null) for (let m = control.receive(); m !== undefined; m = control.receive()) this.fromDriver.push(decodeVhostPciNetRequest(m));
  }

  /** Delivers raw bytes to the driver as one control message. */
  sendBytes(bytes: Uint8Array): void {
    this.#control!.send(bytes);
    this.step();
    this.step();
  }

  /** Delivers a well-formed message (encoded by the generated codec). */
  send<K extends VhostPciNetCommandName>(command: K, request: VhostPciNetRequestInputs[K]): void {
    this.sendBytes(encodeVhostPciNetRequest(command, request, { vhost_pci_id: 9n }));
  }

  /** The driver's answers to `command` so far. */
  answers(command: VhostPciNetCommandName): VhostPciNetDecodedRequest[] {
    return this.fromDriver.filter((m) => m.command === command);
  }
}
