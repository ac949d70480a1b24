import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkAllocator, ChunkAllocatorError } from "../../runtime/alloc/index.js";

/**
 * Reference model: the obvious implementation (an array of owners, linear scans). The real allocator must agree
 * with it on every result, every refusal and every counter.
 */
class ReferenceAllocator {
  readonly owner: (number | undefined)[];
  readonly everAllocated: boolean[];
  constructor(readonly n: number) {
    this.owner = new Array<number | undefined>(n).fill(undefined);
    this.everAllocated = new Array<boolean>(n).fill(false);
  }
  get allocated(): number {
    return this.owner.filter((o) => o !== undefined).length;
  }
  lowestFree(k: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n && out.length < k; i++) if (this.owner[i] === undefined) out.push(i);
    return out;
  }
  counts(): Map<number, number> {
    const m = new Map<number, number>();
    for (const o of this.owner) if (o !== undefined) m.set(o, (m.get(o) ?? 0) + 1);
    return m;
  }
  /** The refusal reason the real allocator must give for free(list, owner), or undefined if it must succeed. */
  freeRefusal(list: number[], owner?: number): string | undefined {
    if (list.length === 0 || list.length > this.n) return "invalid-count";
    for (const c of list) {
      if (!Number.isInteger(c) || c < 0 || c >= this.n) return "invalid-index";
      if (this.owner[c] === undefined) return this.everAllocated[c] ? "double-free" : "not-allocated";
      if (owner !== undefined && this.owner[c] !== owner) return "owner-mismatch";
    }
    if (new Set(list).size !== list.length) return "double-free";
    return undefined;
  }
}

type Model = { ref: ReferenceAllocator };

function sameAccounting(m: Model, r: ChunkAllocator): void {
  expect(r.allocatedChunks).toBe(m.ref.allocated);
  expect(r.freeChunks).toBe(m.ref.n - m.ref.allocated);
  expect(r.ownerCounts()).toEqual(m.ref.counts());
  const owners = Array.from({ length: m.ref.n }, (_, i) => r.ownerOf(i));
  expect(owners).toEqual(m.ref.owner);
}

function reasonOf(op: () => unknown): string | undefined {
  try {
    op();
    return undefined;
  } catch (e) {
    if (!(e instanceof ChunkAllocatorError)) throw e;
    return e.reason;
  }
}

class AllocateCommand implements fc.Command<Model, ChunkAllocator> {
  constructor(
    readonly k: number,
    readonly owner: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: ChunkAllocator): void {
    const free = m.ref.n - m.ref.allocated;
    if (this.k === 0 || this.k > free) {
      expect(reasonOf(() => r.allocate(this.k, this.owner))).toBe(this.k === 0 ? "invalid-count" : "insufficient-chunks");
    } else {
      const got = [...r.allocate(this.k, this.owner)];
      expect(got).toEqual(m.ref.lowestFree(this.k));
      for (const c of got) {
        m.ref.owner[c] = this.owner;
        m.ref.everAllocated[c] = true;
      }
    }
    sameAccounting(m, r);
  }
  toString(): string {
    return `allocate(${this.k}, owner ${this.owner})`;
  }
}

/** Frees a selection of currently allocated chunks, optionally polluted by a stray index or a duplicate. */
class FreeCommand implements fc.Command<Model, ChunkAllocator> {
  constructor(
    readonly picks: number[],
    readonly stray: number | undefined,
    readonly duplicate: boolean,
    readonly owner: number | undefined,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: ChunkAllocator): void {
    const allocated = m.ref.owner.flatMap((o, i) => (o === undefined ? [] : [i]));
    const picked = allocated.length === 0 ? [] : this.picks.map((p) => allocated[p % allocated.length]!);
    const list: number[] = [...new Set(picked)];
    if (this.stray !== undefined) list.splice(this.stray % (list.length + 1), 0, this.stray);
    if (this.duplicate && list.length > 0) list.push(list[0]!);
    const expected = m.ref.freeRefusal(list, this.owner);
    expect(reasonOf(() => r.free(list, this.owner))).toBe(expected);
    if (expected === undefined) for (const c of list) m.ref.owner[c] = undefined;
    sameAccounting(m, r);
  }
  toString(): string {
    return `free(picks ${JSON.stringify(this.picks)}, stray ${this.stray}, dup ${this.duplicate}, owner ${this.owner})`;
  }
}

class FreeOwnerCommand implements fc.Command<Model, ChunkAllocator> {
  constructor(readonly owner: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: ChunkAllocator): void {
    const held = m.ref.counts().get(this.owner) ?? 0;
    expect(r.freeAllOwnedBy(this.owner)).toBe(held);
    m.ref.owner.forEach((o, i) => {
      if (o === this.owner) m.ref.owner[i] = undefined;
    });
    sameAccounting(m, r);
  }
  toString(): string {
    return `freeAllOwnedBy(${this.owner})`;
  }
}

