/**
 * Bench-only worker for test/bench/kick-latency.mjs: one side of a worker-to-worker kick round trip.
 *
 * The initiator timestamps each round trip (ping → pong) with `performance.now()` and returns the samples; the
 * responder answers each ping. Transports: this project's {@link Doorbell}, raw `Atomics` on an Int32Array (the
 * baseline), and a TCP loopback connection on 127.0.0.1 (the conventional alternative).
 * Compiled by `npm run build` to dist/test/workers/kick-bench.worker.js.
 */
import { createConnection, createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { Doorbell } from "../../runtime/notify/index.js";
import type { DoorbellWaitOptions } from "../../runtime/notify/index.js";

/** What the main script asks one worker to do. */
export type KickBenchTask =
  | {
      readonly transport: "doorbell";
      readonly role: "initiator" | "responder";
      readonly ping: unknown;
      readonly pong: unknown;
      readonly rounds: number;
      readonly wait: DoorbellWaitOptions;
    }
  | {
      readonly transport: "raw-atomics";
      readonly role: "initiator" | "responder";
      /** Two counters on separate cache lines: word 0 = ping, word 16 = pong. */
      readonly words: SharedArrayBuffer;
      readonly rounds: number;
      /** Polls before Atomics.wait (0 = plain futex ping-pong). */
      readonly spin: number;
    }
  | { readonly transport: "tcp"; readonly role: "responder"; readonly rounds: number }
  | { readonly transport: "tcp"; readonly role: "initiator"; readonly rounds: number; readonly port: number };

/** Initiator result: one round-trip time per round, in microseconds. */
export interface KickBenchSamples {
  readonly samplesUs: Float64Array;
}

const port = parentPort;
if (port === null) throw new Error("kick-bench.worker must run as a worker thread");

function doorbellSide(task: Extract<KickBenchTask, { transport: "doorbell" }>): Float64Array<ArrayBuffer> | undefined {
  const ping = Doorbell.fromDescriptor(task.ping);
  const pong = Doorbell.fromDescriptor(task.pong);
  let seen = 0;
  if (task.role === "responder") {
    for (let i = 0; i < task.rounds; i++) {
      seen = ping.wait(seen, task.wait).value;
      pong.ring();
    }
    return undefined;
  }
  const samples = new Float64Array(task.rounds);
  for (let i = 0; i < task.rounds; i++) {
    const t0 = performance.now();
    ping.ring();
    seen = pong.wait(seen, task.wait).value;
    samples[i] = (performance.now() - t0) * 1000;
  }
  return samples;
}

/** The baseline: the same protocol written directly with Atomics, no abstraction, no validation. */
function rawSide(task: Extract<KickBenchTask, { transport: "raw-atomics" }>): Float64Array<ArrayBuffer> | undefined {
  const words = new Int32Array(task.words);
  const PING = 0;
  const PONG = 16;
  const waitChange = (index: number, seen: number): number => {
    let value = Atomics.load(words, index);
    for (let i = 0; i < task.spin && value === seen; i++) value = Atomics.load(words, index);
    while (value === seen) {
      Atomics.wait(words, index, seen);
      value = Atomics.load(words, index);
    }
    return value;
  };
  let seen = 0;
  if (task.role === "responder") {
    for (let i = 0; i < task.rounds; i++) {
      seen = waitChange(PING, seen);
      Atomics.add(words, PONG, 1);
      Atomics.notify(words, PONG);
    }
    return undefined;
  }
  const samples = new Float64Array(task.rounds);
  for (let i = 0; i < task.rounds; i++) {
    const t0 = performance.now();
    Atomics.add(words, PING, 1);
    Atomics.notify(words, PING);
    seen = waitChange(PONG, seen);
    samples[i] = (performance.now() - t0) * 1000;
  }
  return samples;
}

function tcpResponder(rounds: number): Promise<undefined> {
  return new Promise((resolve, reject) => {
    let answered = 0;
    const server = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      socket.on("data", (chunk: Buffer) => {
        // Each received byte is one ping; answer each with one byte.
        socket.write(chunk);
        answered += chunk.length;
        if (answered >= rounds) {
          socket.end();
          server.close(() => resolve(undefined));
        }
      });
      socket.on("error", reject);
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      port!.postMessage({ listening: (server.address() as AddressInfo).port });
    });
  });
}

function tcpInitiator(rounds: number, serverPort: number): Promise<Float64Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const samples = new Float64Array(rounds);
    const ping = Buffer.of(1);
    let i = 0;
    let t0 = 0;
    const socket = createConnection({ host: "127.0.0.1", port: serverPort }, () => {
      socket.setNoDelay(true);
      t0 = performance.now();
      socket.write(ping);
    });
    socket.on("data", (chunk: Buffer) => {
      // One byte back per ping; the initiator never has more than one ping in flight.
      for (let k = 0; k < chunk.length; k++) {
        samples[i++] = (performance.now() - t0) * 1000;
      }
      if (i >= rounds) {
        socket.end();
        resolve(samples);
        return;
      }
      t0 = performance.now();
      socket.write(ping);
    });
    socket.on("error", reject);
  });
}

async function run(task: KickBenchTask): Promise<Float64Array<ArrayBuffer> | undefined> {
  switch (task.transport) {
    case "doorbell":
      return doorbellSide(task);
    case "raw-atomics":
      return rawSide(task);
    case "tcp":
      return task.role === "responder" ? tcpResponder(task.rounds) : tcpInitiator(task.rounds, task.port);
  }
}

run(workerData as KickBenchTask).then(
  (samples) => {
    if (samples === undefined) port.postMessage({ done: true });
    else port.postMessage({ samplesUs: samples } satisfies KickBenchSamples, [samples.buffer]);
  },
  (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }),
);
