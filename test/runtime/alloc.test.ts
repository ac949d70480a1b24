import { describe, expect, it } from "vitest";
import { ChunkAllocator, ChunkAllocatorError, MAX_CHUNK_COUNT } from "../../runtime/alloc/index.js";
import type { ChunkAllocatorErrorReason } from "../../runtime/alloc/index.js";

/** Everything observable about an allocator, to prove a refused call changed nothing. */
function fingerprint(a: ChunkAllocator): string {
  const owners: (number | undefined)[] = [];
  for (let i = 0; i < a.chunkCount; i++) owners.push(a.ownerOf(i));
  return JSON.stringify({
    allocated: a.allocatedChunks,
    free: a.freeChunks,
    owners,
    counts: [...a.ownerCounts()].sort((x, y) => x[0] - y[0]),
  });
}

function expectRefused(a: ChunkAllocator, reason: ChunkAllocatorErrorReason, op: () => unknown): ChunkAllocatorError {
  const before = fingerprint(a);
  let caught: unknown;
  try {
    op();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ChunkAllocatorError);
  const error = caught as ChunkAllocatorError;
  expect(error.reason).toBe(reason);
  expect(fingerprint(a)).toBe(before);
  return error;
}

describe("ChunkAllocator geometry", () => {
  it.each([0, -1, 1.5, Number.NaN, MAX_CHUNK_COUNT + 1])("refuses chunk count %s", (n) => {
    expect(() => new ChunkAllocator(n)).toThrow(expect.objectContaining({ reason: "invalid-geometry" }));
  });

  it("accepts a one-chunk memory and counts it", () => {
    const a = new ChunkAllocator(1);
    expect(a.freeChunks).toBe(1);
    expect([...a.allocate(1)]).toEqual([0]);
    expect(a.freeChunks).toBe(0);
  });

  it("never hands out the padding bits of a partial last word", () => {
    // 33 chunks: two bitmap words, the second with a single usable bit.
    const a = new ChunkAllocator(33);
    const all = a.allocate(33);
    expect([...all]).toEqual(Array.from({ length: 33 }, (_, i) => i));
    expectRefused(a, "insufficient-chunks", () => a.allocate(1));
  });
});

describe("ChunkAllocator allocation", () => {
  it("returns the lowest free chunks in ascending order and reuses freed holes first", () => {
    const a = new ChunkAllocator(100);
    expect([...a.allocate(3, 1)]).toEqual([0, 1, 2]);
    expect([...a.allocate(4, 2)]).toEqual([3, 4, 5, 6]);
    a.free([1, 4]);
    expect([...a.allocate(3, 3)]).toEqual([1, 4, 7]);
  });

  it("spans summary words (more than 1024 chunks) and skips fully allocated words", () => {
    const a = new ChunkAllocator(5000);
    a.allocate(2100, 1);
    a.free([5, 2099]);
    expect([...a.allocate(3, 2)]).toEqual([5, 2099, 2100]);
    const rest = a.allocate(a.freeChunks, 3);
    expect(rest[0]).toBe(2101);
    expect(rest[rest.length - 1]).toBe(4999);
    expect(a.freeChunks).toBe(0);
  });

  it("keeps per-owner counts", () => {
    const a = new ChunkAllocator(64);
    a.allocate(5, 7);
    const b = a.allocate(2, 9);
    a.allocate(1, 7);
    expect(a.chunksOwnedBy(7)).toBe(6);
    expect(a.chunksOwnedBy(9)).toBe(2);
    expect(a.chunksOwnedBy(1234)).toBe(0);
    a.free(b, 9);
    expect(a.ownerCounts()).toEqual(new Map([[7, 6]]));
    expect(a.ownerOf(b[0]!)).toBeUndefined();
    expect(a.ownerOf(0)).toBe(7);
  });

  it("frees everything held by one owner", () => {
    const a = new ChunkAllocator(200);
    a.allocate(10, 1);
    a.allocate(10, 2);
    a.allocate(10, 1);
    expect(a.freeAllOwnedBy(1)).toBe(20);
    expect(a.freeAllOwnedBy(1)).toBe(0);
    expect(a.allocatedChunks).toBe(10);
    expect([...a.allocate(2, 3)]).toEqual([0, 1]);
  });

  it("handles 10^6 chunks: fill, free all, fill again", () => {
    const n = 1_000_000;
    const a = new ChunkAllocator(n);
    const first = a.allocate(n - 1, 1);
    expect(first[0]).toBe(0);
    expect(first[n - 2]).toBe(n - 2);
    expect([...a.allocate(1, 2)]).toEqual([n - 1]);
    a.free(first, 1);
    a.free([n - 1], 2);
    expect(a.allocatedChunks).toBe(0);
    expect(a.ownerCounts().size).toBe(0);
    const again = a.allocate(1000);
    expect(again[999]).toBe(999);
  });
});