describe("ChunkAllocator against a reference model (fast-check commands)", () => {
  it("agrees on every result, refusal and counter", () => {
    const owner = fc.integer({ min: 0, max: 3 });
    const commands = [
      fc.tuple(fc.integer({ min: 0, max: 40 }), owner).map(([k, o]) => new AllocateCommand(k, o)),
      fc
        .tuple(
          fc.array(fc.nat(), { maxLength: 12 }),
          fc.option(fc.integer({ min: -2, max: 140 }), { nil: undefined }),
          fc.boolean(),
          fc.option(owner, { nil: undefined }),
        )
        .map(([picks, stray, dup, o]) => new FreeCommand(picks, stray, dup, o)),
      owner.map((o) => new FreeOwnerCommand(o)),
    ];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 130 }), fc.commands(commands, { size: "+1" }), (n, cmds) => {
        fc.modelRun(() => ({ model: { ref: new ReferenceAllocator(n) }, real: new ChunkAllocator(n) }), cmds);
      }),
      { numRuns: 150 },
    );
  });
});

/** mulberry32: small seeded PRNG so the long run is reproducible from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("ChunkAllocator seeded long run", () => {
  it("10^6 random operations then freeing everything leaves zero chunks allocated", () => {
    const n = 1 << 16;
    const seed = 0x15a_2023;
    const rand = prng(seed);
    const a = new ChunkAllocator(n);
    // Model: owner per chunk (-1 free) and the live allocation groups (what a device would free later).
    const owner = new Int32Array(n).fill(-1);
    const groups: { chunks: Uint32Array; owner: number }[] = [];
    const ownerCount = new Map<number, number>();
    let allocated = 0;
    let refusals = 0;

    const ops = 1_000_000;
    for (let op = 0; op < ops; op++) {
      const occupancy = allocated / n;
      const r = rand();
      if (r < 0.001) {
        // Hostile free of a chunk that is free in the model: must be refused without effect.
        let probe = Math.floor(rand() * n);
        while (owner[probe] !== -1 && allocated < n) probe = (probe + 1) % n;
        if (owner[probe] === -1) {
          expect(reasonOf(() => a.free([probe]))).toMatch(/^(double-free|not-allocated)$/);
          refusals++;
        }
      } else if (groups.length === 0 || r < 0.55 - (occupancy - 0.5) * 0.5) {
        const k = 1 + Math.floor(rand() * 32);
        const o = Math.floor(rand() * 8);
        if (k > n - allocated) {
          expect(reasonOf(() => a.allocate(k, o))).toBe("insufficient-chunks");
          refusals++;
          continue;
        }
        const got = a.allocate(k, o);
        if (got.length !== k) throw new Error(`op ${op}: asked ${k}, got ${got.length}`);
        for (let i = 0; i < k; i++) {
          const c = got[i]!;
          if (owner[c] !== -1) throw new Error(`op ${op}: chunk ${c} handed out twice`);
          if (i > 0 && got[i - 1]! >= c) throw new Error(`op ${op}: chunks not ascending`);
          owner[c] = o;
        }
        groups.push({ chunks: got, owner: o });
        ownerCount.set(o, (ownerCount.get(o) ?? 0) + k);
        allocated += k;
      } else {
        const gi = Math.floor(rand() * groups.length);
        const g = groups[gi]!;
        groups[gi] = groups[groups.length - 1]!;
        groups.pop();
        // Half the time free only part of the group (the rest stays live as its own group).
        let freeing = g.chunks;
        if (g.chunks.length > 1 && rand() < 0.5) {
          const cut = 1 + Math.floor(rand() * (g.chunks.length - 1));
          freeing = g.chunks.subarray(0, cut);
          groups.push({ chunks: g.chunks.subarray(cut), owner: g.owner });
        }
        a.free(freeing, rand() < 0.5 ? g.owner : undefined);
        for (const c of freeing) owner[c] = -1;
        ownerCount.set(g.owner, ownerCount.get(g.owner)! - freeing.length);
        allocated -= freeing.length;
      }
      if (a.allocatedChunks !== allocated) throw new Error(`op ${op}: allocated ${a.allocatedChunks} != ${allocated}`);
      if (op % 100_000 === 0) {
        for (let c = 0; c < n; c++) {
          const expected = owner[c] === -1 ? undefined : owner[c];
          if (a.ownerOf(c) !== expected) throw new Error(`op ${op}: owner of ${c} differs`);
        }
        for (const [o, count] of ownerCount) expect(a.chunksOwnedBy(o)).toBe(count);
      }
    }
    expect(refusals).toBeGreaterThan(0);
    expect(allocated).toBeGreaterThan(0);
    for (const g of groups) a.free(g.chunks, g.owner);
    expect(a.allocatedChunks).toBe(0);
    expect(a.freeChunks).toBe(n);
    expect(a.ownerCounts().size).toBe(0);
    // Nothing leaked: the whole memory can be taken again in one ascending run.
    const all = a.allocate(n);
    expect(all[0]).toBe(0);
    expect(all[n - 1]).toBe(n - 1);
  });
});
