/**
 * Fuzz targets, one per ring side and layout (as rust-vmm keeps beside virtio-queue): fast-check drives an
 * honest peer and a scribbler that writes random bytes into the areas the *other* side owns, interleaved
 * with the side under test's own calls. The side under test must never throw, never loop, never hand out a
 * segment outside guest memory or a completion it did not have outstanding, and once broken stay broken
 * until reset.
 *
 * CI runs a short campaign; a long one: VIRTIOKIT_FUZZ_RUNS=200000 npx vitest run test/runtime/virtqueue-fuzz
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsedBuffer, isPackedRing, ringAreaBytes } from "../../runtime/virtqueue/index.js";
import type { RingAddresses } from "../../runtime/virtqueue/index.js";
import { LAYOUTS, makePair } from "./fixtures/virtqueue-layouts.js";

const RUNS = Number(process.env["VIRTIOKIT_FUZZ_RUNS"] ?? 100);
const TIMEOUT = RUNS > 1000 ? 0 : 60_000;

/** Guest addresses of the ring areas a side writes: [descriptor area, driver area, device area]. */
function areas(ring: RingAddresses): [number, number][] {
  const [d, dr, dv] = ringAreaBytes(ring);
  if (isPackedRing(ring)) return [[ring.descAddress, d], [ring.driverEventAddress, dr], [ring.deviceEventAddress, dv]];
  return [[ring.descAddress, d], [ring.availAddress, dr], [ring.usedAddress, dv]];
}

/**
 * One hostile write: a field of a descriptor (addr low half, len, flags, next/id — offsets common to both
 * layouts' 16-byte descriptors, each field written whole) or a u16 of an event/avail/used area, with
 * values biased toward what the rings hold (small indices, flag combinations with wrap bits).
 */
const scribble = fc.record({
  kind: fc.constant("scribble" as const),
  area: fc.nat(),
  // Rings start at position 0 and campaigns are short: low slots are where the traffic is.
  slot: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.nat()),
  field: fc.oneof(fc.constant(3), fc.integer({ min: 0, max: 3 })),
  value: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }) },
    { weight: 3, arbitrary: fc.constantFrom(0x80, 0x8000, 0x8080, 0x81, 0x8001, 0x8081, 0x82, 0x8002, 0x84, 0x8004, 1, 2, 3, 4, 5) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  ),
});

const op = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("add" as const), readable: fc.integer({ min: 0, max: 3 }), writable: fc.integer({ min: 0, max: 3 }), indirect: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("pop" as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("push" as const), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("get" as const) }) },
  { weight: 1, arbitrary: fc.constantFrom({ kind: "notify" as const }, { kind: "reset" as const }) },
  { weight: 4, arbitrary: scribble },
);

