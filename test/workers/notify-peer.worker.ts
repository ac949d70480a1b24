/**
 * Test-only worker for test/runtime/notify-worker.test.ts: the other side of cross-thread doorbell scenarios.
 * Compiled by `npm run build` to dist/test/workers/notify-peer.worker.js; the test spawns the compiled file.
 * Every scenario posts exactly one result message (or an `error` message with the typed error's reason).
 */
import { parentPort, workerData } from "node:worker_threads";
import { Doorbell, InterruptTable, NotifyError } from "../../runtime/notify/index.js";
import type { DoorbellWaitOptions } from "../../runtime/notify/index.js";

/** Scenario requested by the test. */
export type NotifyPeerTask =
  | {
      readonly mode: "pingpong";
      readonly role: "initiator" | "responder";
      readonly ping: unknown;
      readonly pong: unknown;
      /** Int32 words: [0] sequence written by the initiator, [1] answer written by the responder. */
      readonly data: SharedArrayBuffer;
      readonly rounds: number;
      readonly wait: DoorbellWaitOptions;
    }
  | { readonly mode: "ring-after"; readonly doorbell: unknown; readonly delayMs: number }
  | { readonly mode: "wait-async-alone"; readonly doorbell: unknown; readonly seen: number; readonly timeoutMs: number }
  | { readonly mode: "probe-descriptor"; readonly descriptor: unknown }
  | { readonly mode: "raise-loop"; readonly table: unknown; readonly vector: number; readonly raises: number };

/** Result of a pingpong role. */
export interface PingPongResult {
  readonly mode: "pingpong";
  readonly completed: number;
  readonly mismatches: number;
  readonly timeouts: number;
  readonly sleeps: number;
}

const port = parentPort;
if (port === null) throw new Error("notify-peer.worker must run as a worker thread");

/** Blocks this thread for `ms` without spinning (a private futex that nobody notifies). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pingpong(task: Extract<NotifyPeerTask, { mode: "pingpong" }>): PingPongResult {
  const ping = Doorbell.fromDescriptor(task.ping);
  const pong = Doorbell.fromDescriptor(task.pong);
  const data = new Int32Array(task.data);
  // A lost wake-up shows up as a timeout instead of a hang.
  const options: DoorbellWaitOptions = { ...task.wait, timeoutMs: 10_000 };
  let mismatches = 0;
  let sleeps = 0;
  // Both counters start at 0 in a fresh buffer; using 0 rather than load() means a ring that happens before
  // this worker starts is still seen.
  let seen = 0;
  for (let i = 1; i <= task.rounds; i++) {
    if (task.role === "initiator") {
      data[0] = i; // plain write, published by the ring below
      ping.ring();
      const r = pong.wait(seen, options);
      if (r.outcome === "timed-out") return { mode: "pingpong", completed: i - 1, mismatches, timeouts: 1, sleeps };
      if (r.slept) sleeps++;
      seen = r.value;
      if (data[1] !== i * 3) mismatches++;
    } else {
      const r = ping.wait(seen, options);
      if (r.outcome === "timed-out") return { mode: "pingpong", completed: i - 1, mismatches, timeouts: 1, sleeps };
      if (r.slept) sleeps++;
      seen = r.value;
      const seq = data[0]!;
      if (seq !== i) mismatches++;
      data[1] = seq * 3;
      pong.ring();
    }
  }
  return { mode: "pingpong", completed: task.rounds, mismatches, timeouts: 0, sleeps };
}

async function run(task: NotifyPeerTask): Promise<unknown> {
  switch (task.mode) {
    case "pingpong":
      return pingpong(task);
    case "ring-after": {
      const d = Doorbell.fromDescriptor(task.doorbell);
      sleep(task.delayMs);
      return { mode: task.mode, value: d.ring() };
    }
    case "wait-async-alone": {
      // Nothing else (no message listener, no timer) keeps this worker alive: only waitAsync's keep-alive.
      const r = await Doorbell.fromDescriptor(task.doorbell).waitAsync(task.seen, { timeoutMs: task.timeoutMs });
      return { mode: task.mode, ...r };
    }
    case "probe-descriptor":
      Doorbell.fromDescriptor(task.descriptor);
      return { mode: task.mode, accepted: true };
    case "raise-loop": {
      const table = InterruptTable.fromDescriptor(task.table);
      let delivered = 0;
      let pending = 0;
      for (let i = 0; i < task.raises; i++) {
        if (table.raise(task.vector) === "delivered") delivered++;
        else pending++;
      }
      return { mode: task.mode, delivered, pending };
    }
  }
}

run(workerData as NotifyPeerTask).then(
  (result) => port.postMessage(result),
  (e: unknown) =>
    port.postMessage({
      error: {
        name: e instanceof Error ? e.name : "unknown",
        reason: e instanceof NotifyError ? e.reason : undefined,
        message: e instanceof Error ? e.message : String(e),
      },
    }),
);
