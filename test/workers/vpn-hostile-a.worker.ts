/**
 * Guest A of a vhost-pci pair that turns hostile once connected: it publishes, in its own TX ring, a
 * descriptor chain that loops (0 → 1 → 0). Used by test/vhost-pci-net/pair-workers.test.ts to show that
 * guest B, in another thread, refuses the ring with a named reason and keeps running.
 */
import { workerData } from "node:worker_threads";
import { runGuestWorker } from "../../runtime/vhost-pci-net/guest-worker.js";
import type { GuestWorkerData } from "../../runtime/vhost-pci-net/pair-protocol.js";
import { VRING_DESC_F_NEXT, splitRingFieldOffsets } from "../../runtime/virtqueue/index.js";
import { NET_TRANSMITQ } from "../../runtime/virtio-net/device.js";
import { GuestA } from "../../runtime/virtio-net/guest-a.js";

runGuestWorker(workerData as GuestWorkerData, {
  onConnected(guest) {
    if (!(guest instanceof GuestA)) return;
    const q = guest.device.regs.queue(NET_TRANSMITQ);
    const mem = guest.memory;
    const desc = Number(q.desc);
    const avail = Number(q.avail);
    for (const [i, next] of [
      [0, 1],
      [1, 0],
    ] as const) {
      mem.writeU64Number(desc + 16 * i, 0x100000 + 64 * i);
      mem.writeU32(desc + 16 * i + 8, 64);
      mem.writeU16(desc + 16 * i + 12, VRING_DESC_F_NEXT);
      mem.writeU16(desc + 16 * i + 14, next);
    }
    const o = splitRingFieldOffsets(q.size);
    mem.writeU16(avail + o.availRing, 0);
    mem.atomicStore16(avail + o.availIdx, 1);
    // Kick guest B the way a driver would after adding a chain.
    guest.device.pv?.inject(guest.driver.peerRxQueueGsis[0] ?? 0);
  },
});
