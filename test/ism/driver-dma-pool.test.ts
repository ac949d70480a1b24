/**
 * The driver's guest-memory allocator (DmaPool) against a model: random allocate/free sequences keep buffers
 * disjoint, aligned and inside the pool, the free list coalesced, and everything comes back.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DMA_ALIGNMENT, DmaPool, IsmDriverError } from "../../runtime/ism/driver/index.js";

describe("DmaPool", () => {
  it("random allocate/free sequences: disjoint aligned buffers, consistent free list, all bytes back", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ op: fc.constant("alloc" as const), size: fc.integer({ min: 1, max: 5000 }) }), fc.record({ op: fc.constant("free" as const), pick: fc.nat() })), { maxLength: 200 }),
        (ops) => {
          const pool = new DmaPool(4096, 64 * 1024);
          const live = new Map<number, number>();
          for (const o of ops) {
            if (o.op === "alloc") {
              let at: number;
              try {
                at = pool.allocate(o.size);
              } catch (error) {
                expect((error as IsmDriverError).reason).toBe("out-of-memory");
                continue;
              }
              expect(at % DMA_ALIGNMENT).toBe(0);
              expect(at).toBeGreaterThanOrEqual(4096);
              expect(at + o.size).toBeLessThanOrEqual(4096 + 64 * 1024);
              for (const [s, n] of live) expect(at + o.size <= s || s + n <= at).toBe(true);
              live.set(at, o.size);
            } else if (live.size > 0) {
              const keys = [...live.keys()];
              const at = keys[o.pick % keys.length]!;
              pool.free(at);
              live.delete(at);
            }
            expect(pool.verify()).toEqual([]);
            expect(pool.liveBuffers).toBe(live.size);
          }
          for (const at of live.keys()) pool.free(at);
          expect(pool.usedBytes).toBe(0);
          expect(pool.allocate(64 * 1024)).toBe(4096);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses double and stray frees without changing anything", () => {
    const pool = new DmaPool(0, 4096);
    const a = pool.allocate(100);
    pool.free(a);
    expect(() => pool.free(a)).toThrow(IsmDriverError);
    expect(() => pool.free(8)).toThrow(IsmDriverError);
    expect(pool.verify()).toEqual([]);
    expect(pool.freeBytes).toBe(4096);
  });

  it("rejects bad geometry and bad sizes", () => {
    expect(() => new DmaPool(3, 4096)).toThrow(IsmDriverError);
    expect(() => new DmaPool(0, 12)).toThrow(IsmDriverError);
    const pool = new DmaPool(0, 4096);
    for (const size of [0, -1, 1.5, Number.NaN, 2 ** 60]) expect(() => pool.allocate(size)).toThrow(IsmDriverError);
  });
});
