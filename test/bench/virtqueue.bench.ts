/**
 * Virtqueue round trip in one thread, split and packed: driver add → device pop → device pushUsed → driver
 * getUsed.
 *
 * Rows (same run):
 * - baseline: a bare SharedArrayBuffer index ring doing the same index traffic — avail entry + Atomics.store
 *   of avail.idx, Atomics.load of avail.idx + entry read, used element write + Atomics.store of used.idx,
 *   Atomics.load of used.idx + element read — with no descriptors, validation or bookkeeping; the floor the
 *   virtqueue's own cost is measured against;
 * - the virtqueue with a 2-descriptor chain (1 readable + 1 writable buffer);
 * - the same chain through an indirect table;
 * - the 2-descriptor chain with EVENT_IDX, asking needsKick/needsInterrupt on every round trip;
 * - the same three on a packed ring.
 *
 * The rings are the built runtime (dist/, as users run it; `npm run build` first, checked below): vitest runs
 * TypeScript sources through vite-node, which turns every imported binding into a getter on a module object,
 * and that alone doubled the round trip's cost inside the ring's hot loops. Split and packed rows each have
 * their own round-trip function, so one layout's classes do not make the other's call sites polymorphic.
 *
 * One iteration = 256 round trips, so per-iteration times are well above timer resolution. Use
 * `--outputJson <file>` for medians. Run with
 *   npx vitest bench --run test/bench/virtqueue.bench.ts
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { bench, describe } from "vitest";
import type { GuestMemory as GuestMemoryType } from "../../runtime/memory/index.js";
import type * as VirtqueueModule from "../../runtime/virtqueue/index.js";
import type { SplitRingAddresses, VirtqueueBuffer } from "../../runtime/virtqueue/index.js";

for (const dir of ["runtime/virtqueue", "runtime/memory"]) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".ts"))) {
    const out = `dist/${dir}/${f.replace(/\.ts$/, ".js")}`;
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(`${dir}/${f}`).mtimeMs) throw new Error(`${out} is missing or older than its source: run \`npm run build\``);
  }
}
const { GuestMemory } = (await import(/* @vite-ignore */ new URL("../../dist/runtime/memory/index.js", import.meta.url).href)) as { GuestMemory: typeof GuestMemoryType };
const vq = (await import(/* @vite-ignore */ new URL("../../dist/runtime/virtqueue/index.js", import.meta.url).href)) as typeof VirtqueueModule;
const { SplitQueueDevice, SplitQueueDriver, PackedQueueDevice, PackedQueueDriver, UsedBuffer, contiguousPackedRing } = vq;
type SplitQueueDevice = InstanceType<typeof SplitQueueDevice>;
type SplitQueueDriver<T> = VirtqueueModule.SplitQueueDriver<T>;

const ROUND_TRIPS = 256;
const SIZE = 256;
const ring: SplitRingAddresses = { size: SIZE, descAddress: 0x0, availAddress: 0x1000, usedAddress: 0x2000 };
const readable: VirtqueueBuffer[] = [{ address: 0x8000, length: 64 }];
const writable: VirtqueueBuffer[] = [{ address: 0x9000, length: 64 }];
const TABLE = 0xa000;

/** Guards against the optimiser discarding work, and fails loudly if a round trip goes wrong. */
let sink = 0;
function check(ok: boolean): void {
  if (!ok) throw new Error("round trip failed");
}

// --- baseline: bare index ring -----------------------------------------------------------------------
const bare = new SharedArrayBuffer(0x4000);
const bareAvail = new Uint16Array(bare, 0, 2 + SIZE); // [flags, idx, ring...]
const bareUsed = new Uint32Array(bare, 0x1000, 1 + 2 * SIZE); // [flags|idx as u16 pair, (id,len)...]
const bareUsedIdx = new Uint16Array(bare, 0x1000, 2);
let bareAvailShadow = 0;
let bareLastAvail = 0;
let bareUsedShadow = 0;
let bareLastUsed = 0;

function bareRoundTrip(head: number): void {
  // producer: publish one entry
  bareAvail[2 + (bareAvailShadow & (SIZE - 1))] = head;
  bareAvailShadow = (bareAvailShadow + 1) & 0xffff;
  Atomics.store(bareAvail, 1, bareAvailShadow);
  // consumer: take it and complete it
  const idx = Atomics.load(bareAvail, 1);
  check(idx !== bareLastAvail);
  const h = bareAvail[2 + (bareLastAvail & (SIZE - 1))]!;
  bareLastAvail = (bareLastAvail + 1) & 0xffff;
  const e = 1 + 2 * (bareUsedShadow & (SIZE - 1));
  bareUsed[e] = h;
  bareUsed[e + 1] = 64;
  bareUsedShadow = (bareUsedShadow + 1) & 0xffff;
  Atomics.store(bareUsedIdx, 1, bareUsedShadow);
  // producer: collect the completion
  check(Atomics.load(bareUsedIdx, 1) !== bareLastUsed);
  const u = 1 + 2 * (bareLastUsed & (SIZE - 1));
  sink += bareUsed[u]! + bareUsed[u + 1]!;
  bareLastUsed = (bareLastUsed + 1) & 0xffff;
}

