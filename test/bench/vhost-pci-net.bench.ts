/**
 * The vhost-pci-net data path in one thread (both guests of a LoopbackPair stepped in turn), per frame size:
 *
 * - baseline: guest A's transmitq alone — a split virtqueue round trip (driver add of one readable buffer →
 *   device pop → frame copied into a second buffer → pushUsed → getUsed) with the same frame writing and
 *   checking: the cost of one ring and one copy, which any virtio transport pays;
 * - vhost-pci-net A → B: A's driver transmits, B's driver pops A's TX ring (hostile-proof device side), copies
 *   into its receiveq, and its stack takes the frame — two rings and one cross-guest copy;
 * - vhost-pci-net B → A: B's driver fills A's receive buffers, A's driver takes the frames.
 *
 * One iteration = 256 frames. Worker-thread figures (two threads, PV interrupts) are printed by
 * `virtiokit demo vhost-pci-net`. Run with
 *   npx vitest bench --run test/bench/vhost-pci-net.bench.ts
 */
import { bench, describe } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import { FrameChecker, writeTestFrame } from "../../runtime/virtio-net/test-frames.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";
import { SplitQueueDevice, SplitQueueDriver, UsedBuffer } from "../../runtime/virtqueue/index.js";

const FRAMES = 256;

for (const size of [64, 1500]) {
  describe(`${size}-byte frames, ${FRAMES} per iteration`, () => {
    // --- baseline: one split ring and one copy ------------------------------------------------------
    const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(1 << 20));
    const ring = { size: 256, descAddress: 0x0, availAddress: 0x1000, usedAddress: 0x2000 };
    const driver = new SplitQueueDriver<number>(memory, ring);
    const device = new SplitQueueDevice(memory, ring);
    const chain = device.createChain();
    const used = new UsedBuffer<number>();
    const tx = memory.slice(0x10000, 2048);
    const rx = memory.slice(0x20000, 2048);
    const segment = [{ address: 0x10000, length: size }];
    let seq = 0;
    const checker = new FrameChecker({ stream: 1, mode: "light" });
    bench("baseline: split-ring round trip + copy", () => {
      for (let i = 0; i < FRAMES; i++) {
        writeTestFrame(tx, 0, seq++, size, 1, "light");
        driver.add(segment, [], i);
        if (device.pop(chain) !== "popped") throw new Error("pop");
        memory.read(chain.addresses[0]!, rx.subarray(0, size));
        device.pushUsed(chain.head, 0);
        if (driver.getUsed(used) !== "used") throw new Error("getUsed");
        checker.check(rx, 0, size);
      }
      if (checker.stats.corrupted + checker.stats.lost > 0) throw new Error("baseline stream damaged");
    });

    // --- vhost-pci-net, each direction ---------------------------------------------------------------
    for (const [from, label] of [
      ["a", "vhost-pci-net A → B"],
      ["b", "vhost-pci-net B → A"],
    ] as const) {
      const pair = new LoopbackPair();
      pair.connect();
      const sink = new TestFrameSink({ stream: from === "a" ? 1 : 2, mode: "light" });
      const source = new TestFrameSource({ count: Infinity, sizes: [size], stream: from === "a" ? 1 : 2, mode: "light" });
      const sender = from === "a" ? pair.a.driver : pair.b.driver;
      const receiver = from === "a" ? pair.b.driver : pair.a.driver;
      receiver.sink = sink.sink;
      // Each iteration lets the sender produce exactly FRAMES more frames and waits for all of them.
      let sent = 0;
      let target = 0;
      sender.source = {
        produce: (dst) => (sent < target ? (sent++, source.produce(dst)) : 0),
      };
      bench(label, () => {
        target += FRAMES;
        pair.runUntil(() => sink.checker.stats.received >= target, 100_000);
        if (sink.checker.stats.corrupted + sink.checker.stats.lost > 0) throw new Error(`${label} stream damaged`);
      });
    }
  });
}