describe("ChunkAllocator refusals leave the state unchanged", () => {
  function populated(): ChunkAllocator {
    const a = new ChunkAllocator(80);
    a.allocate(10, 1);
    a.allocate(5, 2);
    a.free([3]);
    return a;
  }

  it.each([0, -2, 2.5, Number.NaN])("allocate(%s) is invalid-count", (k) => {
    const a = populated();
    expectRefused(a, "invalid-count", () => a.allocate(k));
  });

  it("allocating more than is free is insufficient-chunks and takes nothing (all-or-nothing)", () => {
    const a = populated();
    const free = a.freeChunks;
    const e = expectRefused(a, "insufficient-chunks", () => a.allocate(free + 1));
    expect(e.message).toContain(String(free));
    // Exactly the free amount still succeeds afterwards.
    expect(a.allocate(free).length).toBe(free);
  });

  it.each([-1, 0x8000_0000, 1.5])("owner %s is invalid-owner", (owner) => {
    const a = populated();
    expectRefused(a, "invalid-owner", () => a.allocate(1, owner));
    expectRefused(a, "invalid-owner", () => a.free([0], owner));
  });

  it("double free of a chunk freed earlier", () => {
    const a = populated();
    const e = expectRefused(a, "double-free", () => a.free([3]));
    expect(e.chunk).toBe(3);
  });

  it("double free within a single call is rolled back", () => {
    const a = populated();
    const e = expectRefused(a, "double-free", () => a.free([0, 1, 2, 1]));
    expect(e.chunk).toBe(1);
    expect(a.isAllocated(0)).toBe(true);
    expect(a.isAllocated(2)).toBe(true);
  });

  it("freeing a chunk never allocated is not-allocated, even when listed after valid chunks", () => {
    const a = populated();
    const e = expectRefused(a, "not-allocated", () => a.free([0, 1, 50]));
    expect(e.chunk).toBe(50);
  });

  it.each([-1, 80, 1.5, Number.NaN])("chunk index %s is invalid-index", (index) => {
    const a = populated();
    expectRefused(a, "invalid-index", () => a.free([0, index]));
    expectRefused(a, "invalid-index", () => a.isAllocated(index));
  });

  it("empty or oversized free lists are invalid-count", () => {
    const a = populated();
    expectRefused(a, "invalid-count", () => a.free([]));
    expectRefused(a, "invalid-count", () => a.free({ length: 1e12 }));
  });

  it("freeing another owner's chunk is owner-mismatch", () => {
    const a = populated();
    const e = expectRefused(a, "owner-mismatch", () => a.free([0, 12], 1));
    expect(e.chunk).toBe(12);
  });

  it("validates the values it read, even if the argument changes while being read", () => {
    const a = populated();
    let reads = 0;
    // A hostile array-like whose element 0 reads as 0 once and as 70 (never allocated) afterwards.
    const shifty = {
      length: 1,
      get 0(): number {
        return reads++ === 0 ? 0 : 70;
      },
    };
    a.free(shifty);
    expect(a.isAllocated(0)).toBe(false);
    expect(a.isAllocated(70)).toBe(false);
    expect(a.allocatedChunks).toBe(13);
  });
});
