/**
 * Test-only guest for test/ism/guest-workers.test.ts: sends the host malformed requests on its boot port
 * (garbage, missing fields, rings outside its memory, features never offered, unknown operations), reports the
 * answers, then brings its driver up properly and allocates a region — the host must have refused every bad
 * request without harm and still serve this guest. Compiled to dist/test/workers/ism-hostile-guest.worker.js.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { IsmDriver } from "../../runtime/ism/driver/index.js";
import { IsmWorkerTransport } from "../../runtime/ism/guest/index.js";

const port = parentPort;
if (port === null) throw new Error("ism-hostile-guest.worker must run as a worker thread");
const boot = (workerData as { boot: { port: MessagePort } }).boot;
const bootPort = boot.port;

const good = { size: 16, descAddress: 0, availAddress: 4096, usedAddress: 8192 };
const requests: unknown[] = [
  "garbage",
  { op: "activate" },
  { op: "activate", id: 1 },
  { op: "map", id: 2, token: "not a bigint", offset: 0 },
  { op: "teleport", id: 3 },
  { op: "activate", id: 4, features: 1n, controlq: { ...good, descAddress: 1e12 }, eventq: good },
  { op: "activate", id: 5, features: 1n << 60n, controlq: good, eventq: { ...good, descAddress: 12288, availAddress: 16384, usedAddress: 20480 } },
];

const answers: unknown[] = [];
bootPort.on("message", (m: unknown) => answers.push(m));
for (const r of requests) bootPort.postMessage(r);

// The answers (ids 1..5) arrive in order; give the host a moment, then carry on as a well-behaved guest.
setTimeout(() => {
  void (async () => {
    bootPort.removeAllListeners("message");
    const transport = IsmWorkerTransport.fromBoot(boot);
    const driver = await IsmDriver.open(transport);
    const region = await driver.alloc(4096);
    port.postMessage({ answers, token: region.token });
    await driver.close();
    transport.close();
  })();
}, 300);
