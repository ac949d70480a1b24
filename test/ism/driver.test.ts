/**
 * The ISM driver library against the real device model, in one thread (IsmLocalHost): feature negotiation,
 * every control command through the controlq with the generated codecs, acks as typed errors, events, region
 * handles (checked access, raw views, kicks, bound vectors), lent buffers without DEV_MEM, and the E2BIG retry.
 */
import { describe, expect, it } from "vitest";
import {
  DEV_MEM_FEATURE,
  IsmAckError,
  IsmDriver,
  IsmDriverError,
  hasPackedRing,
  negotiateFeatures,
  RING_PACKED_FEATURE,
} from "../../runtime/ism/driver/index.js";
import type { IsmDriverEvent, IsmPeerNotice } from "../../runtime/ism/driver/index.js";
import { IsmLocalHost } from "../../runtime/ism/guest/index.js";
import { currentRingLayout, localDomain, record, settle } from "./driver-helpers.js";

const R = 1;
const W = 2;
const A = 4;
const M = 8;

/** @returns the error `promise` rejects with (fails the test if it resolves) */
async function rejection(promise: Promise<unknown>): Promise<IsmDriverError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IsmDriverError);
    return error as IsmDriverError;
  }
  throw new Error("expected a rejection");
}

function thrown(action: () => unknown): IsmDriverError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(IsmDriverError);
    return error as IsmDriverError;
  }
  throw new Error("expected a throw");
}

const VIRTIO_F_VERSION_1_TEST = 1n << 32n;

describe("feature negotiation", () => {
  it("takes DEV_MEM when offered and preferred, never a bit it does not know", () => {
    expect(negotiateFeatures(DEV_MEM_FEATURE | (1n << 32n) | (1n << 40n))).toBe(DEV_MEM_FEATURE | (1n << 32n));
    expect(negotiateFeatures(DEV_MEM_FEATURE, "refuse")).toBe(0n);
    expect(negotiateFeatures(0n, "prefer")).toBe(0n);
  });

  it("fails when DEV_MEM is required but not offered, and rejects nonsense offers", () => {
    expect(thrown(() => negotiateFeatures(0n, "require")).reason).toBe("feature-unsupported");
    expect(thrown(() => negotiateFeatures(-1n)).reason).toBe("invalid-argument");
    expect(thrown(() => negotiateFeatures(1n << 64n)).reason).toBe("invalid-argument");
  });

  it("opens a device that does not offer DEV_MEM in lent-buffer mode, and the device agrees", async () => {
    const { guests, drivers } = await localDomain(1, { guest: { offerDevMem: false } });
    expect(drivers[0]!.devMem).toBe(false);
    expect(guests[0]!.core.devMem).toBe(false);
  });

  it("renegotiates the device when the driver refuses DEV_MEM", async () => {
    const { guests, drivers } = await localDomain(1, { driver: { devMem: "refuse" } });
    expect(drivers[0]!.devMem).toBe(false);
    expect(guests[0]!.core.devMem).toBe(false);
  });

  it("takes VIRTIO_F_RING_PACKED when offered (the layout this file runs on), split when asked", async () => {
    const { guests, drivers } = await localDomain(1);
    const packed = currentRingLayout() === "packed";
    expect(hasPackedRing(guests[0]!.deviceFeatures)).toBe(packed);
    expect(hasPackedRing(drivers[0]!.features)).toBe(packed);
    expect(negotiateFeatures(VIRTIO_F_VERSION_1_TEST | RING_PACKED_FEATURE, "prefer", "split") & RING_PACKED_FEATURE).toBe(0n);
    expect(negotiateFeatures(VIRTIO_F_VERSION_1_TEST | RING_PACKED_FEATURE) & RING_PACKED_FEATURE).toBe(RING_PACKED_FEATURE);
    // A packed-capable device still serves a driver that insists on split rings.
    const split = await localDomain(2, { guest: { offerPackedRing: true }, driver: { ring: "split" } });
    const region = await split.drivers[0]!.alloc(4096);
    await split.drivers[0]!.grant(region.token, { read: true, attach: true });
    const attached = await split.drivers[1]!.attach(region.token, { read: true });
    expect(attached.token).toBe(region.token);
    expect(hasPackedRing(split.drivers[0]!.features)).toBe(false);
  });

  it("reads devid, chunk size and notify size from the config space", async () => {
    const { guests, drivers } = await localDomain(1);
    expect(drivers[0]!.devid).toBe(guests[0]!.core.devid);
    expect(drivers[0]!.chunkSize).toBe(4096);
    expect(drivers[0]!.notifySize).toBe(guests[0]!.core.config.notifySize);
  });

  it("refuses a config space no device may report", async () => {
    const host = new IsmLocalHost();
    const guest = host.addGuest();
    const bad = Object.create(guest) as typeof guest;
    const bytes = guest.readConfig();
    new DataView(bytes.buffer).setBigUint64(24, 3000n, true); // chunk_size not a power of two
    bad.readConfig = () => bytes;
    expect((await rejection(IsmDriver.open(bad))).reason).toBe("bad-config");
  });
});

