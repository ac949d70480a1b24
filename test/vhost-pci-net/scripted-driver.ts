/**
 * A vhost-pci-net driver a test scripts by hand: it initializes the real device through its registers with
 * its own queue drivers, then sends whatever bytes the test wants on the control transmitq (the harness for
 * feeding the device hostile input).
 */
import { GuestMemory } from "../../runtime/memory/index.js";
import { SplitQueueDriver, UsedBuffer } from "../../runtime/virtqueue/index.js";
import { DeviceStatus } from "../../runtime/vhost-pci-net/common-cfg.js";
import { VhostPciNetDevice } from "../../runtime/vhost-pci-net/device.js";
import { GuestInterrupts } from "../../runtime/vhost-pci-net/interrupts.js";
import { createLoopbackLink } from "../../runtime/vhost-pci-net/peer-link.js";
import type { PeerLinkEndpoint } from "../../runtime/vhost-pci-net/peer-link.js";
import { DriverAddressSpace } from "../../runtime/vhost-pci-net/peer-memory.js";
import { GuestLayout } from "../../runtime/virtio-net/guest-layout.js";

export class ScriptedDriver {
  readonly ram = new SharedArrayBuffer(1 << 20);
  readonly memory = GuestMemory.fromBuffer(this.ram);
  readonly interrupts = new GuestInterrupts(4);
  readonly device: VhostPciNetDevice;
  /** The peer device's end of the link (nothing answers on it unless the test does). */
  readonly peer: PeerLinkEndpoint;
  readonly layout = new GuestLayout(0x1000, (1 << 20) - 0x1000);
  readonly transmitq: SplitQueueDriver<number>;
  readonly receiveq: SplitQueueDriver<number>;
  readonly #buffer: number;

  /** Initializes the device with `features` (default: everything offered). */
  constructor(features?: bigint) {
    const [peer, link] = createLoopbackLink();
    this.peer = peer;
    this.device = new VhostPciNetDevice({
      memory: this.memory,
      interrupts: this.interrupts,
      link,
      addressSpace: new DriverAddressSpace(),
      environment: { pvInterrupt: true },
      vhostPciId: 5n,
      uuidHi: 1n,
      uuidLo: 2n,
    });
    const regs = this.device.regs;
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    const offered = regs.deviceFeatures;
    const f = features ?? offered;
    regs.writeField("driver_feature_select", 0);
    regs.writeField("driver_feature", Number(f & 0xffffffffn));
    regs.writeField("driver_feature_select", 1);
    regs.writeField("driver_feature", Number(f >> 32n));
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    const rings = [0, 1, 2].map((i) => {
      regs.writeField("queue_select", i);
      const ring = this.layout.ring(regs.readField("queue_size"));
      regs.writeField("queue_desc", BigInt(ring.descAddress));
      regs.writeField("queue_avail", BigInt(ring.availAddress));
      regs.writeField("queue_used", BigInt(ring.usedAddress));
      regs.writeField("queue_enable", 1);
      return ring;
    });
    this.receiveq = new SplitQueueDriver<number>(this.memory, rings[0]!);
    this.transmitq = new SplitQueueDriver<number>(this.memory, rings[1]!);
    this.#buffer = this.layout.pool(1, 8192);
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK);
  }

  /** Sends `bytes` as one control message and lets the device process it. */
  sendBytes(bytes: Uint8Array): void {
    this.memory.write(this.#buffer, bytes);
    expectAdded(this.transmitq.add([{ address: this.#buffer, length: Math.max(1, bytes.length) }], [], 0));
    this.device.poll();
    const used = new UsedBuffer<number>();
    while (this.transmitq.getUsed(used) === "used") {
      /* reclaimed */
    }
  }
}

function expectAdded(result: string): void {
  if (result !== "added") throw new Error(`transmitq add: ${result}`);
}
