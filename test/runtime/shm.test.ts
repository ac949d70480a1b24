import { describe, expect, it } from "vitest";
import {
  DeviceMemory,
  HostMemory,
  REGION_PERM_READ,
  REGION_PERM_READ_WRITE,
  REGION_PERM_WRITE,
  RegionHandle,
  SharedRegion,
  ShmError,
} from "../../runtime/shm/index.js";
import type { ShmErrorReason } from "../../runtime/shm/index.js";

const CHUNK = 4096;

function refusal(op: () => unknown): ShmErrorReason {
  try {
    op();
  } catch (e) {
    if (e instanceof ShmError) return e.reason;
    throw e;
  }
  throw new Error("expected a ShmError, but the operation succeeded");
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Two devices whose first free slots differ, so the same region lands at different offsets in each. */
function twoDevices() {
  const host = new HostMemory();
  const a = new DeviceMemory({ chunkCount: 64, chunkSize: CHUNK });
  const b = new DeviceMemory({ chunkCount: 64, chunkSize: CHUNK });
  // Occupy b's slots 0..2 and 4 with other regions, so a 3-chunk region lands at 3, 5, 6 in b.
  const filler1 = host.allocateRegion(3 * CHUNK, CHUNK);
  const filler2 = host.allocateRegion(1, CHUNK);
  const fillerMapping = b.map(filler1);
  const blocker = b.map(host.allocateRegion(1, CHUNK));
  b.map(filler2);
  b.unmap(blocker);
  const region = host.allocateRegion(3 * CHUNK - 100, CHUNK);
  return { host, a, b, region, fillerMapping };
}

describe("regions mapped into two devices", () => {
  it("places the same region at different chunk offsets in each device", () => {
    const { a, b, region } = twoDevices();
    const ma = a.map(region);
    const mb = b.map(region);
    expect([...ma.chunkSlots]).toEqual([0, 1, 2]);
    expect([...mb.chunkSlots]).toEqual([3, 5, 6]);
    expect(mb.chunkOffsets()).toEqual([3 * CHUNK, 5 * CHUNK, 6 * CHUNK]);
    expect(ma.offset).toBe(0);
    expect(mb.offset).toBe(3 * CHUNK);
    expect(region.refCount).toBe(2);
    expect(region.mappings).toEqual([ma, mb]);
  });

  it("makes a write through one device visible through the other at its own offsets", () => {
    const { a, b, region } = twoDevices();
    const ha = a.map(region).handle();
    const hb = b.map(region).handle();
    // Region bytes [CHUNK - 10, CHUNK + 20) — across region chunks 0 and 1.
    const data = bytes(30, 7);
    ha.write(ha.deviceOffsetOf(CHUNK - 10), data);
    // In b the region's chunk 0 is slot 3 and chunk 1 is slot 5: not adjacent, so read the two pieces.
    expect(hb.deviceOffsetOf(CHUNK - 10)).toBe(4 * CHUNK - 10);
    expect(hb.deviceOffsetOf(CHUNK)).toBe(5 * CHUNK);
    expect(hb.read(4 * CHUNK - 10, 10)).toEqual(data.subarray(0, 10));
    expect(hb.read(5 * CHUNK, 20)).toEqual(data.subarray(10));
    // And the other way round, across b's adjacent slots 5 and 6 (region chunks 1 and 2).
    const back = bytes(64, 99);
    hb.write(6 * CHUNK - 32, back);
    expect(ha.read(2 * CHUNK - 32, 64)).toEqual(back);
    expect(new Uint8Array(region.buffer, 2 * CHUNK - 32, 64)).toEqual(back);
  });

  it("writes spanning several chunks land contiguously in the region", () => {
    const host = new HostMemory();
    const dev = new DeviceMemory({ chunkCount: 16, chunkSize: 256 });
    const region = host.allocateRegion(1000, 256);
    const h = dev.map(region).handle();
    const data = bytes(900, 3);
    h.write(50, data);
    expect(new Uint8Array(region.buffer, 50, 900)).toEqual(data);
    const into = new Uint8Array(900);
    h.readInto(50, into);
    expect(into).toEqual(data);
  });

  it("refuses an access that strays from the mapping's slots into a neighbour's, writing nothing", () => {
    const { a, b, region } = twoDevices();
    a.map(region);
    const hb = b.map(region).handle();
    // Slot 3 is ours, slot 4 belongs to another region: a write across the boundary must not happen at all.
    expect(refusal(() => hb.write(4 * CHUNK - 4, bytes(8, 1)))).toBe("not-mapped");
    expect(hb.read(4 * CHUNK - 4, 4)).toEqual(new Uint8Array(4));
    expect(refusal(() => hb.read(0, 1))).toBe("not-mapped");
  });

  it("bounds accesses by the region size, not the chunk-rounded size", () => {
    const { a, region } = twoDevices();
    const h = a.map(region).handle();
    const size = region.size; // 3 chunks minus 100 bytes
    h.write(size - 4, bytes(4, 0));
    expect(refusal(() => h.write(size - 4, bytes(5, 0)))).toBe("out-of-bounds");
    expect(refusal(() => h.read(size, 1))).toBe("out-of-bounds");
    expect(refusal(() => h.deviceOffsetOf(size))).toBe("out-of-bounds");
    expect(refusal(() => h.read(a.byteLength - 1, 2))).toBe("out-of-bounds");
    expect(refusal(() => h.read(Number.MAX_SAFE_INTEGER, 2))).toBe("out-of-bounds");
    expect(refusal(() => h.read(-1, 1))).toBe("invalid-offset");
    expect(refusal(() => h.read(1.5, 1))).toBe("invalid-offset");
    expect(refusal(() => h.read(0, -1))).toBe("invalid-offset");
  });

  it("region-relative access sees the region as one buffer, whatever the slots, with the same checks", () => {
    const { a, b, region } = twoDevices();
    const ha = a.map(region).handle();
    const mb = b.map(region, REGION_PERM_READ);
    const hb = mb.handle();
    const data = bytes(2 * CHUNK, 11);
    ha.writeRegion(CHUNK / 2, data);
    // b's slots 3, 5, 6 are not contiguous, but region addressing does not care.
    expect(hb.readRegion(CHUNK / 2, 2 * CHUNK)).toEqual(data);
    const into = new Uint8Array(100);
    hb.readRegionInto(CHUNK - 50, into);
    expect(into).toEqual(data.subarray(CHUNK / 2 - 50, CHUNK / 2 + 50));
    expect(refusal(() => hb.writeRegion(0, Uint8Array.of(1)))).toBe("permission-denied");
    expect(refusal(() => ha.writeRegion(region.size - 1, Uint8Array.of(1, 2)))).toBe("out-of-bounds");
    expect(refusal(() => ha.readRegion(-1, 1))).toBe("invalid-offset");
    expect(refusal(() => ha.readRegion(0, Number.NaN))).toBe("invalid-offset");
    b.unmap(mb);
    expect(refusal(() => hb.readRegion(0, 1))).toBe("unmapped");
  });

  it("resolves device offsets to mapping and region byte", () => {
    const { b, region } = twoDevices();
    const mb = b.map(region);
    expect(b.resolve(5 * CHUNK + 7)).toEqual({ mapping: mb, regionOffset: CHUNK + 7 });
    expect(b.resolve(40 * CHUNK)).toBeUndefined();
    expect(b.resolve(-1)).toBeUndefined();
    // Inside the last chunk but past the region's size: not an addressable byte.
    expect(b.resolve(6 * CHUNK + CHUNK - 50)).toBeUndefined();
  });
});

describe("permissions", () => {
  it("a read-only handle cannot write and nothing is written", () => {
    const host = new HostMemory();
    const dev = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const peer = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const region = host.allocateRegion(2 * CHUNK, CHUNK);
    const writer = dev.map(region).handle();
    const ro = peer.map(region, REGION_PERM_READ).handle();
    writer.write(0, bytes(16, 5));
    expect(refusal(() => ro.write(0, new Uint8Array(16)))).toBe("permission-denied");
    expect(ro.read(0, 16)).toEqual(bytes(16, 5));
  });

  it("a handle cannot ask for more than its mapping grants; narrowing works", () => {
    const host = new HostMemory();
    const dev = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const region = host.allocateRegion(CHUNK, CHUNK);
    const ro = dev.map(region, REGION_PERM_READ);
    expect(refusal(() => ro.handle(REGION_PERM_READ_WRITE))).toBe("permission-denied");
    expect(refusal(() => ro.handle(4))).toBe("invalid-permissions");
    const other = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK }).map(region);
    const wo = other.handle(REGION_PERM_WRITE);
    wo.write(0, Uint8Array.of(1));
    expect(refusal(() => wo.read(0, 1))).toBe("permission-denied");
  });

  it("revoking write on the mapping limits existing handles", () => {
    const host = new HostMemory();
    const dev = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const m = dev.map(host.allocateRegion(CHUNK, CHUNK));
    const h = m.handle();
    h.write(0, Uint8Array.of(1));
    m.setPermissions(REGION_PERM_READ);
    expect(h.effectivePermissions).toBe(REGION_PERM_READ);
    expect(refusal(() => h.write(0, Uint8Array.of(2)))).toBe("permission-denied");
    expect(h.read(0, 1)).toEqual(Uint8Array.of(1));
  });
});

