/**
 * The same properties for the split and the packed ring, through the layout-neutral factory: random
 * interleavings of add / pop / push (addUsed × k then publishUsed) / get, with and without EVENT_IDX,
 * INDIRECT and IN_ORDER, plus notification (no lost wakeup), NOTIFICATION_DATA and queue reset. Every chain
 * is delivered exactly once, intact, with the device's length; a reset returns exactly the chains not
 * delivered.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsedBuffer, gatherReadable } from "../../runtime/virtqueue/index.js";
import type { VirtqueueBuffer } from "../../runtime/virtqueue/index.js";
import { LAYOUTS, makePair } from "./fixtures/virtqueue-layouts.js";

const op = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      readable: fc.integer({ min: 0, max: 3 }),
      writable: fc.integer({ min: 0, max: 3 }),
      indirect: fc.boolean(),
      seed: fc.integer({ min: 0, max: 255 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("pop" as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("push" as const),
      count: fc.integer({ min: 1, max: 3 }),
      pick: fc.nat(),
      // Whole lengths half the time, so IN_ORDER runs of completely used buffers occur.
      fraction: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("get" as const) }) },
  { weight: 1, arbitrary: fc.constantFrom({ kind: "device-sleep" as const }, { kind: "driver-sleep" as const }, { kind: "device-poll" as const }, { kind: "driver-poll" as const }) },
  { weight: 1, arbitrary: fc.constantFrom({ kind: "reset" as const }, { kind: "none" as const }) },
);

for (const layout of LAYOUTS) {
  describe(`${layout.name} virtqueue: random driver/device interleavings`, () => {
    it("delivers every chain exactly once, intact, with the device's length; no lost wakeup; reset loses and duplicates nothing", () => {
      let batchesSeen = 0;
      let resets = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(...layout.sizes),
          fc.boolean(),
          fc.boolean(),
          fc.boolean(),
          fc.array(op, { maxLength: 120 }),
          (size, eventIdx, indirectDesc, inOrder, ops) => {
            const { memory, driver, device } = makePair(layout, size, { eventIdx, indirectDesc, inOrder, maxChainLength: size + 7 });
            const chain = device.createChain();
            const used = new UsedBuffer<number>();
            const freeSlots = Array.from({ length: 64 }, (_, i) => 63 - i);
            const sent = new Map<number, { slot: number; readable: VirtqueueBuffer[]; writable: VirtqueueBuffer[]; bytes: number[]; descs: number }>();
            let awaitingPop: number[] = [];
            let inDevice: { head: number; token: number; writableBytes: number }[] = [];
            let completions: { token: number; length: number }[] = [];
            const delivered = new Set<number>();
            const returnedByReset = new Set<number>();
            let nextToken = 0;
            let descsInUse = 0;
            let deviceSleeping = false;
            let driverSleeping = false;

            const doPop = (): void => {
              const r = device.pop(chain);
              deviceSleeping = false;
              if (awaitingPop.length === 0) {
                expect(r).toBe("empty");
                return;
              }
              expect(r, device.brokenDetail).toBe("popped");
              const token = awaitingPop.shift()!;
              const want = sent.get(token)!;
              expect(chain.readableCount).toBe(want.readable.length);
              expect(Array.from(chain.addresses.subarray(0, chain.count))).toEqual([...want.readable, ...want.writable].map((b) => b.address));
              expect(Array.from(chain.lengths.subarray(0, chain.count))).toEqual([...want.readable, ...want.writable].map((b) => b.length));
              const data = new Uint8Array(chain.readableBytes);
              gatherReadable(memory, chain, data);
              expect([...data]).toEqual(want.bytes);
              inDevice.push({ head: chain.head, token, writableBytes: chain.writableBytes });
            };
            const doPush = (count: number, pick: number, fraction: number): void => {
              let pushed = 0;
              let wholeBefore = true;
              for (let k = 0; k < count && inDevice.length > 0; k++) {
                const [c] = inDevice.splice(inOrder ? 0 : (pick + k) % inDevice.length, 1);
                const length = Math.floor(c!.writableBytes * fraction);
                if (k > 0 && inOrder && wholeBefore) batchesSeen++;
                wholeBefore &&= length === c!.writableBytes;
                expect(device.addUsed(c!.head, length)).toBe(true);
                completions.push({ token: c!.token, length });
                pushed++;
              }
              if (pushed === 0) return;
              device.publishUsed();
              const interrupt = device.needsInterrupt();
              if (driverSleeping) expect(interrupt, "driver asked for an interrupt and was not sent one").toBe(true);
              if (interrupt) driverSleeping = false;
            };
            const doGet = (): void => {
              const r = driver.getUsed(used);
              driverSleeping = false;
              if (completions.length === 0) {
                expect(r).toBe("empty");
                return;
              }
              expect(r, driver.brokenDetail).toBe("used");
              const want = completions.shift()!;
              expect([used.token, used.length]).toEqual([want.token, want.length]);
              expect(delivered.has(want.token)).toBe(false);
              delivered.add(want.token);
              const info = sent.get(want.token)!;
              descsInUse -= info.descs;
              freeSlots.push(info.slot);
            };

            for (const o of ops) {
              if (o.kind === "add") {
                if (o.readable + o.writable === 0) continue;
                const slot = freeSlots.pop();
                if (slot === undefined) continue;
                const base = 0x4000 + 0x200 * slot;
                const readable = Array.from({ length: o.readable }, (_, i) => ({ address: base + 0x20 * i, length: 1 + ((o.seed + i) % 31) }));
                const writable = Array.from({ length: o.writable }, (_, i) => ({ address: base + 0x100 + 0x20 * i, length: 1 + ((o.seed * 3 + i) % 31) }));
                const bytes: number[] = [];
                for (const b of readable) {
                  const content = Array.from({ length: b.length }, (_, i) => (o.seed + nextToken * 7 + b.address + i) & 0xff);
                  memory.write(b.address, Uint8Array.from(content));
                  bytes.push(...content);
                }
                const useIndirect = o.indirect && indirectDesc;
                const descs = useIndirect ? 1 : o.readable + o.writable;
                const table = useIndirect ? 0xc000 + 0x80 * slot : undefined;
                if (!useIndirect && descs > size) {
                  freeSlots.push(slot);
                  continue;
                }
                const r = driver.add(readable, writable, nextToken, table);
                if (descsInUse + descs > size) {
                  expect(r).toBe("no-space");
                  freeSlots.push(slot);
                  continue;
                }
                expect(r).toBe("added");
                descsInUse += descs;
                sent.set(nextToken, { slot, readable, writable, bytes, descs });
                awaitingPop.push(nextToken);
                nextToken++;
                expect(driver.numFree).toBe(size - descsInUse);
                const kick = driver.needsKick();
                if (deviceSleeping) expect(kick, "device asked for a kick and was not sent one").toBe(true);
                if (kick) deviceSleeping = false;
                // NOTIFICATION_DATA: what the notification says is available = what the device has not popped.
                const availableByData = device.notifiedAvailable(driver.notificationData(3));
                const expected = layout.name === "split" ? awaitingPop.length : awaitingPop.reduce((n, t) => n + sent.get(t)!.descs, 0);
                expect(availableByData).toBe(expected);
              } else if (o.kind === "pop") {
                doPop();
              } else if (o.kind === "push") {
                doPush(o.count, o.pick, o.fraction);
              } else if (o.kind === "get") {
                doGet();
              } else if (o.kind === "device-sleep") {
                deviceSleeping = !device.enableKicks();
                expect(deviceSleeping).toBe(awaitingPop.length === 0);
              } else if (o.kind === "driver-sleep") {
                driverSleeping = !driver.enableUsedNotifications();
                expect(driverSleeping).toBe(completions.length === 0);
              } else if (o.kind === "device-poll") {
                device.disableKicks();
                deviceSleeping = false;
              } else if (o.kind === "driver-poll") {
                driver.disableUsedNotifications();
                driverSleeping = false;
              } else if (o.kind === "reset") {
                resets++;
                device.reset();
                const back = driver.reset();
                const notDelivered = [...awaitingPop, ...inDevice.map((c) => c.token), ...completions.map((c) => c.token)].sort((a, b) => a - b);
                expect([...back].sort((a, b) => a - b)).toEqual(notDelivered);
                for (const t of back) {
                  expect(delivered.has(t) || returnedByReset.has(t)).toBe(false);
                  returnedByReset.add(t);
                  freeSlots.push(sent.get(t)!.slot);
                }
                awaitingPop = [];
                inDevice = [];
                completions = [];
                descsInUse = 0;
                deviceSleeping = false;
                driverSleeping = false;
                expect(driver.numFree).toBe(size);
              }
            }
            while (awaitingPop.length > 0) doPop();
            while (inDevice.length > 0) doPush(3, 0, 1);
            while (completions.length > 0) doGet();
            expect(driver.getUsed(used)).toBe("empty");
            expect(delivered.size + returnedByReset.size).toBe(nextToken);
            expect(driver.numFree).toBe(size);
            expect(driver.broken || device.broken).toBe(false);
          },
        ),
        { numRuns: 300 },
      );
      // The generator must reach resets and IN_ORDER batches (a run published as one used entry) often.
      expect(resets).toBeGreaterThan(10);
      expect(batchesSeen).toBeGreaterThan(10);
    });
  });
}
