/**
 * Bench-only worker for test/bench/region-bandwidth.bench.ts: the peer that reads what the bench thread wrote.
 *
 * Shared-memory modes (one worker serves both, blocking in a Doorbell wait between requests):
 * - `handle`: reads the request's bytes through a {@link RegionHandle} of the peer device (its own, scattered
 *   chunk slots; region-relative addressing), into a private buffer;
 * - `raw`: copies the same number of bytes straight out of a SharedArrayBuffer (the baseline).
 * The request (mode, length) is in a small Int32Array; `request` is rung per request, `done` per answer.
 *
 * TCP mode (separate worker, event-loop driven): a 127.0.0.1 server that acknowledges each `length` bytes
 * received with one byte.
 *
 * Compiled by `npm run build` to dist/test/workers/region-bench-peer.worker.js.
 */
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { Doorbell } from "../../runtime/notify/index.js";
import { RegionHandle } from "../../runtime/shm/index.js";
import { MODE_HANDLE, MODE_STOP, REQUEST_LENGTH, REQUEST_MODE, REQUEST_OFFSET } from "./region-bench-protocol.js";

/** What the bench asks this worker to do. */
export type RegionBenchPeerTask =
  | {
      readonly kind: "shm";
      readonly handle: unknown;
      readonly raw: SharedArrayBuffer;
      readonly requestWords: SharedArrayBuffer;
      readonly request: unknown;
      readonly done: unknown;
    }
  | { readonly kind: "tcp"; readonly ackEvery: SharedArrayBuffer };

const port = parentPort;
if (port === null) throw new Error("region-bench-peer.worker must run as a worker thread");

function serveShm(task: Extract<RegionBenchPeerTask, { kind: "shm" }>): void {
  const handle = RegionHandle.fromDescriptor(task.handle);
  const raw = new Uint8Array(task.raw);
  const words = new Int32Array(task.requestWords);
  const request = Doorbell.fromDescriptor(task.request);
  const done = Doorbell.fromDescriptor(task.done);
  const sink = new Uint8Array(raw.length);
  let checksum = 0;
  let seen = 0;
  port!.postMessage({ ready: true });
  for (;;) {
    seen = request.wait(seen).value;
    const mode = Atomics.load(words, REQUEST_MODE);
    const length = Atomics.load(words, REQUEST_LENGTH);
    if (mode === MODE_STOP) break;
    const target = sink.subarray(0, length);
    // The peer's slots are scattered, so it reads by region offset (one copy); the writer's side exercises
    // device-offset translation.
    if (mode === MODE_HANDLE) handle.readRegionInto(Atomics.load(words, REQUEST_OFFSET), target);
    else target.set(raw.subarray(0, length));
    // Touch the data so the copy cannot be skipped, and so the bench can check it arrived.
    checksum = (checksum + target[length - 1]!) | 0;
    done.ring();
  }
  port!.postMessage({ stopped: true, checksum });
}

function serveTcp(task: Extract<RegionBenchPeerTask, { kind: "tcp" }>): void {
  // The bench stores the current message size here before sending; each full message is acknowledged.
  const ackEvery = new Int32Array(task.ackEvery);
  const ack = Buffer.of(1);
  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    let pending = 0;
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.length;
      const size = Atomics.load(ackEvery, 0);
      while (pending >= size) {
        pending -= size;
        socket.write(ack);
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => server.close());
  });
  server.listen(0, "127.0.0.1", () => port!.postMessage({ listening: (server.address() as AddressInfo).port }));
}

const task = workerData as RegionBenchPeerTask;
if (task.kind === "shm") serveShm(task);
else serveTcp(task);