describe("unmap and reference counting", () => {
  it("refuses use after unmap, through every handle, and frees the slots", () => {
    const host = new HostMemory();
    const dev = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const region = host.allocateRegion(3 * CHUNK, CHUNK);
    const m = dev.map(region);
    const h1 = m.handle();
    const h2 = RegionHandle.fromDescriptor(h1.toDescriptor());
    expect(dev.allocatedChunks).toBe(3);
    expect(dev.chunksHeldBy(m)).toBe(3);
    expect(dev.unmap(m)).toBe(0);
    expect(dev.allocatedChunks).toBe(0);
    expect(dev.chunksHeldBy(m)).toBe(0);
    expect(h1.isValid).toBe(false);
    expect(refusal(() => h1.read(0, 1))).toBe("unmapped");
    expect(refusal(() => h2.write(0, Uint8Array.of(1)))).toBe("unmapped");
    expect(refusal(() => m.handle())).toBe("unmapped");
    expect(refusal(() => dev.unmap(m))).toBe("already-unmapped");
  });

  it("the region knows its mappings; the host frees it only when nobody refers to it", () => {
    const host = new HostMemory({ capacityBytes: 4 * CHUNK });
    const a = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const b = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const region = host.allocateRegion(2 * CHUNK, CHUNK);
    const ma = a.map(region);
    const mb = b.map(region);
    expect(refusal(() => host.free(region))).toBe("region-in-use");
    expect(a.unmap(ma)).toBe(1);
    expect(host.releaseIfUnreferenced(region)).toBe(false);
    expect(region.mappings).toEqual([mb]);
    expect(b.unmap(mb)).toBe(0);
    expect(host.releaseIfUnreferenced(region)).toBe(true);
    expect(region.isFreed).toBe(true);
    expect(host.usedBytes).toBe(0);
    expect(refusal(() => region.buffer)).toBe("region-freed");
    expect(refusal(() => a.map(region))).toBe("region-freed");
    expect(refusal(() => host.free(region))).toBe("region-freed");
  });

  it("unmapAll returns the regions so the host can release them", () => {
    const host = new HostMemory();
    const dev = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const r1 = host.allocateRegion(CHUNK, CHUNK);
    const r2 = host.allocateRegion(2 * CHUNK, CHUNK);
    dev.map(r1);
    dev.map(r2);
    const released = dev.unmapAll().filter((r) => host.releaseIfUnreferenced(r));
    expect(released).toEqual([r1, r2]);
    expect(dev.allocatedChunks).toBe(0);
    expect(host.regionCount).toBe(0);
  });

  it("refuses foreign mappings and regions", () => {
    const host = new HostMemory();
    const other = new HostMemory();
    const a = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const b = new DeviceMemory({ chunkCount: 8, chunkSize: CHUNK });
    const region = host.allocateRegion(CHUNK, CHUNK);
    const ma = a.map(region);
    expect(refusal(() => b.unmap(ma))).toBe("foreign-mapping");
    expect(refusal(() => a.map(region))).toBe("already-mapped");
    expect(refusal(() => other.free(region))).toBe("foreign-region");
    expect(ma.isMapped).toBe(true);
  });
});

