/**
 * Regions shared between threads: a handle built in the test is posted (as a descriptor) to a worker that
 * plays the peer device's guest (test/workers/shm-peer.worker.ts, run from its compiled form in dist/).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import { Doorbell } from "../../runtime/notify/index.js";
import { DeviceMemory, HostMemory, REGION_PERM_READ } from "../../runtime/shm/index.js";
import type { ShmPeerStepResult, ShmPeerTask } from "../workers/shm-peer.worker.js";

const PEER = new URL("../../dist/test/workers/shm-peer.worker.js", import.meta.url);
const CHUNK = 1024;

beforeAll(() => {
  if (!existsSync(fileURLToPath(PEER))) {
    throw new Error(`${fileURLToPath(PEER)} is missing: run \`npm run build\` (npm test does it) before these tests`);
  }
});

function runPeer(task: ShmPeerTask): Promise<ShmPeerStepResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PEER, { workerData: task });
    let answered = false;
    worker.once("message", (m: ShmPeerStepResult[]) => {
      answered = true;
      resolve(m);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (!answered) reject(new Error(`worker exited with code ${code} before answering`));
    });
  });
}

/** A region mapped at slots 0.. in device A and at scattered slots in device B. */
function sharedSetup(peerPermissions?: number) {
  const host = new HostMemory();
  const a = new DeviceMemory({ chunkCount: 32, chunkSize: CHUNK });
  const b = new DeviceMemory({ chunkCount: 32, chunkSize: CHUNK });
  const spacer = b.map(host.allocateRegion(2 * CHUNK, CHUNK));
  const gap = b.map(host.allocateRegion(CHUNK, CHUNK));
  b.map(host.allocateRegion(CHUNK, CHUNK));
  b.unmap(gap); // b: slots 0,1 spacer, 2 free, 3 taken
  const region = host.allocateRegion(3 * CHUNK, CHUNK);
  const ma = a.map(region);
  const mb = peerPermissions === undefined ? b.map(region) : b.map(region, peerPermissions);
  return { host, a, b, region, ma, mb, spacer };
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);
}

describe("regions shared with a worker thread", () => {
  it("a cross-chunk write in this thread is read by the worker at its own offsets, and its answer comes back", async () => {
    const { ma, mb } = sharedSetup();
    expect([...mb.chunkSlots]).toEqual([2, 4, 5]);
    const ha = ma.handle();
    const written = Doorbell.create();
    const answered = Doorbell.create();
    const data = pattern(300, 1);
    // Region bytes [CHUNK - 100, CHUNK + 200): device A offsets are the same; device B sees them in slot 2
    // (region chunk 0) and slot 4 (region chunk 1).
    const peer = runPeer({
      handle: mb.handle().toDescriptor(),
      ops: [
        { op: "wait", doorbell: written.toDescriptor(), seen: 0 },
        { op: "read", offset: 3 * CHUNK - 100, length: 100 },
        { op: "read", offset: 4 * CHUNK, length: 200 },
        // Answer across B's adjacent slots 4 and 5 (region chunks 1 and 2).
        { op: "write", offset: 5 * CHUNK - 8, data: pattern(16, 9) },
        { op: "ring", doorbell: answered.toDescriptor() },
      ],
    });
    ha.write(CHUNK - 100, data);
    written.ring();
    const seenAnswer = answered.wait(0, { timeoutMs: 10_000 });
    expect(seenAnswer.outcome).toBe("rung");
    expect(ha.read(2 * CHUNK - 8, 16)).toEqual(pattern(16, 9));
    const results = await peer;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[1]).toEqual({ ok: true, data: data.subarray(0, 100) });
    expect(results[2]).toEqual({ ok: true, data: data.subarray(100) });
  });

  it("a read-only handle in the worker cannot write; nothing changes", async () => {
    const { ma, mb } = sharedSetup(REGION_PERM_READ);
    ma.handle().write(0, pattern(8, 4));
    const results = await runPeer({
      handle: mb.handle().toDescriptor(),
      ops: [
        { op: "write", offset: mb.offset, data: new Uint8Array(8) },
        { op: "read", offset: mb.offset, length: 8 },
      ],
    });
    expect(results[0]).toMatchObject({ ok: false, reason: "permission-denied", name: "ShmError" });
    expect(results[1]).toEqual({ ok: true, data: pattern(8, 4) });
    expect(ma.handle().read(0, 8)).toEqual(pattern(8, 4));
  });

  it("unmapping here invalidates the worker's handle (use after unmap is refused there)", async () => {
    const { b, mb, region } = sharedSetup();
    const go = Doorbell.create();
    const peer = runPeer({
      handle: mb.handle().toDescriptor(),
      ops: [
        { op: "write", offset: mb.offset, data: Uint8Array.of(1) },
        { op: "wait", doorbell: go.toDescriptor(), seen: 0 },
        { op: "write", offset: mb.offset, data: Uint8Array.of(2) },
        { op: "read", offset: mb.offset, length: 1 },
      ],
    });
    // Wait until the worker's first write landed, then unmap and let it continue.
    const view = new Uint8Array(region.buffer);
    const deadline = Date.now() + 10_000;
    while (Atomics.load(view, 0) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    expect(b.unmap(mb)).toBe(1);
    go.ring();
    const results = await peer;
    expect(results[0]).toEqual({ ok: true });
    expect(results[2]).toMatchObject({ ok: false, reason: "unmapped" });
    expect(results[3]).toMatchObject({ ok: false, reason: "unmapped" });
    expect(view[0]).toBe(1);
  });

  it("a permission revoked here applies to the worker's existing handle", async () => {
    const { mb } = sharedSetup();
    const handle = mb.handle().toDescriptor();
    mb.setPermissions(REGION_PERM_READ);
    const results = await runPeer({ handle, ops: [{ op: "write", offset: mb.offset, data: Uint8Array.of(7) }] });
    expect(results[0]).toMatchObject({ ok: false, reason: "permission-denied" });
  });

  it("the worker refuses a tampered descriptor with a typed error", async () => {
    const { mb } = sharedSetup();
    const tampered = { ...mb.handle().toDescriptor(), chunkSlots: Uint32Array.of(2, 4, 99) };
    const results = await runPeer({ handle: tampered, ops: [] });
    expect(results).toEqual([{ ok: false, reason: "invalid-descriptor", name: "ShmError" }]);
  });
});
