#!/usr/bin/env node
// @ts-check
/**
 * Worker-to-worker kick round-trip latency: Doorbell against raw Atomics ping-pong and TCP loopback.
 *
 * Why a script and not a vitest bench: the quantity measured is the round trip *between two worker threads*,
 * timed inside the initiator worker, and what matters is its distribution (p50/p99), which vitest bench (which
 * times a function on its own thread and reports no median) cannot give.
 *
 * Run after building (the workers are compiled from test/workers/kick-bench.worker.ts):
 *   npm run build && node test/bench/kick-latency.mjs [--rounds 20000] [--warmup 2000] [--spin 2000]
 *
 * Every transport runs the same protocol (one ping in flight, answer, next ping) in the same run, so the raw
 * Atomics rows are the baseline for the Doorbell rows. Loopback only; bounded to a few seconds per row.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const WORKER = new URL("../../dist/test/workers/kick-bench.worker.js", import.meta.url);
const DOORBELL = new URL("../../dist/runtime/notify/index.js", import.meta.url);

function arg(name, fallback, min = 1) {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return v;
}

const measured = arg("rounds", 20_000);
const warmup = arg("warmup", 2_000);
const rounds = measured + warmup;

if (!existsSync(fileURLToPath(WORKER)) || !existsSync(fileURLToPath(DOORBELL))) {
  console.error("kick-latency: compiled workers not found; run `npm run build` first");
  process.exit(2);
}
const { Doorbell, DEFAULT_SPIN_ITERATIONS } = await import(DOORBELL.href);

/** Starts a worker and resolves with its final message; `onMessage` sees intermediate ones. */
function start(task, onMessage = () => {}) {
  const worker = new Worker(WORKER, { workerData: task });
  const done = new Promise((resolve, reject) => {
    worker.on("message", (m) => {
      if (m.error) reject(new Error(m.error));
      else if (m.samplesUs || m.done) resolve(m);
      else onMessage(m);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`worker exited (${code}) early`)));
  });
  return done;
}

async function shared(transport, extra) {
  const responder = start({ transport, role: "responder", rounds, ...extra });
  const initiator = start({ transport, role: "initiator", rounds, ...extra });
  const [{ samplesUs }] = await Promise.all([initiator, responder]);
  return samplesUs;
}

async function doorbell(wait) {
  const ping = Doorbell.create();
  const pong = Doorbell.create();
  return shared("doorbell", { ping: ping.toDescriptor(), pong: pong.toDescriptor(), wait });
}

async function raw(spin) {
  return shared("raw-atomics", { words: new SharedArrayBuffer(128), spin });
}

async function tcp() {
  let resolvePort;
  const portKnown = new Promise((r) => (resolvePort = r));
  const responder = start({ transport: "tcp", role: "responder", rounds }, (m) => resolvePort(m.listening));
  const port = await portKnown;
  const initiator = start({ transport: "tcp", role: "initiator", rounds, port });
  const [{ samplesUs }] = await Promise.all([initiator, responder]);
  return samplesUs;
}

function stats(samples) {
  const s = Float64Array.from(samples.subarray(warmup)).sort();
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), mean, max: s[s.length - 1] };
}

const spin = arg("spin", 2000, 0);
const rows = [
  [`raw Atomics, no spin (baseline)`, () => raw(0)],
  [`Doorbell, default (spin ${DEFAULT_SPIN_ITERATIONS})`, () => doorbell({})],
  [`raw Atomics, spin ${spin} (baseline)`, () => raw(spin)],
  [`Doorbell, spin ${spin}`, () => doorbell({ spinIterations: spin })],
  [`TCP loopback 127.0.0.1, 1 byte`, () => tcp()],
];

console.log(`kick round trip, worker <-> worker, ${measured} rounds after ${warmup} warm-up (microseconds)`);
const header = ["transport", "p50", "p90", "p99", "mean", "max"];
const table = [];
for (const [name, run] of rows) {
  const r = stats(await run());
  table.push([name, r.p50, r.p90, r.p99, r.mean, r.max]);
}
const width = Math.max(...table.map((r) => r[0].length), header[0].length);
console.log([header[0].padEnd(width), ...header.slice(1).map((h) => h.padStart(9))].join(" "));
for (const [name, ...values] of table) {
  console.log([name.padEnd(width), ...values.map((v) => v.toFixed(1).padStart(9))].join(" "));
}
