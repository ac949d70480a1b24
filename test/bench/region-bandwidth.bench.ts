/**
 * Region write-then-peer-read bandwidth for 4 KiB, 64 KiB and 1 MiB messages.
 *
 * One iteration = this thread writes the message, kicks the peer worker, and waits until the peer has copied
 * the message out and kicked back. Rows per size (same run, same protocol):
 * - region handles: write through device A's handle (device offsets, contiguous slots: one copy per chunk),
 *   peer reads through device B's handle (scattered slots, region offsets), doorbells for the kicks;
 * - raw SharedArrayBuffer copy in / copy out with the same doorbells (baseline: the cost of the handles);
 * - TCP loopback on 127.0.0.1: write the message, peer acknowledges with one byte (baseline: the conventional
 *   alternative).
 * Bandwidth = message size / time per iteration; use `--outputJson` for medians.
 *
 * Needs the compiled peer (test/workers/region-bench-peer.worker.ts): `npm run build` first. Run with
 *   npx vitest bench --run test/bench/region-bandwidth.bench.ts
 */
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, bench, describe } from "vitest";
import { Doorbell } from "../../runtime/notify/index.js";
import { DeviceMemory, HostMemory } from "../../runtime/shm/index.js";
import {
  MODE_HANDLE,
  MODE_RAW,
  MODE_STOP,
  REQUEST_LENGTH,
  REQUEST_MODE,
  REQUEST_OFFSET,
} from "../workers/region-bench-protocol.js";

const PEER = new URL("../../dist/test/workers/region-bench-peer.worker.js", import.meta.url);
if (!existsSync(fileURLToPath(PEER))) throw new Error("compiled bench peer missing: run `npm run build` first");

const KiB = 1024;
const CHUNK = 4 * KiB;
const MAX = 1024 * KiB;
const SIZES = [4 * KiB, 64 * KiB, 1024 * KiB];

// Device A: region at slots 0..255 (contiguous). Device B: region at every other slot (0, 2, 4, ...), so the
// peer's mapping really is scattered.
const host = new HostMemory();
const deviceA = new DeviceMemory({ chunkCount: 1024, chunkSize: CHUNK });
const deviceB = new DeviceMemory({ chunkCount: 1024, chunkSize: CHUNK });
const fillers = Array.from({ length: 2 * (MAX / CHUNK) }, () => deviceB.map(host.allocateRegion(CHUNK, CHUNK)));
fillers.filter((_, i) => i % 2 === 0).forEach((m) => deviceB.unmap(m));
const region = host.allocateRegion(MAX, CHUNK);
const writer = deviceA.map(region).handle();
const reader = deviceB.map(region).handle();

const raw = new SharedArrayBuffer(MAX);
const rawBytes = new Uint8Array(raw);
const requestWords = new Int32Array(new SharedArrayBuffer(16));
const request = Doorbell.create();
const done = Doorbell.create();
const message = Uint8Array.from({ length: MAX }, (_, i) => (i * 7) & 0xff);

function spawn(workerData: unknown): { worker: Worker; first: Promise<Record<string, unknown>> } {
  const worker = new Worker(PEER, { workerData });
  const first = new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { worker, first };
}

const shmPeer = spawn({
  kind: "shm",
  handle: reader.toDescriptor(),
  raw,
  requestWords: requestWords.buffer,
  request: request.toDescriptor(),
  done: done.toDescriptor(),
});
await shmPeer.first;

const ackEvery = new Int32Array(new SharedArrayBuffer(4));
const tcpPeer = spawn({ kind: "tcp", ackEvery: ackEvery.buffer });
const { listening } = await tcpPeer.first;
const socket: Socket = await new Promise((resolve, reject) => {
  const s = createConnection({ host: "127.0.0.1", port: listening as number }, () => resolve(s));
  s.once("error", reject);
});
socket.setNoDelay(true);
let ackWaiter: (() => void) | undefined;
socket.on("data", (chunk: Buffer) => {
  for (let i = 0; i < chunk.length; i++) {
    const w = ackWaiter;
    ackWaiter = undefined;
    w?.();
  }
});

let doneSeen = 0;
function roundTrip(mode: number, length: number, offset: number): void {
  Atomics.store(requestWords, REQUEST_MODE, mode);
  Atomics.store(requestWords, REQUEST_LENGTH, length);
  Atomics.store(requestWords, REQUEST_OFFSET, offset);
  request.ring();
  const r = done.wait(doneSeen, { timeoutMs: 10_000 });
  if (r.outcome !== "rung") throw new Error("bench peer did not answer within 10 s");
  doneSeen = r.value;
}

afterAll(async () => {
  Atomics.store(requestWords, REQUEST_MODE, MODE_STOP);
  request.ring();
  socket.end();
  await Promise.all([shmPeer.worker.terminate(), tcpPeer.worker.terminate()]);
});

const options = { time: 1500, warmupTime: 300 };

for (const size of SIZES) {
  const label = size >= 1024 * KiB ? `${size / (1024 * KiB)} MiB` : `${size / KiB} KiB`;
  const payload = message.subarray(0, size);
  describe(`write ${label}, peer reads it`, () => {
    bench(
      `region handles (A: device offsets, B: scattered slots)`,
      () => {
        writer.write(writer.offset, payload);
        roundTrip(MODE_HANDLE, size, 0);
      },
      options,
    );
    bench(
      `raw SharedArrayBuffer copy (baseline)`,
      () => {
        rawBytes.set(payload);
        roundTrip(MODE_RAW, size, 0);
      },
      options,
    );
    bench(
      `TCP loopback 127.0.0.1 (baseline)`,
      async () => {
        Atomics.store(ackEvery, 0, size);
        const acked = new Promise<void>((resolve) => (ackWaiter = resolve));
        socket.write(payload);
        await acked;
      },
      options,
    );
  });
}