for (const layout of LAYOUTS) {
  for (const side of ["device", "driver"] as const) {
    describe(`fuzz: ${layout.name} ${side} against a random ${side === "device" ? "driver" : "device"}`, () => {
      it(`survives ${RUNS} campaigns`, { timeout: TIMEOUT }, () => {
        let brokenRuns = 0;
        fc.assert(
          fc.property(fc.constantFrom(...layout.sizes), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 40 }), fc.array(op, { minLength: 20, maxLength: 200 }), (size, eventIdx, indirectDesc, inOrder, maxChainLength, ops) => {
            const { memory, ring, driver, device } = makePair(layout, size, { eventIdx, indirectDesc, inOrder, maxChainLength });
            const owned = areas(ring);
            // The scribbler writes what the other side owns: a hostile driver writes descriptors and the
            // driver area; a hostile device writes the device area (and, packed, used descriptors in the ring).
            const targets = side === "device" ? [owned[0]!, owned[1]!] : isPackedRing(ring) ? [owned[0]!, owned[2]!] : [owned[2]!];
            const chain = device.createChain();
            const used = new UsedBuffer<number>();
            const inDevice: { head: number; writable: number }[] = [];
            const outstanding = new Map<number, number>(); // token → writable bytes
            let nextToken = 0;
            let wasBroken = false;
            let everBroken = false;
            const underTest = side === "device" ? device : driver;
            for (const o of ops) {
              // The peer is honest but may itself be confused by the scribbles: its failures are allowed,
              // its exceptions are not. Calls on the side under test are the ones checked.
              if (o.kind === "scribble") {
                const [base, bytes] = targets[o.area % targets.length]!;
                if (base === ring.descAddress) {
                  const at = base + 16 * (o.slot % size) + [0, 8, 12, 14][o.field]!;
                  if (o.field < 2) memory.writeU32(at, o.value >>> 0);
                  else memory.writeU16(at, o.value & 0xffff);
                } else {
                  memory.writeU16(base + 2 * (o.slot % (bytes >> 1)), o.value & 0xffff);
                }
              } else if (o.kind === "add") {
                if (o.readable + o.writable === 0) continue;
                const base = 0x4000 + 0x100 * (nextToken % 64);
                const readable = Array.from({ length: o.readable }, (_, i) => ({ address: base + 0x10 * i, length: 8 }));
                const writable = Array.from({ length: o.writable }, (_, i) => ({ address: base + 0x80 + 0x10 * i, length: 8 }));
                const table = o.indirect && indirectDesc ? 0xc000 + 0x80 * (nextToken % 64) : undefined;
                if (table === undefined && o.readable + o.writable > size) continue;
                if (driver.add(readable, writable, nextToken, table) === "added") outstanding.set(nextToken, 8 * o.writable);
                nextToken++;
                driver.needsKick();
              } else if (o.kind === "pop") {
                const before = device.descriptorsVisited;
                const r = device.pop(chain);
                if (side === "device") {
                  expect(device.descriptorsVisited - before).toBeLessThanOrEqual(maxChainLength);
                  if (wasBroken) expect(r).toBe("broken");
                }
                if (r === "popped") {
                  expect(chain.count).toBeLessThanOrEqual(maxChainLength);
                  for (let i = 0; i < chain.count; i++) expect(memory.isValidRange(chain.addresses[i]!, chain.lengths[i]!)).toBe(true);
                  expect(chain.writableBytes + chain.readableBytes).toBeLessThanOrEqual(0xffffffff);
                  inDevice.push({ head: chain.head, writable: chain.writableBytes });
                }
              } else if (o.kind === "push") {
                if (inDevice.length === 0) continue;
                const [c] = inDevice.splice(inOrder ? 0 : o.pick % inDevice.length, 1);
                device.pushUsed(c!.head, Math.floor(c!.writable * o.fraction));
                device.needsInterrupt();
              } else if (o.kind === "get") {
                const r = driver.getUsed(used);
                if (side === "driver" && wasBroken) expect(r).toBe("broken");
                if (r === "used") {
                  // Only something outstanding, once, within its writable bytes.
                  expect(outstanding.has(used.token!)).toBe(true);
                  expect(used.length).toBeLessThanOrEqual(outstanding.get(used.token!)!);
                  outstanding.delete(used.token!);
                }
              } else if (o.kind === "notify") {
                device.enableKicks();
                driver.enableUsedNotifications();
                device.notifiedAvailable(driver.notificationData(0));
              } else {
                device.reset();
                for (const t of driver.reset()) expect(outstanding.delete(t)).toBe(true);
                expect(outstanding.size).toBe(0);
                inDevice.length = 0;
                wasBroken = false;
                continue;
              }
              wasBroken ||= underTest.broken;
              everBroken ||= wasBroken;
              expect(device.inFlightChains).toBeLessThanOrEqual(size);
              expect(driver.outstanding).toBe(outstanding.size);
            }
            if (everBroken) brokenRuns++;
          }),
          { numRuns: RUNS },
        );
        // The scribbler must actually break the side under test in a fair share of campaigns.
        expect(brokenRuns).toBeGreaterThan(RUNS / 25);
      });
    });
  }
}