describe("allocation of host memory and device slots", () => {
  it("regions are zeroed when allocated, even after a previous region was written and freed", () => {
    const host = new HostMemory({ capacityBytes: CHUNK });
    const dev = new DeviceMemory({ chunkCount: 4, chunkSize: CHUNK });
    const first = host.allocateRegion(CHUNK, CHUNK);
    const m = dev.map(first);
    m.handle().write(0, new Uint8Array(CHUNK).fill(0xab));
    dev.unmap(m);
    host.free(first);
    const second = host.allocateRegion(CHUNK, CHUNK);
    expect(dev.map(second).handle().read(0, CHUNK)).toEqual(new Uint8Array(CHUNK));
  });

  it("a size below one chunk still occupies one chunk", () => {
    const host = new HostMemory();
    const region = host.allocateRegion(1, CHUNK);
    expect(region.chunkCount).toBe(1);
    expect(region.byteLength).toBe(CHUNK);
    expect(host.usedBytes).toBe(CHUNK);
  });

  it("refuses host memory beyond capacity (ENOMEM) and device slots beyond the free ones (ENOSPEC), changing nothing", () => {
    const host = new HostMemory({ capacityBytes: 5 * CHUNK });
    const dev = new DeviceMemory({ chunkCount: 4, chunkSize: CHUNK });
    const small = host.allocateRegion(3 * CHUNK, CHUNK);
    expect(refusal(() => host.allocateRegion(2 * CHUNK + 1, CHUNK))).toBe("host-memory-exhausted");
    expect(host.usedBytes).toBe(3 * CHUNK);
    const big = host.allocateRegion(2 * CHUNK, CHUNK);
    dev.map(small);
    expect(refusal(() => dev.map(big))).toBe("insufficient-chunks");
    expect(dev.allocatedChunks).toBe(3);
    expect(big.refCount).toBe(0);
  });

  it("refuses bad geometry and sizes", () => {
    const host = new HostMemory();
    expect(refusal(() => host.allocateRegion(0, CHUNK))).toBe("invalid-size");
    expect(refusal(() => host.allocateRegion(1.5, CHUNK))).toBe("invalid-size");
    expect(refusal(() => host.allocateRegion(Number.MAX_SAFE_INTEGER, 2 ** 30))).toBe("host-memory-exhausted");
    expect(refusal(() => host.allocateRegion(10, 3000))).toBe("invalid-geometry");
    expect(refusal(() => new DeviceMemory({ chunkCount: 0, chunkSize: CHUNK }))).toBe("invalid-geometry");
    expect(refusal(() => new DeviceMemory({ chunkCount: 8, chunkSize: 3 }))).toBe("invalid-geometry");
    expect(refusal(() => new SharedRegion({ id: 1, size: 2 ** 52, chunkSize: 2 ** 30 }))).toBe("host-memory-exhausted");
    expect(refusal(() => new HostMemory({ capacityBytes: -1 }))).toBe("invalid-size");
    const dev = new DeviceMemory({ chunkCount: 8, chunkSize: 8192 });
    expect(refusal(() => dev.map(host.allocateRegion(10, CHUNK)))).toBe("chunk-size-mismatch");
    expect(refusal(() => dev.map(host.allocateRegion(10, 8192), 8))).toBe("invalid-permissions");
  });
});

