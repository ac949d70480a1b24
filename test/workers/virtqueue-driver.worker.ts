/**
 * Driver half of the virtqueue cross-thread stress test (test/runtime/virtqueue-threads.test.ts).
 *
 * Sends `total` chains (16 readable bytes: seq, 0, hash(seq), slot; 16 writable bytes), every
 * `indirectEvery`-th through an indirect table, and checks each completion: right token, right length, the
 * device's reply (seq, 0, ~hash(seq)) in the writable buffer, and no sequence number seen twice.
 */

import { parentPort, workerData } from "node:worker_threads";
import { GuestMemory } from "../../runtime/memory/index.js";
import { SplitQueueDriver, UsedBuffer } from "../../runtime/virtqueue/index.js";
import type { VirtqueueBuffer } from "../../runtime/virtqueue/index.js";
import {
  CTL_IRQS,
  CTL_KICKS,
  CTL_READY,
  DATA_BASE,
  SLOT_BYTES,
  STRESS_QUEUE_SIZE,
  STRESS_RING,
  TABLE_BASE,
  TABLE_BYTES,
  USED_LENGTH,
  MAX_TIMEOUTS,
  WAIT_TIMEOUT_MS,
  payloadHash,
} from "./virtqueue-stress-protocol.js";
import type { DriverReport, StressParams } from "./virtqueue-stress-protocol.js";

const params = workerData as StressParams;
const memory = GuestMemory.fromBuffer(params.guest);
const control = new Int32Array(params.control);
const driver = new SplitQueueDriver<number>(memory, STRESS_RING, {
  eventIdx: params.eventIdx,
  indirectDesc: params.indirectEvery > 0,
});
Atomics.store(control, CTL_READY, 1);
Atomics.notify(control, CTL_READY);

const report: DriverReport = {
  completed: 0,
  duplicates: 0,
  mismatches: 0,
  seqSum: 0,
  kicks: 0,
  sleeps: 0,
  timeouts: 0,
  broken: null,
};
const seen = new Uint8Array(params.total);
/** Sequence number currently travelling in each slot (the token is the slot). */
const seqOfSlot = new Float64Array(STRESS_QUEUE_SIZE);
const freeSlots: number[] = [];
for (let s = STRESS_QUEUE_SIZE - 1; s >= 0; s--) freeSlots.push(s);
const readable: VirtqueueBuffer[] = [{ address: 0, length: 16 }];
const writable: VirtqueueBuffer[] = [{ address: 0, length: 16 }];
const used = new UsedBuffer<number>();
let nextSeq = 0;

let fills = 0;

/**
 * Adds a burst of chains (bounded by free slots and descriptors), then kicks if the device asks for it.
 * Every 8th burst is a single chain: an off-by-one in kick suppression only loses a kick when exactly one
 * chain is added before waiting, so the test must produce that case often.
 */
function fill(): void {
  const burst = ++fills % 8 === 0 ? 1 : 1 + (payloadHash(fills) & 127);
  let added = 0;
  while (added < burst && nextSeq < params.total && freeSlots.length > 0) {
    const slot = freeSlots[freeSlots.length - 1]!;
    const base = DATA_BASE + slot * SLOT_BYTES;
    memory.writeU32(base, nextSeq);
    memory.writeU32(base + 4, 0);
    memory.writeU32(base + 8, payloadHash(nextSeq));
    memory.writeU32(base + 12, slot);
    memory.writeU32(base + 32, 0xffffffff); // poison the reply so a missing write is caught
    readable[0]!.address = base;
    writable[0]!.address = base + 32;
    const indirect = params.indirectEvery > 0 && nextSeq % params.indirectEvery === 0;
    const result = driver.add(readable, writable, slot, indirect ? TABLE_BASE + slot * TABLE_BYTES : undefined);
    if (result !== "added") break; // no-space (or broken, reported below)
    freeSlots.pop();
    seqOfSlot[slot] = nextSeq++;
    added++;
  }
  if (added > 0 && driver.needsKick()) {
    report.kicks++;
    Atomics.add(control, CTL_KICKS, 1);
    Atomics.notify(control, CTL_KICKS);
  }
}

/** Collects every used chain available now; returns how many. */
function drain(): number {
  let n = 0;
  while (driver.getUsed(used) === "used") {
    n++;
    const slot = used.token!;
    const seq = seqOfSlot[slot]!;
    const reply = DATA_BASE + slot * SLOT_BYTES + 32;
    if (
      used.length !== USED_LENGTH ||
      memory.readU32(reply) !== seq ||
      memory.readU32(reply + 4) !== 0 ||
      memory.readU32(reply + 8) !== (~payloadHash(seq) >>> 0)
    ) {
      report.mismatches++;
    }
    if (seen[seq] !== 0) report.duplicates++;
    seen[seq] = 1;
    report.seqSum += seq;
    report.completed++;
    freeSlots.push(slot);
  }
  return n;
}

driver.disableUsedNotifications();
while (report.completed < params.total && !driver.broken && report.timeouts < MAX_TIMEOUTS) {
  fill();
  if (drain() > 0) continue;
  // Nothing completed: spin briefly (the device is usually mid-batch), then sleep until interrupted.
  let spun = 0;
  while (spun < 2000 && drain() === 0) spun++;
  if (spun < 2000) continue;
  const irqs = Atomics.load(control, CTL_IRQS);
  if (driver.enableUsedNotifications()) {
    driver.disableUsedNotifications();
    continue;
  }
  report.sleeps++;
  if (Atomics.wait(control, CTL_IRQS, irqs, WAIT_TIMEOUT_MS) === "timed-out") report.timeouts++;
  driver.disableUsedNotifications();
}
report.broken = driver.brokenReason;
parentPort!.postMessage(report);
