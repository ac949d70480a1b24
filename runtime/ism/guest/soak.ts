/**
 * A soak of the ISM stack (driver library, virtqueues, device model, shared memory), used by
 * test/ism/soak.test.ts and test/scripts/ism-soak.mjs: on an in-thread domain (no worker threads, so the time
 * goes to the code under test), guest A allocates a region, guest B attaches it, A writes and kicks, B reads
 * what A wrote, B detaches, A detaches — over and over; then the domain, both devices and both drivers must
 * hold nothing.
 *
 * @module
 */
import { IsmDriver } from "../driver/index.js";
import { IsmLocalHost } from "./local-host.js";

/** What a soak run leaves behind (all zero / empty when nothing leaked). */
export interface SoakReport {
  /** Cycles completed. */
  readonly cycles: number;
  /** UPDATE events B received (one per cycle). */
  readonly updates: number;
  /** Chunk slots still allocated, summed over the devices. */
  readonly chunks: number;
  /** Bytes of host memory held (DEV_MEM regions). */
  readonly hostBytes: number;
  /** Bytes of lent-buffer stand-in memory held (regions without DEV_MEM). */
  readonly lentBytes: number;
  /** Live regions in the domain. */
  readonly regions: number;
  /** Guest-memory pool bytes the drivers hold beyond what they held after opening. */
  readonly driverBytes: number;
  /** Buffers still lent by the drivers. */
  readonly lentBuffers: number;
  /** Broken domain invariants. */
  readonly problems: readonly string[];
  /** Milliseconds taken. */
  readonly ms: number;
}

/** Options of {@link soak}. */
export interface SoakOptions {
  /** Whether the devices offer DEV_MEM (default true; without it every alloc and attach lends guest memory). */
  readonly devMem?: boolean;
  /** Region size in bytes (default three chunks and a bit). */
  readonly size?: number;
  /** Check the domain's invariants every this many cycles (default 10^4). */
  readonly check?: number;
  /** Called every `progressEvery` cycles. */
  readonly onProgress?: (done: number) => void;
  /** Cycles between progress calls (default 10^5). */
  readonly progressEvery?: number;
}

/**
 * A deterministic xorshift random source: tokens need uniqueness here (the domain enforces it), not
 * unpredictability, and the CSPRNG would cost more than the rest of a cycle on a slow machine.
 */
function xorshift(seed: number): (target: Uint8Array) => void {
  let x = seed >>> 0 || 1;
  return (target) => {
    for (let i = 0; i < target.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      target[i] = x & 0xff;
    }
  };
}

/**
 * Runs `cycles` soak cycles; see the module comment.
 *
 * @returns what was left behind (zeros and an empty problem list when nothing leaked)
 */
export async function soak(cycles: number, options: SoakOptions = {}): Promise<SoakReport> {
  const started = performance.now();
  const host = new IsmLocalHost({ chunkSize: 4096, random: xorshift(0x15a) });
  const devMem = options.devMem ?? true;
  const a = await IsmDriver.open(host.addGuest({ name: "A", chunkCount: 64, offerDevMem: devMem }));
  const b = await IsmDriver.open(host.addGuest({ name: "B", chunkCount: 64, offerDevMem: devMem }));
  const baseline = a.memory.poolUsedBytes + b.memory.poolUsedBytes;
  let updates = 0;
  b.on("UPDATE", () => updates++);
  const size = options.size ?? 3 * 4096 + 100;
  const check = options.check ?? 10_000;
  const progressEvery = options.progressEvery ?? 100_000;
  const message = new Uint8Array(64);
  const problems: string[] = [];
  for (let i = 0; i < cycles; i++) {
    message[0] = i & 0xff;
    message[63] = (i >>> 8) & 0xff;
    const region = await a.alloc(size);
    const peer = await b.attach(region.token);
    region.write(size - 64, message);
    region.kick();
    const seen = peer.read(size - 64, 64);
    if (seen[0] !== message[0] || seen[63] !== message[63]) problems.push(`cycle ${i}: B read ${seen[0]},${seen[63]}`);
    await peer.detach();
    await region.detach();
    if ((i + 1) % check === 0) problems.push(...host.domain.verifyInvariants().map((p) => `cycle ${i}: ${p}`));
    if ((i + 1) % progressEvery === 0) options.onProgress?.(i + 1);
    if (problems.length > 10) break;
  }
  // Let the last events (UPDATE, DETACH, BUFFER_FREE) be serviced.
  await new Promise((resolve) => setImmediate(resolve));
  problems.push(...host.domain.verifyInvariants());
  const snapshot = host.domain.snapshot();
  const report: SoakReport = {
    cycles,
    updates,
    chunks: snapshot.devices.reduce((n, d) => n + d.usedChunks, 0),
    hostBytes: snapshot.hostBytes,
    lentBytes: snapshot.lentBytes,
    regions: snapshot.regions.length,
    driverBytes: a.memory.poolUsedBytes + b.memory.poolUsedBytes - baseline,
    lentBuffers: a.memory.lentBuffers + b.memory.lentBuffers,
    problems,
    ms: performance.now() - started,
  };
  await a.close();
  await b.close();
  return report;
}
