/**
 * Soak: 10^5 alloc/attach/write/kick/detach cycles leave zero chunks and zero bytes allocated — in the domain,
 * in both devices and in both drivers' guest memory. Run in one thread against the device model through the
 * driver library (IsmLocalHost): with worker threads, the same 10^5 cycles would spend their time in thread
 * hand-offs rather than in the code under test. test/scripts/ism-soak.mjs runs 10^6.
 */
import { describe, expect, it } from "vitest";
import { soak } from "../../runtime/ism/guest/soak.js";

describe("soak", () => {
  it("10^5 cycles with DEV_MEM leave nothing allocated", async () => {
    const r = await soak(100_000);
    expect(r.problems).toEqual([]);
    expect(r.updates).toBe(100_000);
    expect({ chunks: r.chunks, hostBytes: r.hostBytes, lentBytes: r.lentBytes, regions: r.regions, driverBytes: r.driverBytes, lentBuffers: r.lentBuffers }).toEqual({
      chunks: 0,
      hostBytes: 0,
      lentBytes: 0,
      regions: 0,
      driverBytes: 0,
      lentBuffers: 0,
    });
  }, 120_000);

  it("5000 cycles without DEV_MEM return every lent buffer", async () => {
    const r = await soak(5_000, { devMem: false, check: 1_000 });
    expect(r.problems).toEqual([]);
    expect(r.updates).toBe(5_000);
    expect({ chunks: r.chunks, lentBytes: r.lentBytes, regions: r.regions, driverBytes: r.driverBytes, lentBuffers: r.lentBuffers }).toEqual({
      chunks: 0,
      lentBytes: 0,
      regions: 0,
      driverBytes: 0,
      lentBuffers: 0,
    });
  }, 60_000);
});