describe("handle descriptors", () => {
  function handle() {
    const host = new HostMemory();
    const dev = new DeviceMemory({ chunkCount: 16, chunkSize: CHUNK });
    return dev.map(host.allocateRegion(2 * CHUNK, CHUNK)).handle();
  }

  it("round-trips through structuredClone and shares the memory", () => {
    const h = handle();
    const copy = RegionHandle.fromDescriptor(structuredClone(h.toDescriptor()));
    copy.write(10, Uint8Array.of(42));
    expect(h.read(10, 1)).toEqual(Uint8Array.of(42));
  });

  const tamper: [string, (d: Record<string, unknown>) => void][] = [
    ["wrong kind", (d) => (d.kind = "x")],
    ["non-shared region buffer", (d) => (d.regionBuffer = new ArrayBuffer(2 * CHUNK))],
    ["region buffer too small", (d) => (d.regionBuffer = new SharedArrayBuffer(CHUNK))],
    ["chunk size not a power of two", (d) => (d.chunkSize = 3000)],
    ["slot past the device", (d) => (d.chunkSlots = Uint32Array.of(0, 16))],
    ["slots not ascending", (d) => (d.chunkSlots = Uint32Array.of(1, 1))],
    ["wrong number of slots", (d) => (d.chunkSlots = Uint32Array.of(0))],
    ["bad permissions", (d) => (d.permissions = 9)],
    ["control block too small", (d) => (d.control = new SharedArrayBuffer(4))],
    ["device size not whole chunks", (d) => (d.deviceByteLength = 100)],
    ["region size zero", (d) => (d.regionSize = 0)],
  ];
  it.each(tamper)("refuses a descriptor with %s", (_, mutate) => {
    const d = { ...handle().toDescriptor() } as unknown as Record<string, unknown>;
    mutate(d);
    expect(refusal(() => RegionHandle.fromDescriptor(d))).toBe("invalid-descriptor");
  });

  it("refuses non-objects", () => {
    expect(refusal(() => RegionHandle.fromDescriptor(null))).toBe("invalid-descriptor");
    expect(refusal(() => RegionHandle.fromDescriptor("handle"))).toBe("invalid-descriptor");
  });
});
