/**
 * Device half of the virtqueue cross-thread stress test (test/runtime/virtqueue-threads.test.ts).
 *
 * Pops chains, checks each request's checksum, writes the reply (seq, 0, ~hash(seq)) into the writable
 * buffer and returns the chain with USED_LENGTH, publishing in batches and interrupting only when the driver
 * asks for it.
 */

import { parentPort, workerData } from "node:worker_threads";
import { GuestMemory } from "../../runtime/memory/index.js";
import { SplitQueueDevice } from "../../runtime/virtqueue/index.js";
import {
  CTL_IRQS,
  CTL_KICKS,
  CTL_READY,
  STRESS_RING,
  USED_LENGTH,
  MAX_TIMEOUTS,
  WAIT_TIMEOUT_MS,
  payloadHash,
} from "./virtqueue-stress-protocol.js";
import type { DeviceReport, StressParams } from "./virtqueue-stress-protocol.js";

const params = workerData as StressParams;
const control = new Int32Array(params.control);
// The driver zeroes the ring when it starts; wait for that so our first writes are not wiped.
while (Atomics.load(control, CTL_READY) === 0) Atomics.wait(control, CTL_READY, 0, 1000);

const memory = GuestMemory.fromBuffer(params.guest);
const device = new SplitQueueDevice(memory, STRESS_RING, {
  eventIdx: params.eventIdx,
  indirectDesc: params.indirectEvery > 0,
});
const chain = device.createChain();
const report: DeviceReport = { processed: 0, badInput: 0, seqSum: 0, interrupts: 0, sleeps: 0, timeouts: 0, broken: null };

/** Serves every available chain; returns how many. Publishes every 32 chains and at the end. */
function serve(): number {
  let n = 0;
  while (device.pop(chain) === "popped") {
    const request = chain.addresses[0]!;
    const reply = chain.addresses[1]!;
    if (chain.readableCount !== 1 || chain.count !== 2 || chain.lengths[0] !== 16 || chain.lengths[1] !== 16) {
      report.badInput++;
    }
    const seq = memory.readU32(request);
    if (memory.readU32(request + 4) !== 0 || memory.readU32(request + 8) !== payloadHash(seq)) report.badInput++;
    memory.writeU32(reply, seq);
    memory.writeU32(reply + 4, 0);
    memory.writeU32(reply + 8, ~payloadHash(seq) >>> 0);
    device.addUsed(chain.head, USED_LENGTH);
    report.seqSum += seq;
    report.processed++;
    if (++n % 32 === 0) publish();
  }
  if (n % 32 !== 0) publish();
  return n;
}

function publish(): void {
  device.publishUsed();
  if (device.needsInterrupt()) {
    report.interrupts++;
    Atomics.add(control, CTL_IRQS, 1);
    Atomics.notify(control, CTL_IRQS);
  }
}

device.disableKicks();
while (report.processed < params.total && !device.broken && report.timeouts < MAX_TIMEOUTS) {
  if (serve() > 0) continue;
  let spun = 0;
  while (spun < 2000 && serve() === 0) spun++;
  if (spun < 2000) continue;
  const kicks = Atomics.load(control, CTL_KICKS);
  if (device.enableKicks()) {
    device.disableKicks();
    continue;
  }
  if (device.broken) break;
  report.sleeps++;
  if (Atomics.wait(control, CTL_KICKS, kicks, WAIT_TIMEOUT_MS) === "timed-out") report.timeouts++;
  device.disableKicks();
}
report.broken = device.brokenReason;
parentPort!.postMessage(report);
