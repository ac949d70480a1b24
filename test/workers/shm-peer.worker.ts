/**
 * Test-only worker for test/runtime/shm-worker.test.ts: a "guest" in another thread that rebuilds a region
 * handle from its descriptor and runs a list of operations on it, synchronised with the test by doorbells.
 * Compiled by `npm run build` to dist/test/workers/shm-peer.worker.js.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Doorbell } from "../../runtime/notify/index.js";
import { RegionHandle, ShmError } from "../../runtime/shm/index.js";

/** One step of the peer's script. */
export type ShmPeerOp =
  | { readonly op: "read"; readonly offset: number; readonly length: number }
  | { readonly op: "write"; readonly offset: number; readonly data: Uint8Array }
  | { readonly op: "wait"; readonly doorbell: unknown; readonly seen: number }
  | { readonly op: "ring"; readonly doorbell: unknown };

/** The peer's task: a handle descriptor and the steps to run with it. */
export interface ShmPeerTask {
  readonly handle: unknown;
  readonly ops: readonly ShmPeerOp[];
}

/** Outcome of one step: data for reads, the typed error's reason for refusals. */
export type ShmPeerStepResult =
  | { readonly ok: true; readonly data?: Uint8Array }
  | { readonly ok: false; readonly reason: string; readonly name: string };

const port = parentPort;
if (port === null) throw new Error("shm-peer.worker must run as a worker thread");

function step(handle: RegionHandle, op: ShmPeerOp): ShmPeerStepResult {
  try {
    switch (op.op) {
      case "read":
        return { ok: true, data: handle.read(op.offset, op.length) };
      case "write":
        handle.write(op.offset, op.data);
        return { ok: true };
      case "wait": {
        const r = Doorbell.fromDescriptor(op.doorbell).wait(op.seen, { timeoutMs: 10_000 });
        return r.outcome === "rung" ? { ok: true } : { ok: false, reason: "timed-out", name: "timeout" };
      }
      case "ring":
        Doorbell.fromDescriptor(op.doorbell).ring();
        return { ok: true };
    }
  } catch (e) {
    if (e instanceof ShmError) return { ok: false, reason: e.reason, name: e.name };
    throw e;
  }
}

const task = workerData as ShmPeerTask;
let results: ShmPeerStepResult[];
try {
  const handle = RegionHandle.fromDescriptor(task.handle);
  results = task.ops.map((op) => step(handle, op));
} catch (e) {
  results = [{ ok: false, reason: e instanceof ShmError ? e.reason : String(e), name: e instanceof Error ? e.name : "unknown" }];
}
port.postMessage(results);