describe("control commands", () => {
  it("allocates: token, chunk offsets, notify address of the first chunk's slot, read-write access", async () => {
    const { guests, drivers } = await localDomain(1);
    const first = await drivers[0]!.alloc(100);
    const region = await drivers[0]!.alloc(3 * 4096 + 1);
    expect(region.token).not.toBe(0n);
    expect(region.size).toBe(3 * 4096 + 1);
    expect(region.chunks).toEqual([4096, 8192, 12288, 16384]);
    expect(region.offset).toBe(4096);
    expect(region.notifyOffset).toBe(1 * drivers[0]!.notifySize);
    expect(region.access).toEqual({ read: true, write: true });
    expect(region.allocatedHere).toBe(true);
    expect(first.chunks).toEqual([0]);
    expect(guests[0]!.core.attachedRegions().map((r) => r.token)).toEqual([first.token, region.token]);
  });

  it("attaches a peer at its own offsets; the allocator gets ATTACH with the peer count", async () => {
    const { drivers } = await localDomain(2);
    const [a, b] = drivers as [IsmDriver, IsmDriver];
    await b.alloc(2 * 4096); // B's first two slots are taken: the shared region lands elsewhere in B
    const events = record(a);
    const region = await a.alloc(4096);
    const peer = await b.attach(region.token);
    await settle();
    expect(region.offset).toBe(0);
    expect(peer.offset).toBe(2 * 4096);
    expect(peer.allocatedHere).toBe(false);
    expect(events).toHaveLength(1);
    const e = events[0]! as IsmPeerNotice;
    expect(e).toMatchObject({ type: "ATTACH", offset: 0, devid: b.devid, peers: 1 });
    expect(e.region).toBe(region);
    expect(region.peers).toBe(1);
  });

  it("queries size and this device's permissions", async () => {
    const { drivers } = await localDomain(2);
    const region = await drivers[0]!.alloc(5000);
    const own = await drivers[0]!.query(region.token);
    const peer = await drivers[1]!.query(region.token);
    expect(own).toEqual({ size: 5000, permissionBits: R | W | A | M, permissions: { read: true, write: true, attach: true, manage: true } });
    expect(peer.permissionBits).toBe(R | W | A);
  });

  it("turns refusals into IsmAckError with the generated ack name", async () => {
    const { drivers } = await localDomain(2, { guest: { chunkCount: 4 } });
    const [a, b] = drivers as [IsmDriver, IsmDriver];
    const unknown = await rejection(b.attach(0x1234n));
    expect(unknown).toBeInstanceOf(IsmAckError);
    expect(unknown).toMatchObject({ reason: "ack", ackName: "VIRTIO_ISM_ENOENT", ack: 2, command: "VIRTIO_ISM_CTRL_ATTACH_REGION" });
    expect(((await rejection(a.alloc(5 * 4096))) as IsmAckError).ackName).toBe("VIRTIO_ISM_ENOSPEC");
    expect(((await rejection(a.detach(0x99n))) as IsmAckError).ackName).toBe("VIRTIO_ISM_ENOENT");
    const region = await a.alloc(10);
    expect(((await rejection(b.grant(region.token, 0))) as IsmAckError).ackName).toBe("VIRTIO_ISM_ENOENT");
    expect(((await rejection(a.attach(region.token))) as IsmAckError).ackName).toBe("VIRTIO_ISM_ERR");
  });

  it("reports host memory exhaustion as VIRTIO_ISM_ENOMEM", async () => {
    const { drivers } = await localDomain(1, { host: { hostMemoryCapacity: 8192 } });
    await drivers[0]!.alloc(8192);
    expect(((await rejection(drivers[0]!.alloc(1))) as IsmAckError).ackName).toBe("VIRTIO_ISM_ENOMEM");
  });

  it("rejects arguments that cannot be valid before anything reaches the device", async () => {
    const { guests, drivers } = await localDomain(1);
    const d = drivers[0]!;
    const before = guests[0]!.core.stats.requests;
    for (const p of [d.alloc(0), d.alloc(1.5), d.alloc(-1), d.attach(0n), d.query(-3n), d.grant(1n, 64), d.grantDevice(1n, 0n, R), d.bindVector(1n, 1), d.bindVector(1n, 64)]) {
      expect((await rejection(p)).reason).toBe("invalid-argument");
    }
    expect(guests[0]!.core.stats.requests).toBe(before);
  });

  it("retries an attach answered E2BIG with the num the device reported", async () => {
    const { drivers } = await localDomain(2, { driver: { attachReplyChunks: 1 } });
    const region = await drivers[0]!.alloc(5 * 4096);
    const peer = await drivers[1]!.attach(region.token);
    expect(peer.chunks).toHaveLength(5);
    expect(drivers[1]!.stats.e2bigRetries).toBe(1);
  });

  it("keeps several requests in flight and completes each with its own reply", async () => {
    const { guests, drivers } = await localDomain(1, { driver: { controlQueueSize: 4 } });
    // 4 descriptors = 2 chains on the ring at once; the rest waits in the backlog.
    const regions = await Promise.all(Array.from({ length: 9 }, (_, i) => drivers[0]!.alloc(4096 * (1 + (i % 3)))));
    expect(new Set(regions.map((r) => r.token)).size).toBe(9);
    expect(regions.map((r) => r.chunks.length)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(guests[0]!.core.memory.allocatedChunks).toBe(18);
  });
});

describe("permissions", () => {
  it("dedicated grants: read-only peer is refused read-write attach (PERM_EWRITE), attaches read-only, cannot write", async () => {
    const { drivers } = await localDomain(3);
    const [a, b, c] = drivers as [IsmDriver, IsmDriver, IsmDriver];
    const region = await a.alloc(4096);
    await a.grant(region.token, 0);
    await a.grantDevice(region.token, b.devid, { read: true, write: true, attach: true });
    await a.grantDevice(region.token, c.devid, { read: true, attach: true });
    region.write(0, new TextEncoder().encode("hello"));
    const e = (await rejection(c.attach(region.token))) as IsmAckError;
    expect(e.ackName).toBe("VIRTIO_ISM_PERM_EWRITE");
    const ro = await c.attach(region.token, { read: true });
    expect(ro.access).toEqual({ read: true, write: false });
    expect(new TextDecoder().decode(ro.read(0, 5))).toBe("hello");
    expect(thrown(() => ro.write(0, new Uint8Array([1]))).reason).toBe("permission-denied");
    expect(thrown(() => ro.views()).reason).toBe("permission-denied");
    expect(region.read(0, 1)[0]).toBe("h".charCodeAt(0));
    const rw = await b.attach(region.token);
    rw.write(0, new Uint8Array([42]));
    expect(ro.read(0, 1)[0]).toBe(42);
  });

  it("a peer without ATTACH permission is refused with PERM_EATTACH", async () => {
    const { drivers } = await localDomain(2);
    const region = await drivers[0]!.alloc(10);
    await drivers[0]!.grant(region.token, R | W);
    expect(((await rejection(drivers[1]!.attach(region.token))) as IsmAckError).ackName).toBe("VIRTIO_ISM_PERM_EATTACH");
  });

  it("a grant reaches live mappings: WRITE taken away and given back", async () => {
    const { drivers } = await localDomain(2);
    const [a, b] = drivers as [IsmDriver, IsmDriver];
    const region = await a.alloc(64);
    const peer = await b.attach(region.token);
    await a.grantDevice(region.token, b.devid, R | A);
    expect(peer.access).toEqual({ read: true, write: false });
    expect(thrown(() => peer.write(0, new Uint8Array([1]))).reason).toBe("permission-denied");
    await a.grantDevice(region.token, b.devid, R | W | A);
    peer.write(0, new Uint8Array([7]));
    expect(region.read(0, 1)[0]).toBe(7);
  });

  it("checked accesses stop at the region's size", async () => {
    const { drivers } = await localDomain(1);
    const region = await drivers[0]!.alloc(100);
    expect(thrown(() => region.write(99, new Uint8Array(2))).reason).toBe("out-of-bounds");
    expect(thrown(() => region.read(100, 1)).reason).toBe("out-of-bounds");
    expect(thrown(() => region.read(-1, 1)).reason).toBe("invalid-argument");
    expect(region.read(99, 1)).toHaveLength(1);
  });
});

describe("events, kicks and vectors", () => {
  it("a kick reaches every other referrer as UPDATE from the kicker, not the kicker itself", async () => {
    const { drivers } = await localDomain(3);
    const [a, b, c] = drivers as [IsmDriver, IsmDriver, IsmDriver];
    const region = await a.alloc(4096);
    const rb = await b.attach(region.token);
    const rc = await c.attach(region.token);
    await settle();
    const [ea, eb, ec] = [record(a), record(b), record(c)];
    const stream = rc.events();
    rb.kick();
    await settle();
    expect(eb).toEqual([]);
    expect(ea).toMatchObject([{ type: "UPDATE", from: b.devid, offset: region.offset }]);
    expect((ea[0] as { region: unknown }).region).toBe(region);
    expect(ec).toMatchObject([{ type: "UPDATE", from: b.devid, offset: rc.offset }]);
    const next = await stream.next();
    expect(next.value).toMatchObject({ type: "UPDATE", from: b.devid });
    expect((next.value as { region: unknown }).region).toBe(rc);
    stream.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it("region handles: on, once and off listeners", async () => {
    const { drivers } = await localDomain(2);
    const [a, b] = drivers as [IsmDriver, IsmDriver];
    const region = await a.alloc(64);
    const peer = await b.attach(region.token);
    await settle();
    const every: unknown[] = [];
    const first: unknown[] = [];
    const removed: unknown[] = [];
    const drop = (e: unknown): void => void removed.push(e);
    peer.on("UPDATE", (e) => every.push(e.from)).once("UPDATE", (e) => first.push(e.from)).on("UPDATE", drop).off("UPDATE", drop);
    region.kick();
    await settle();
    region.kick();
    await settle();
    expect(every).toEqual([a.devid, a.devid]);
    expect(first).toEqual([a.devid]);
    expect(removed).toEqual([]);
  });

  it("a bound vector takes the UPDATEs off the eventq and counts kicks", async () => {
    const { drivers } = await localDomain(2);
    const [a, b] = drivers as [IsmDriver, IsmDriver];
    const region = await a.alloc(64);
    const peer = await b.attach(region.token);
    await b.bindVector(region.token, 5);
    expect(peer.vector).toBe(5);
    const before = peer.kickCounter();
    const events = record(b);
    region.kick();
    region.kick();
    await settle();
    expect(peer.kickCounter() - before).toBe(2);
    expect(peer.waitForKick(before, { timeoutMs: 0 }).outcome).toBe("rung");
    // The driver reports bound-vector kicks too, without a kicker (the vector carries no payload).
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.every((e) => e.type === "UPDATE" && e.from === undefined && e.region === peer)).toBe(true);
    await b.bindVector(region.token, null);
    const routed = record(b);
    region.kick();
    await settle();
    expect(routed).toHaveLength(1);
    expect(routed[0]).toMatchObject({ type: "UPDATE", from: a.devid });
    expect(thrown(() => peer.kickCounter()).reason).toBe("invalid-argument");
  });

  it("detach: peers get DETACH with the count left, the handle stops working", async () => {
    const { host, drivers } = await localDomain(3);
    const [a, b, c] = drivers as [IsmDriver, IsmDriver, IsmDriver];
    const region = await a.alloc(4096);
    const rb = await b.attach(region.token);
    await c.attach(region.token);
    await settle();
    const ea = record(a);
    const eb = record(b);
    await c.detach(region.token);
    await settle();
    expect(ea).toMatchObject([{ type: "DETACH", devid: c.devid, peers: 1 }]);
    expect(eb).toMatchObject([{ type: "DETACH", devid: c.devid, peers: 1 }]);
    await region.detach();
    expect(region.attached).toBe(false);
    expect(a.region(region.token)).toBeUndefined();
    expect(thrown(() => region.read(0, 1)).reason).toBe("detached");
    expect(thrown(() => region.kick()).reason).toBe("detached");
    await settle();
    expect(rb.peers).toBe(0);
    expect(host.domain.regions()).toHaveLength(1);
    await rb.detach();
    expect(host.domain.regions()).toHaveLength(0);
    expect(host.domain.hostMemory.usedBytes).toBe(0);
  });

  it("raw views share the bytes with every mapping", async () => {
    const { drivers } = await localDomain(2);
    const region = await drivers[0]!.alloc(4096 * 2 + 8);
    const peer = await drivers[1]!.attach(region.token);
    const v = region.views();
    expect(v.bytes.length).toBe(4096 * 2 + 8);
    expect(v.words.length).toBe((4096 * 2 + 8) / 4);
    Atomics.store(v.words, 2049, 0x01020304);
    v.data.setUint16(10, 0xbeef, true);
    expect([...peer.read(8196, 4)]).toEqual([4, 3, 2, 1]);
    expect([...peer.read(10, 2)]).toEqual([0xef, 0xbe]);
  });
});

describe("lent buffers (no VIRTIO_ISM_F_DEV_MEM)", () => {
  it("lends guest memory for alloc and attach and gets every byte back", async () => {
    const { host, drivers } = await localDomain(2, { guest: { offerDevMem: false } });
    const [a, b] = drivers as [IsmDriver, IsmDriver];
    const baseA = a.memory.poolUsedBytes;
    const baseB = b.memory.poolUsedBytes;
    const region = await a.alloc(10_000);
    expect(a.memory.poolUsedBytes - baseA).toBe(10_000);
    expect(a.memory.lentBuffers).toBe(1);
    const peer = await b.attach(region.token);
    expect(b.memory.poolUsedBytes - baseB).toBe(10_000);
    peer.write(0, new Uint8Array([9]));
    expect(region.read(0, 1)[0]).toBe(9);
    await peer.detach();
    expect(b.memory.poolUsedBytes).toBe(baseB);
    const freed = new Promise<IsmDriverEvent>((resolve) => a.once("BUFFER_FREE", resolve));
    await region.detach();
    const e = await freed;
    expect(e).toMatchObject({ type: "BUFFER_FREE", known: true });
    expect(a.memory.poolUsedBytes).toBe(baseA);
    expect(a.memory.lentBuffers).toBe(0);
    expect(host.domain.lentMemory.usedBytes).toBe(0);
  });

  it("a failed alloc returns its lent buffer at once", async () => {
    const { drivers } = await localDomain(1, { guest: { offerDevMem: false, chunkCount: 2 } });
    const base = drivers[0]!.memory.poolUsedBytes;
    expect(((await rejection(drivers[0]!.alloc(3 * 4096))) as IsmAckError).ackName).toBe("VIRTIO_ISM_ENOSPEC");
    expect(drivers[0]!.memory.poolUsedBytes).toBe(base);
  });

  it("refuses an alloc that cannot be lent from guest memory", async () => {
    const { drivers } = await localDomain(1, { guest: { offerDevMem: false, chunkCount: 1024, memoryBytes: 64 * 1024 } });
    expect((await rejection(drivers[0]!.alloc(1 << 20))).reason).toBe("out-of-memory");
  });
});

describe("lifecycle", () => {
  it("close rejects later requests and ends streams", async () => {
    const { drivers } = await localDomain(1);
    const d = drivers[0]!;
    const stream = d.events();
    const pending = stream.next();
    await d.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect((await rejection(d.alloc(1))).reason).toBe("closed");
  });

  it("a handle whose device was reset reports itself detached", async () => {
    const { host, guests, drivers } = await localDomain(2);
    const region = await drivers[0]!.alloc(64);
    const peer = await drivers[1]!.attach(region.token);
    host.removeGuest(guests[0]!);
    expect(region.attached).toBe(false);
    expect(thrown(() => region.write(0, new Uint8Array(1))).reason).toBe("detached");
    expect(peer.attached).toBe(true);
  });
});
