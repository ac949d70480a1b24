/**
 * Layout oracle: a C program built against Linux's <linux/virtio_ring.h> (fixtures/vring_oracle.c) lays out
 * rings and reads them back; the TypeScript driver and device must agree with it byte for byte.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import {
  SplitQueueDevice,
  SplitQueueDriver,
  UsedBuffer,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
  VRING_USED_ELEM_SIZE,
  VRING_USED_F_NO_NOTIFY,
  bindSplitRing,
  gatherReadable,
  legacyRingAddresses,
  splitRingFieldOffsets,
  vringNeedEvent,
  vringSize,
} from "../../runtime/virtqueue/index.js";

const IMAGE_SIZE = 0x10000;
const SOURCE = fileURLToPath(new URL("./fixtures/vring_oracle.c", import.meta.url));

/** Compiles the oracle into a temp dir, or explains why the oracle cannot run here. */
function compileOracle(): { binary: string; dir: string } | { skip: string } {
  const gcc = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (gcc.error !== undefined || gcc.status !== 0) return { skip: "gcc not found on PATH" };
  const dir = mkdtempSync(join(tmpdir(), "vring-oracle-"));
  const binary = join(dir, "vring_oracle");
  const cc = spawnSync("gcc", ["-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror", "-o", binary, SOURCE], {
    encoding: "utf8",
  });
  if (cc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    if (/virtio_ring\.h/.test(cc.stderr) && /No such file/.test(cc.stderr)) {
      return { skip: "<linux/virtio_ring.h> not installed (linux-libc-dev)" };
    }
    // Anything else is a bug in the fixture: fail loudly rather than skip.
    throw new Error(`vring_oracle.c failed to compile:\n${cc.stderr}`);
  }
  return { binary, dir };
}

const oracle = compileOracle();
if ("skip" in oracle) console.warn(`virtqueue layout oracle skipped: ${oracle.skip}`);

