/**
 * A driver in one worker_thread and a device in another exchange 10^6 buffers through one split ring over
 * SharedArrayBuffer guest memory, with and without EVENT_IDX. Loss, duplication and corruption are detected
 * by sequence-number bookkeeping and checksums on both sides; lost notifications show up as wait timeouts.
 *
 * Workers are TypeScript under test/workers/, compiled to dist/ by `npm run build` (Node 20 cannot load .ts
 * in a Worker). This file refuses to run against a missing or stale build instead of testing old code.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { CTL_WORDS, GUEST_BYTES } from "../workers/virtqueue-stress-protocol.js";
import type { DeviceReport, DriverReport, StressParams } from "../workers/virtqueue-stress-protocol.js";

const TOTAL = 1_000_000;
const root = fileURLToPath(new URL("../../", import.meta.url));
const driverWorker = new URL("../../dist/test/workers/virtqueue-driver.worker.js", import.meta.url);
const deviceWorker = new URL("../../dist/test/workers/virtqueue-device.worker.js", import.meta.url);

/** Sources the compiled workers depend on, paired with their dist/ output. */
function sourcesAndOutputs(): [string, string][] {
  const pairs: [string, string][] = [];
  for (const dir of ["runtime/memory", "runtime/virtqueue"]) {
    for (const f of readdirSync(root + dir)) {
      if (f.endsWith(".ts")) pairs.push([`${root}${dir}/${f}`, `${root}dist/${dir}/${f.replace(/\.ts$/, ".js")}`]);
    }
  }
  for (const f of ["virtqueue-driver.worker", "virtqueue-device.worker", "virtqueue-stress-protocol"]) {
    pairs.push([`${root}test/workers/${f}.ts`, `${root}dist/test/workers/${f}.js`]);
  }
  return pairs;
}

function assertFreshBuild(): void {
  for (const [src, out] of sourcesAndOutputs()) {
    if (!existsSync(out)) throw new Error(`${out} is missing: run \`npm run build\` (or npx tsc -p tsconfig.build.json)`);
    if (statSync(out).mtimeMs < statSync(src).mtimeMs) {
      throw new Error(`${out} is older than ${src}: run \`npm run build\` so the workers test current code`);
    }
  }
}

function runWorker<T>(url: URL, data: StressParams): { done: Promise<T>; worker: Worker } {
  const worker = new Worker(url, { workerData: data });
  const done = new Promise<T>((resolve, reject) => {
    worker.once("message", (m: T) => resolve(m));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`worker exited with code ${code} before reporting`)));
  });
  return { done, worker };
}

async function exchange(eventIdx: boolean, indirectEvery: number): Promise<{ driver: DriverReport; device: DeviceReport }> {
  const params: StressParams = {
    guest: new SharedArrayBuffer(GUEST_BYTES),
    control: new SharedArrayBuffer(CTL_WORDS * 4),
    total: TOTAL,
    eventIdx,
    indirectEvery,
  };
  const device = runWorker<DeviceReport>(deviceWorker, params);
  const driver = runWorker<DriverReport>(driverWorker, params);
  try {
    const [d, v] = await Promise.all([driver.done, device.done]);
    return { driver: d, device: v };
  } finally {
    await Promise.all([driver.worker.terminate(), device.worker.terminate()]);
  }
}

function checkExchange(r: { driver: DriverReport; device: DeviceReport }): void {
  const expectedSum = (TOTAL * (TOTAL - 1)) / 2;
  // A wait that times out means a kick or interrupt the other side should have sent never came.
  expect(r.driver.timeouts).toBe(0);
  expect(r.device.timeouts).toBe(0);
  expect(r.device.broken).toBeNull();
  expect(r.driver.broken).toBeNull();
  expect(r.device.processed).toBe(TOTAL);
  expect(r.device.badInput).toBe(0);
  expect(r.device.seqSum).toBe(expectedSum);
  expect(r.driver.completed).toBe(TOTAL);
  expect(r.driver.duplicates).toBe(0);
  expect(r.driver.mismatches).toBe(0);
  expect(r.driver.seqSum).toBe(expectedSum);
}

describe("split virtqueue across worker_threads", () => {
  it("exchanges 10^6 buffers with EVENT_IDX (every 7th through an indirect table)", async () => {
    assertFreshBuild();
    const r = await exchange(true, 7);
    checkExchange(r);
    // Suppression must actually suppress: far fewer notifications than buffers.
    expect(r.driver.kicks + r.device.interrupts).toBeLessThan(TOTAL / 4);
  }, 40_000);

  it("exchanges 10^6 buffers without EVENT_IDX (NO_NOTIFY / NO_INTERRUPT flags)", async () => {
    assertFreshBuild();
    const r = await exchange(false, 0);
    checkExchange(r);
    expect(r.driver.kicks + r.device.interrupts).toBeLessThan(TOTAL / 4);
  }, 40_000);
});
