/**
 * Dirty-page logging (VHOST_PCI_CTRL_DIRTY_PAGE_LOGGING): while it is on, every page of guest A's memory that
 * guest B writes is marked in the log; while it is off nothing is. Guest A is paused while B runs, so every
 * byte of A's memory that changes was written by B.
 */
import { describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import { DIRTY_LOG_PAGE_SIZE, DirtyPageLog } from "../../runtime/vhost-pci-net/dirty-log.js";
import { DirtyLogging, MirroredQueue } from "../../runtime/vhost-pci-net/mirrored-queue.js";
import { SplitQueueDriver, UsedBuffer } from "../../runtime/virtqueue/index.js";
import { VhostPciNetError } from "../../runtime/vhost-pci-net/errors.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";

/** Pages (by address) whose bytes differ between `before` and `after`. */
function changedPages(before: Uint8Array, after: Uint8Array): number[] {
  const pages: number[] = [];
  for (let p = 0; p < before.length; p += DIRTY_LOG_PAGE_SIZE) {
    const end = Math.min(p + DIRTY_LOG_PAGE_SIZE, before.length);
    for (let i = p; i < end; i++) {
      if (before[i] !== after[i]) {
        pages.push(p);
        break;
      }
    }
  }
  return pages;
}

/** Lets A queue `frames` transmit packets, then runs only B for a while; returns A's memory before and after. */
function runBAlone(pair: LoopbackPair, frames: number): { before: Uint8Array; after: Uint8Array } {
  pair.a.driver.source = new TestFrameSource({ count: frames, sizes: [64, 700], stream: 1, mode: "full" });
  pair.a.driver.sink = new TestFrameSink().sink;
  for (let i = 0; i < 3; i++) pair.a.poll();
  pair.b.driver.source = new TestFrameSource({ count: frames, sizes: [1514, 90], stream: 2, mode: "full" });
  pair.b.driver.sink = new TestFrameSink().sink;
  const ram = new Uint8Array(pair.ramA);
  const before = ram.slice();
  pair.dirtyLog.clear();
  for (let i = 0; i < 10; i++) pair.b.poll();
  return { before, after: ram.slice() };
}

function turnLogging(pair: LoopbackPair, on: boolean): void {
  pair.b.device.setDirtyLogging(on);
  pair.runUntil(() => pair.b.driver.logging.on === on, 50);
}

describe("dirty-page logging", () => {
  it("marks every page B writes into A's memory while on (packet data and ring updates)", () => {
    const pair = new LoopbackPair();
    pair.connect();
    turnLogging(pair, true);
    // 200 packets: the used elements of A's TX ring then spill onto the page after the one holding used.idx.
    const { before, after } = runBAlone(pair, 200);
    expect(pair.b.driver.stats.sentToPeer).toBeGreaterThan(0);
    expect(pair.b.driver.stats.copiedFromPeer).toBeGreaterThan(0);
    const changed = changedPages(before, after);
    const dirty = new Set(pair.dirtyLog.dirtyPages());
    expect(changed.length).toBeGreaterThan(2);
    for (const page of changed) expect(dirty.has(page), `page 0x${page.toString(16)} changed but is not marked`).toBe(true);
    // B's driver and the test share the log buffer: the driver's own view agrees.
    expect(pair.b.driver.dirtyLog!.dirtyPages()).toEqual(pair.dirtyLog.dirtyPages());
  });

  it("marks nothing while off, and nothing after being turned off again", () => {
    const pair = new LoopbackPair();
    pair.connect();
    let run = runBAlone(pair, 50);
    expect(changedPages(run.before, run.after).length).toBeGreaterThan(0);
    expect(pair.dirtyLog.dirtyPages()).toEqual([]);
    turnLogging(pair, true);
    turnLogging(pair, false);
    run = runBAlone(pair, 50);
    expect(changedPages(run.before, run.after).length).toBeGreaterThan(0);
    expect(pair.dirtyLog.dirtyPages()).toEqual([]);
  });

  it("cannot be turned on unless the peer negotiated VHOST_F_LOG_ALL", () => {
    const pair = new LoopbackPair({ a: { environment: { pvInterrupt: true, dirtyLogging: false } } });
    pair.connect();
    expect(() => pair.b.device.setDirtyLogging(true)).toThrow(VhostPciNetError);
  });
});

describe("DirtyPageLog", () => {
  it("marks every page a range overlaps, and refuses ranges outside the memory it covers", () => {
    const log = new DirtyPageLog(0x10000, 8 * DIRTY_LOG_PAGE_SIZE);
    log.mark(0x10000 + DIRTY_LOG_PAGE_SIZE - 1, 2);
    expect(log.dirtyPages()).toEqual([0x10000, 0x11000]);
    log.mark(0x10000 + 7 * DIRTY_LOG_PAGE_SIZE, DIRTY_LOG_PAGE_SIZE);
    expect(log.isDirty(0x17fff)).toBe(true);
    expect(() => log.mark(0x10000 + 7 * DIRTY_LOG_PAGE_SIZE, DIRTY_LOG_PAGE_SIZE + 1)).toThrow(VhostPciNetError);
    expect(() => log.mark(0xfff8, 16)).toThrow(VhostPciNetError);
    log.clear();
    expect(log.dirtyPages()).toEqual([]);
  });
});

describe("MirroredQueue ring writes", () => {
  // A 256-entry used ring at 0x7c00 spans pages 0x7000 and 0x8000: flags/idx on the first, elements from
  // slot 127 and avail_event on the second. Nothing else is written there.
  const ring = { size: 256, descAddress: 0x1000, availAddress: 0x2000, usedAddress: 0x7c00 };

  function setup(on: boolean): { queue: MirroredQueue; driver: SplitQueueDriver<number>; log: DirtyPageLog } {
    const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(0x10000));
    const driver = new SplitQueueDriver<number>(memory, ring, { eventIdx: true });
    const logging = new DirtyLogging();
    const log = new DirtyPageLog(0, 0x10000);
    logging.log = log;
    logging.on = on;
    const queue = new MirroredQueue(memory, "rx", { peerIndex: 1, addresses: ring, eventIdx: true, indirect: false, lastAvailIdx: 0, vector: 2 }, logging);
    return { queue, driver, log };
  }

  function useChains(queue: MirroredQueue, driver: SplitQueueDriver<number>, count: number): void {
    for (let i = 0; i < count; i++) {
      driver.add([{ address: 0x9000, length: 64 }], [], i);
      expect(queue.device.pop(queue.chain)).toBe("popped");
      queue.addUsed(queue.chain.head, 0);
      queue.publish();
      expect(driver.getUsed(new UsedBuffer<number>())).toBe("used");
    }
  }

  it("logs used.idx and the used elements, page by page", () => {
    const { queue, driver, log } = setup(true);
    useChains(queue, driver, 100);
    expect(log.dirtyPages()).toEqual([0x7000]);
    useChains(queue, driver, 50);
    expect(log.dirtyPages()).toEqual([0x7000, 0x8000]);
  });

  it("logs the avail_event write of enableKicks", () => {
    const { queue, log } = setup(true);
    queue.enableKicks();
    expect(log.dirtyPages()).toEqual([0x8000]);
  });

  it("logs nothing while logging is off", () => {
    const { queue, driver, log } = setup(false);
    useChains(queue, driver, 150);
    queue.enableKicks();
    expect(log.dirtyPages()).toEqual([]);
  });
});