function run(...args: string[]): unknown {
  if ("skip" in oracle) throw new Error("unreachable");
  const r = spawnSync(oracle.binary, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`vring_oracle ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function imagePath(name: string): string {
  if ("skip" in oracle) throw new Error("unreachable");
  return join(oracle.dir, name);
}

function loadImage(path: string): GuestMemory {
  const sab = new SharedArrayBuffer(IMAGE_SIZE);
  new Uint8Array(sab).set(readFileSync(path));
  return GuestMemory.fromBuffer(sab);
}

function saveImage(memory: GuestMemory, path: string): void {
  writeFileSync(path, memory.slice(0, IMAGE_SIZE));
}

interface LayoutJson {
  descSize: number;
  descAddr: number;
  descLen: number;
  descFlags: number;
  descNext: number;
  usedElemSize: number;
  usedElemId: number;
  usedElemLen: number;
  flags: Record<string, number>;
  rings: {
    num: number;
    align: number;
    size: number;
    desc: number;
    avail: number;
    availIdx: number;
    availRing: number;
    usedEvent: number;
    used: number;
    usedIdx: number;
    usedRing: number;
    availEvent: number;
  }[];
  needEvent: [number, number, number, number][];
}

interface BuildJson {
  rings: {
    name: string;
    num: number;
    align: number;
    base: number;
    desc: number;
    avail: number;
    used: number;
    lastAvail: number;
    usedEvent: number;
    chains: { head: number; indirect: boolean; readable: [number, number][]; writable: [number, number][] }[];
  }[];
}

type DumpDesc = { addr: number; len: number; flags: number; next: number } | { table: DumpDesc[] };
interface DumpJson {
  desc: number;
  avail: number;
  used: number;
  availFlags: number;
  availIdx: number;
  usedEvent: number;
  usedFlags: number;
  usedIdx: number;
  availEvent: number;
  availRing: number[];
  usedRing: [number, number][];
  chains: DumpDesc[][];
}

describe.skipIf("skip" in oracle)(
  `split virtqueue vs <linux/virtio_ring.h>${"skip" in oracle ? ` (skipped: ${oracle.skip})` : ""}`,
  () => {
    afterAll(() => {
      if (!("skip" in oracle)) rmSync(oracle.dir, { recursive: true, force: true });
    });

    it("agrees on struct sizes, field offsets and flag values", () => {
      const c = run("layout") as LayoutJson;
      expect([c.descSize, c.descAddr, c.descLen, c.descFlags, c.descNext]).toEqual([VRING_DESC_SIZE, 0, 8, 12, 14]);
      expect([c.usedElemSize, c.usedElemId, c.usedElemLen]).toEqual([VRING_USED_ELEM_SIZE, 0, 4]);
      expect(c.flags).toEqual({
        next: VRING_DESC_F_NEXT,
        write: VRING_DESC_F_WRITE,
        indirect: VRING_DESC_F_INDIRECT,
        noInterrupt: VRING_AVAIL_F_NO_INTERRUPT,
        noNotify: VRING_USED_F_NO_NOTIFY,
        indirectDesc: VIRTIO_RING_F_INDIRECT_DESC,
        eventIdx: VIRTIO_RING_F_EVENT_IDX,
      });
    });

    it("agrees with vring_size / vring_init on every ring offset, including the bound views", () => {
      const c = run("layout") as LayoutJson;
      expect(c.rings.length).toBeGreaterThanOrEqual(8);
      for (const r of c.rings) {
        expect(vringSize(r.num, r.align)).toBe(r.size);
        const a = legacyRingAddresses(r.num, 0, r.align);
        expect([a.descAddress, a.availAddress, a.usedAddress]).toEqual([r.desc, r.avail, r.used]);
        const o = splitRingFieldOffsets(r.num);
        expect([
          a.availAddress + o.availIdx,
          a.availAddress + o.availRing,
          a.availAddress + o.usedEvent,
          a.usedAddress + o.usedIdx,
          a.usedAddress + o.usedRing,
          a.usedAddress + o.availEvent,
        ]).toEqual([r.availIdx, r.availRing, r.usedEvent, r.usedIdx, r.usedRing, r.availEvent]);
        // The typed-array indices the hot paths use must land on the same bytes.
        const bound = bindSplitRing(GuestMemory.fromBuffer(new ArrayBuffer(r.size + 8)), a);
        if (!bound.ok) throw new Error(bound.detail);
        const v = bound.views;
        expect([v.descU32Base * 4, v.availIdx * 2, v.availRing * 2, v.usedEvent * 2]).toEqual([
          r.desc,
          r.availIdx,
          r.availRing,
          r.usedEvent,
        ]);
        expect([v.usedIdx * 2, v.usedRing * 4, v.availEvent * 2]).toEqual([r.usedIdx, r.usedRing, r.availEvent]);
      }
    });

    it("computes vring_need_event like the C inline on a wrap-heavy grid", () => {
      const c = run("layout") as LayoutJson;
      expect(c.needEvent.length).toBe(729);
      const mismatches = c.needEvent.filter(([e, n, o, r]) => vringNeedEvent(e, n, o) !== (r === 1));
      expect(mismatches).toEqual([]);
    });

    it("device pops the chains C laid out (direct, indirect, direct-then-indirect, across the u16 wrap)", () => {
      const path = imagePath("device.img");
      const c = run("build", path) as BuildJson;
      const memory = loadImage(path);
      for (const r of c.rings) {
        const addresses = legacyRingAddresses(r.num, r.base, r.align);
        expect([addresses.descAddress, addresses.availAddress, addresses.usedAddress]).toEqual([r.desc, r.avail, r.used]);
        const device = new SplitQueueDevice(memory, addresses, {
          indirectDesc: true,
          eventIdx: true,
          lastAvailIdx: r.lastAvail,
          usedIdx: r.lastAvail,
        });
        const chain = device.createChain();
        for (const expected of r.chains) {
          expect(device.pop(chain)).toBe("popped");
          expect(chain.head).toBe(expected.head);
          expect(chain.indirect).toBe(expected.indirect);
          const segs = Array.from({ length: chain.count }, (_, i) => [chain.addresses[i], chain.lengths[i]]);
          expect(segs.slice(0, chain.readableCount)).toEqual(expected.readable);
          expect(segs.slice(chain.readableCount)).toEqual(expected.writable);
          // The C side filled readable buffers with byte = address & 0xff.
          const data = new Uint8Array(chain.readableBytes);
          gatherReadable(memory, chain, data);
          const want = expected.readable.flatMap(([addr, len]) => Array.from({ length: len }, (_, i) => (addr + i) & 0xff));
          expect([...data]).toEqual(want);
          device.addUsed(chain.head, chain.writableBytes - 1);
        }
        expect(device.pop(chain)).toBe("empty");
        device.publishUsed();
        expect(device.needsInterrupt()).toBe(true);
        expect(device.enableKicks()).toBe(false);
      }
      saveImage(memory, path);
      // C reads back what the TypeScript device wrote, through struct vring.
      const a = c.rings[0]!;
      const dumpA = run("dump", path, String(a.base), String(a.num), String(a.align)) as DumpJson;
      expect(dumpA.usedIdx).toBe(3);
      expect(dumpA.usedRing.slice(0, 3)).toEqual(
        a.chains.map((ch) => [ch.head, ch.writable.reduce((s, [, len]) => s + len, 0) - 1]),
      );
      expect(dumpA.availEvent).toBe(3);
      expect(dumpA.usedFlags).toBe(0);
      const b = c.rings[1]!;
      const dumpB = run("dump", path, String(b.base), String(b.num), String(b.align), String(b.lastAvail)) as DumpJson;
      expect(dumpB.usedIdx).toBe(0); // 0xffff + 1, wrapped
      expect(dumpB.usedRing[15]).toEqual([15, 199]);
      expect(dumpB.availEvent).toBe(0);
    });

    it("driver writes chains, flags and used_event that C reads back identically", () => {
      const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(IMAGE_SIZE));
      const addresses = legacyRingAddresses(8, 0x1000, 4096);
      const driver = new SplitQueueDriver<string>(memory, addresses, { indirectDesc: true, eventIdx: true });
      const device = new SplitQueueDevice(memory, addresses, { indirectDesc: true, eventIdx: true });
      // Two round trips first, so used_event and the indices are not trivially zero.
      const chain = device.createChain();
      const used = new UsedBuffer<string>();
      for (const t of ["x", "y"]) driver.add([{ address: 0x8000, length: 8 }], [], t);
      while (device.pop(chain) === "popped") device.pushUsed(chain.head, 0);
      while (driver.getUsed(used) === "used");
      expect(driver.enableUsedNotifications()).toBe(false);
      driver.disableUsedNotifications();
      driver.add(
        [
          { address: 0x8000, length: 16 },
          { address: 0x8100, length: 32 },
        ],
        [{ address: 0x9000, length: 64 }],
        "direct",
      );
      driver.add(
        [{ address: 0x8200, length: 8 }],
        [
          { address: 0x9100, length: 128 },
          { address: 0x9200, length: 4 },
        ],
        "indirect",
        0xa000,
      );
      const path = imagePath("driver.img");
      saveImage(memory, path);
      const d = run("dump", path, "4096", "8", "4096", "2") as DumpJson;
      // Under EVENT_IDX disabling interrupts leaves avail.flags 0 (§2.7.10: "The driver MUST set flags to 0");
      // used_event stays where it was (2), which is what suppresses them.
      expect([d.availIdx, d.availFlags, d.usedEvent, d.usedIdx]).toEqual([4, 0, 2, 2]);
      expect(d.chains).toHaveLength(2);
      const strip = (chainDescs: DumpDesc[]): unknown[] =>
        chainDescs.map((x) => ("table" in x ? { table: strip(x.table) } : { addr: x.addr, len: x.len, flags: x.flags }));
      expect(strip(d.chains[0]!)).toEqual([
        { addr: 0x8000, len: 16, flags: VRING_DESC_F_NEXT },
        { addr: 0x8100, len: 32, flags: VRING_DESC_F_NEXT },
        { addr: 0x9000, len: 64, flags: VRING_DESC_F_WRITE },
      ]);
      expect(strip(d.chains[1]!)).toEqual([
        { addr: 0xa000, len: 48, flags: VRING_DESC_F_INDIRECT },
        {
          table: [
            { addr: 0x8200, len: 8, flags: VRING_DESC_F_NEXT },
            { addr: 0x9100, len: 128, flags: VRING_DESC_F_WRITE | VRING_DESC_F_NEXT },
            { addr: 0x9200, len: 4, flags: VRING_DESC_F_WRITE },
          ],
        },
      ]);
    });
  },
);
