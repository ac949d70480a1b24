/**
 * Bounded host memory: an ISM domain keeps nothing per freed region, so a guest looping alloc/free cannot grow
 * the host. (It used to keep every token ever issued, 44 bytes each: +43 MiB after 10^6 cycles.)
 *
 * The heap is measured after a full GC (V8's `gc()`, exposed for this test) after N/10 and after N cycles of
 * ALLOC + DETACH on one device; the growth between them must stay under a constant far below what remembering
 * the 0.9·N extra tokens would take.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { allocToken, detach, domainWith } from "./helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Heap used after two full collections (the second catches what the first's finalisers freed). */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const N = 60_000;

describe("token memory", () => {
  it(`heap after ${N} alloc/free cycles is within 512 KiB of the heap after ${N / 10}`, () => {
    const { domain, devices: [a] } = domainWith(1, 4);
    const cycle = (count: number): void => {
      for (let i = 0; i < count; i++) detach(a!, allocToken(a!, 64));
    };
    cycle(N / 10);
    const early = heapAfterGc();
    cycle(N - N / 10);
    const late = heapAfterGc();
    expect(domain.issuedTokenCount).toBe(N);
    expect(domain.regions()).toHaveLength(0);
    // Remembering the 54000 extra tokens would take ~2.4 MB (44 bytes each); allow 512 KiB of noise.
    expect(late - early).toBeLessThan(512 * 1024);
  }, 120_000);
});
