/**
 * Doorbells and interrupt tables across worker_threads. The peer is test/workers/notify-peer.worker.ts, run from
 * its compiled form in dist/ (Node 20 cannot load .ts in a Worker; `npm test` builds first).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import { Doorbell, InterruptTable } from "../../runtime/notify/index.js";
import type { DoorbellWaitOptions } from "../../runtime/notify/index.js";
import type { NotifyPeerTask, PingPongResult } from "../workers/notify-peer.worker.js";

const PEER = new URL("../../dist/test/workers/notify-peer.worker.js", import.meta.url);

beforeAll(() => {
  if (!existsSync(fileURLToPath(PEER))) {
    throw new Error(`${fileURLToPath(PEER)} is missing: run \`npm run build\` (npm test does it) before these tests`);
  }
});

/** Runs one scenario in a fresh worker; rejects if the worker fails or exits without answering. */
function runPeer<T>(task: NotifyPeerTask): { result: Promise<T>; worker: Worker } {
  const worker = new Worker(PEER, { workerData: task });
  const result = new Promise<T>((resolve, reject) => {
    let answered = false;
    worker.once("message", (m: unknown) => {
      answered = true;
      const error = (m as { error?: { message: string } }).error;
      if (error) reject(Object.assign(new Error(error.message), error));
      else resolve(m as T);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (!answered) reject(new Error(`worker exited with code ${code} before answering`));
    });
  });
  return { result, worker };
}

async function pingPongBetweenWorkers(rounds: number, wait: DoorbellWaitOptions): Promise<PingPongResult[]> {
  const ping = Doorbell.create();
  const pong = Doorbell.create();
  const data = new SharedArrayBuffer(8);
  const common = { mode: "pingpong" as const, ping: ping.toDescriptor(), pong: pong.toDescriptor(), data, rounds, wait };
  const responder = runPeer<PingPongResult>({ ...common, role: "responder" });
  const initiator = runPeer<PingPongResult>({ ...common, role: "initiator" });
  const results = await Promise.all([initiator.result, responder.result]);
  expect(ping.load()).toBe(rounds);
  expect(pong.load()).toBe(rounds);
  return results;
}

