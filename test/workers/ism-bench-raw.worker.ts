/**
 * Bench-only worker for test/bench/ism-bench.mjs (and test/ism/guest-channels.test.ts): the raw baselines — the
 * same mailbox (ping-pong) and byte ring (streaming) code the ISM guests run, but over a plain SharedArrayBuffer
 * with raw Atomics wake-ups instead of an ISM region with kicks through the device. Compiled to
 * dist/test/workers/ism-bench-raw.worker.js.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ByteRing } from "../../runtime/ism/guest/channels/byte-ring.js";
import { Mailbox } from "../../runtime/ism/guest/channels/mailbox.js";
import { rawSignal } from "../../runtime/ism/guest/channels/signal.js";
import { waitCounters } from "../../runtime/ism/guest/channels/spin.js";
import { streamThrough } from "../../runtime/ism/guest/channels/stream.js";

/** What the bench script asks one side to do. */
export type RawBenchTask =
  | {
      readonly kind: "pingpong";
      readonly role: "initiator" | "responder";
      /** Channel memory (mailbox at 0). */
      readonly memory: SharedArrayBuffer;
      /** Two signal words (one cache line each). */
      readonly signals: SharedArrayBuffer;
      readonly rounds: number;
      readonly messageBytes: number;
      readonly spinNanoseconds: number;
      /** Nap phase (default the channel's). */
      readonly napNanoseconds?: number;
    }
  | {
      readonly kind: "stream";
      readonly role: "producer" | "consumer";
      /** Channel memory (ring at 0). */
      readonly memory: SharedArrayBuffer;
      readonly signals: SharedArrayBuffer;
      readonly capacity: number;
      readonly bytes: number;
      readonly chunkBytes: number;
      readonly spinNanoseconds: number;
      /** Nap phase (default the channel's). */
      readonly napNanoseconds?: number;
      /** Consumer: copy out (default) or look at the bytes in place. */
      readonly consume?: "copy" | "in-place";
      /** Untimed bytes streamed first. */
      readonly warmupBytes?: number;
      /** Streams to run, each started by a message from the bench script. */
      readonly runs: number;
    };

const port = parentPort;
if (port === null) throw new Error("ism-bench-raw.worker must run as a worker thread");
const task = workerData as RawBenchTask;
const memory = { bytes: new Uint8Array(task.memory), words: new Int32Array(task.memory) };
const budget = {
  spinNanoseconds: task.spinNanoseconds,
  ...(task.napNanoseconds === undefined ? {} : { napNanoseconds: task.napNanoseconds }),
  timeoutMs: 30_000,
};

if (task.kind === "pingpong") {
  const side = task.role === "initiator" ? 0 : 1;
  const mailbox = new Mailbox(memory, 0, side, 1024, rawSignal(new Int32Array(task.signals), side), budget);
  const message = new Uint8Array(task.messageBytes);
  const inbox = new Uint8Array(1024);
  if (task.role === "responder") {
    for (let i = 0; i < task.rounds; i++) mailbox.send(inbox, mailbox.receive(inbox));
    port.postMessage({ rounds: task.rounds, ...waitCounters });
  } else {
    const samples = new Float64Array(task.rounds);
    for (let i = 0; i < task.rounds; i++) {
      message[0] = i & 0xff;
      const t0 = performance.now();
      mailbox.send(message);
      mailbox.receive(inbox);
      samples[i] = (performance.now() - t0) * 1000;
    }
    port.postMessage({ rounds: task.rounds, samplesUs: samples, ...waitCounters }, [samples.buffer]);
  }
} else {
  // Streams stay in one worker pair for all the runs, like the ISM guests, so both are measured warm. Each run
  // starts when the bench script posts a message; its result is posted back.
  const side = task.role === "producer" ? 0 : 1;
  const signal = rawSignal(new Int32Array(task.signals), side);
  let runs = 0;
  port.on("message", () => {
    const ring = new ByteRing(memory, 0, task.capacity, task.role, signal, budget);
    const result = streamThrough(ring, task.role, task.bytes, task.chunkBytes, task.consume === "in-place", task.warmupBytes ?? 0, 0);
    port.postMessage({ ...result, ...waitCounters });
    if (++runs === task.runs) port.close();
  });
}