// --- virtqueue ---------------------------------------------------------------------------------------
function makePair(eventIdx: boolean): {
  driver: SplitQueueDriver<number>;
  device: SplitQueueDevice;
} {
  const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(0x10000));
  return {
    driver: new SplitQueueDriver<number>(memory, ring, { eventIdx, indirectDesc: true }),
    device: new SplitQueueDevice(memory, ring, { eventIdx, indirectDesc: true }),
  };
}

const plain = makePair(false);
const withEvents = makePair(true);
const chainPlain = plain.device.createChain();
const chainEvents = withEvents.device.createChain();
const used = new UsedBuffer<number>();

function roundTrip(
  pair: { driver: SplitQueueDriver<number>; device: SplitQueueDevice },
  chain: ReturnType<SplitQueueDevice["createChain"]>,
  token: number,
  table: number | undefined,
  notifications: boolean,
): void {
  check(pair.driver.add(readable, writable, token, table) === "added");
  if (notifications) sink += pair.driver.needsKick() ? 1 : 0;
  check(pair.device.pop(chain) === "popped");
  pair.device.pushUsed(chain.head, 64);
  if (notifications) sink += pair.device.needsInterrupt() ? 1 : 0;
  check(pair.driver.getUsed(used) === "used");
  sink += used.length;
}

// --- packed virtqueue --------------------------------------------------------------------------------
const packedRing = contiguousPackedRing(SIZE, 0);
function makePackedPair(eventIdx: boolean): { driver: VirtqueueModule.PackedQueueDriver<number>; device: VirtqueueModule.PackedQueueDevice } {
  const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(0x10000));
  return {
    driver: new PackedQueueDriver<number>(memory, packedRing, { eventIdx, indirectDesc: true }),
    device: new PackedQueueDevice(memory, packedRing, { eventIdx, indirectDesc: true }),
  };
}
const packedPlain = makePackedPair(false);
const packedEvents = makePackedPair(true);
const packedChainPlain = packedPlain.device.createChain();
const packedChainEvents = packedEvents.device.createChain();
const packedUsed = new UsedBuffer<number>();

function packedRoundTrip(
  pair: { driver: VirtqueueModule.PackedQueueDriver<number>; device: VirtqueueModule.PackedQueueDevice },
  chain: ReturnType<VirtqueueModule.PackedQueueDevice["createChain"]>,
  token: number,
  table: number | undefined,
  notifications: boolean,
): void {
  check(pair.driver.add(readable, writable, token, table) === "added");
  if (notifications) sink += pair.driver.needsKick() ? 1 : 0;
  check(pair.device.pop(chain) === "popped");
  pair.device.pushUsed(chain.head, 64);
  if (notifications) sink += pair.device.needsInterrupt() ? 1 : 0;
  check(pair.driver.getUsed(packedUsed) === "used");
  sink += packedUsed.length;
}

describe(`virtqueue round trip (${ROUND_TRIPS} per iteration)`, () => {
  bench("baseline: bare SAB index ring, same index traffic", () => {
    for (let i = 0; i < ROUND_TRIPS; i++) bareRoundTrip(i & (SIZE - 1));
  });

  bench("virtqueue: 1 readable + 1 writable descriptor", () => {
    for (let i = 0; i < ROUND_TRIPS; i++) roundTrip(plain, chainPlain, i, undefined, false);
  });

  bench("virtqueue: same buffers via an indirect table", () => {
    for (let i = 0; i < ROUND_TRIPS; i++) roundTrip(plain, chainPlain, i, TABLE, false);
  });

  bench("virtqueue: EVENT_IDX, needsKick + needsInterrupt each time", () => {
    for (let i = 0; i < ROUND_TRIPS; i++) roundTrip(withEvents, chainEvents, i, undefined, true);
  });

  bench("packed: 1 readable + 1 writable descriptor", () => {
    for (let i = 0; i < ROUND_TRIPS; i++) packedRoundTrip(packedPlain, packedChainPlain, i, undefined, false);
  });

  bench("packed: same buffers via an indirect table", () => {
    for (let i = 0; i < ROUND_TRIPS; i++) packedRoundTrip(packedPlain, packedChainPlain, i, TABLE, false);
  });

  bench("packed: EVENT_IDX, needsKick + needsInterrupt each time", () => {
    for (let i = 0; i < ROUND_TRIPS; i++) packedRoundTrip(packedEvents, packedChainEvents, i, undefined, true);
  });
});

export { sink };