describe("Doorbell across worker_threads", () => {
  it("10^5 worker-to-worker ping-pongs with spin 0: no lost wake-up, data written before ring() seen after wait()", async () => {
    const rounds = 100_000;
    const [initiator, responder] = await pingPongBetweenWorkers(rounds, { spinIterations: 0 });
    for (const r of [initiator!, responder!]) {
      expect(r).toMatchObject({ completed: rounds, mismatches: 0, timeouts: 0 });
    }
    // Without spinning a waiter either finds the ring already there or sleeps in Atomics.wait; the sleeping
    // path (where a lost wake-up would hang) must have been exercised.
    expect(initiator!.sleeps + responder!.sleeps).toBeGreaterThan(0);
  });

  it("ping-pongs with a spin budget (rings caught while spinning or after sleeping) lose nothing either", async () => {
    const rounds = 20_000;
    const [initiator, responder] = await pingPongBetweenWorkers(rounds, { spinIterations: 1000 });
    for (const r of [initiator!, responder!]) {
      expect(r).toMatchObject({ completed: rounds, mismatches: 0, timeouts: 0 });
    }
  });

  it("main thread driving a worker with waitAsync (the main thread never blocks)", async () => {
    const rounds = 5_000;
    const ping = Doorbell.create();
    const pong = Doorbell.create();
    const data = new SharedArrayBuffer(8);
    const words = new Int32Array(data);
    const peer = runPeer<PingPongResult>({
      mode: "pingpong",
      role: "responder",
      ping: ping.toDescriptor(),
      pong: pong.toDescriptor(),
      data,
      rounds,
      wait: {},
    });
    let seen = 0;
    let mismatches = 0;
    for (let i = 1; i <= rounds; i++) {
      words[0] = i;
      ping.ring();
      const r = await pong.waitAsync(seen, { timeoutMs: 10_000 });
      expect(r.outcome).toBe("rung");
      seen = r.value;
      if (words[1] !== i * 3) mismatches++;
    }
    expect(mismatches).toBe(0);
    await expect(peer.result).resolves.toMatchObject({ completed: rounds, mismatches: 0 });
  });

  it("spin budget 0 sleeps at once and is woken by a ring from another thread", async () => {
    const d = Doorbell.create();
    const seen = d.load();
    const peer = runPeer<{ value: number }>({ mode: "ring-after", doorbell: d.toDescriptor(), delayMs: 30 });
    const r = d.wait(seen, { spinIterations: 0, timeoutMs: 10_000 });
    expect(r).toEqual({ outcome: "rung", value: seen + 1, spins: 0, slept: true });
    await expect(peer.result).resolves.toMatchObject({ value: seen + 1 });
  });

  it("a large spin budget catches a ring from another thread without sleeping", async () => {
    const d = Doorbell.create();
    const seen = d.load();
    const peer = runPeer<{ value: number }>({ mode: "ring-after", doorbell: d.toDescriptor(), delayMs: 5 });
    const r = d.wait(seen, { spinNanoseconds: 30_000_000_000, timeoutMs: 30_000 });
    expect(r.outcome).toBe("rung");
    expect(r.slept).toBe(false);
    expect(r.spins).toBeGreaterThan(0);
    await peer.result;
  });

  it("waitAsync keeps an otherwise idle worker alive until the ring arrives", async () => {
    const d = Doorbell.create();
    const peer = runPeer<{ outcome: string; value: number }>({
      mode: "wait-async-alone",
      doorbell: d.toDescriptor(),
      seen: 0,
      timeoutMs: 20_000,
    });
    // Give the worker time to start and park in waitAsync; if nothing kept it alive it would exit meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 200));
    d.ring();
    await expect(peer.result).resolves.toMatchObject({ outcome: "rung", value: 1 });
  });

  it("a worker refuses a hostile descriptor with a typed error", async () => {
    const bad = { kind: "virtiokit/doorbell", version: 1, buffer: new SharedArrayBuffer(4), index: 9 };
    await expect(runPeer({ mode: "probe-descriptor", descriptor: bad }).result).rejects.toMatchObject({
      name: "NotifyError",
      reason: "invalid-index",
    });
    await expect(runPeer({ mode: "probe-descriptor", descriptor: "not a doorbell" }).result).rejects.toMatchObject({
      reason: "invalid-descriptor",
    });
  });
});

describe("InterruptTable across worker_threads", () => {
  it("every delivery is accounted for while the main thread masks and unmasks under a raising worker", async () => {
    const table = new InterruptTable(2);
    const vector = 1;
    const raises = 200_000;
    const peer = runPeer<{ delivered: number; pending: number }>({
      mode: "raise-loop",
      table: table.toDescriptor(),
      vector,
      raises,
    });
    let deliveredByUnmask = 0;
    let done = false;
    void peer.result.finally(() => (done = true));
    while (!done) {
      table.mask(vector);
      for (let i = 0; i < 200; i++) Atomics.load(new Int32Array(table.buffer), 0); // let raises land while masked
      if (table.unmask(vector)) deliveredByUnmask++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { delivered, pending } = await peer.result;
    expect(delivered + pending).toBe(raises);
    // Final state: unmasked, so nothing may be left pending.
    expect(table.isPending(vector)).toBe(false);
    // Each ring of the vector's doorbell is exactly one delivery, by the raiser or by an unmask: no duplicates,
    // and a masked raise is never dropped while its vector is unmasked again.
    expect(table.doorbell(vector).load()).toBe(delivered + deliveredByUnmask);
    expect(pending === 0 || deliveredByUnmask > 0).toBe(true);
  });
});
