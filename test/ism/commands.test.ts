/**
 * Every command of the ISM device core and every ack the spec defines, with the decisions of
 * spec/ism-decisions.md: ack precedence, what E2BIG leaves behind, offsets per receiving device, peers
 * counts, BUFFER_FREE, interrupt vectors, kicks, resets.
 */
import { describe, expect, it } from "vitest";
import {
  ISM_ACK_VALUES,
  IsmDomain,
  VIRTIO_ISM_E2BIG,
  VIRTIO_ISM_ENOENT,
  VIRTIO_ISM_ENOMEM,
  VIRTIO_ISM_ENOSPEC,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_OK,
  VIRTIO_ISM_PERM_ATTACH,
  VIRTIO_ISM_PERM_EATTACH,
  VIRTIO_ISM_PERM_EREAD,
  VIRTIO_ISM_PERM_EWRITE,
  VIRTIO_ISM_PERM_MANAGE,
  VIRTIO_ISM_PERM_READ,
  VIRTIO_ISM_PERM_WRITE,
  decodeAllocReply,
  decodeAttachReply,
  encodeRequest,
  newCommandSink,
} from "../../runtime/ism/index.js";
import type { IsmExecution } from "../../runtime/ism/index.js";
import { IsmDeviceBase } from "../../generated/ism/index.js";
import { LENT_BUFFER, alloc, allocToken, attach, detach, domainWith, eventVector, exec, grantDefault, grantDevice, query } from "./helpers.js";

const R = VIRTIO_ISM_PERM_READ;
const W = VIRTIO_ISM_PERM_WRITE;
const A = VIRTIO_ISM_PERM_ATTACH;
const M = VIRTIO_ISM_PERM_MANAGE;

/** Acks seen by this file, to show that every ack the spec defines is produced. */
const seen = new Set<number>();
function ack(r: IsmExecution): number {
  seen.add(r.ack);
  return r.ack;
}

describe("ALLOC", () => {
  it("maps fresh chunks lowest first, reports their offsets and a fresh token", () => {
    const { domain, devices: [a] } = domainWith(1);
    const r = alloc(a!, 130); // 64-byte chunks: 3 chunks
    expect(ack(r)).toBe(VIRTIO_ISM_OK);
    expect(r.decoded).toMatchObject({ num: 3, chunks: [0, 64, 128] });
    expect(r.decoded!.token).not.toBe(0n);
    expect(domain.wasIssued(r.decoded!.token)).toBe(true);
    expect(a!.memory.allocatedChunks).toBe(3);
    expect(domain.hostMemory.usedBytes).toBe(3 * 64);
    expect(r.events).toEqual([]);
  });

  it("a size below one chunk still takes one chunk; size 0 is ERR", () => {
    const { devices: [a] } = domainWith(1);
    expect(alloc(a!, 1).decoded).toMatchObject({ num: 1 });
    expect(ack(alloc(a!, 0))).toBe(VIRTIO_ISM_ERR);
  });

  it("ENOSPEC when the device memory lacks free chunk slots; nothing is taken", () => {
    const { domain, devices: [a] } = domainWith(1, 4);
    allocToken(a!, 3 * 64);
    expect(ack(alloc(a!, 2 * 64))).toBe(VIRTIO_ISM_ENOSPEC);
    expect(ack(alloc(a!, 2n ** 64n - 1n))).toBe(VIRTIO_ISM_ENOSPEC);
    expect(a!.memory.allocatedChunks).toBe(3);
    expect(domain.regions()).toHaveLength(1);
  });

  it("ENOMEM when the host memory capacity is reached; no token is issued", () => {
    const { domain, devices: [a] } = domainWith(1, 16, { hostMemoryCapacity: 4 * 64 });
    allocToken(a!, 3 * 64);
    const issued = domain.issuedTokenCount;
    expect(ack(alloc(a!, 2 * 64))).toBe(VIRTIO_ISM_ENOMEM);
    expect(domain.issuedTokenCount).toBe(issued);
    expect(a!.memory.allocatedChunks).toBe(3);
  });

  it("E2BIG when the reply cannot hold num chunks: nothing allocated, num reported when the fixed part fits", () => {
    const { domain, devices: [a] } = domainWith(1);
    const r = alloc(a!, 5 * 64, 16 + 4 * 8);
    expect(ack(r)).toBe(VIRTIO_ISM_E2BIG);
    expect(decodeAllocReply(r.reply)).toEqual({ token: 0n, num: 5, chunks: [] });
    expect(domain.regions()).toHaveLength(0);
    expect(domain.issuedTokenCount).toBe(0);
    expect(a!.memory.allocatedChunks).toBe(0);
    expect(alloc(a!, 5 * 64, 15)).toMatchObject({ ack: VIRTIO_ISM_E2BIG, reply: new Uint8Array(0) });
    expect(alloc(a!, 5 * 64, 16 + 5 * 8).ack).toBe(VIRTIO_ISM_OK);
  });

  it("ENOSPEC takes precedence over E2BIG, and E2BIG over ENOMEM", () => {
    const { devices: [a] } = domainWith(1, 4, { hostMemoryCapacity: 64 });
    expect(alloc(a!, 5 * 64, 0).ack).toBe(VIRTIO_ISM_ENOSPEC);
    expect(alloc(a!, 2 * 64, 16).ack).toBe(VIRTIO_ISM_E2BIG);
    expect(alloc(a!, 2 * 64).ack).toBe(VIRTIO_ISM_ENOMEM);
  });

  it("the region is cleared before the driver sees it, also after a region with data was freed", () => {
    const { devices: [a] } = domainWith(1, 2);
    const t1 = allocToken(a!, 128);
    a!.regionHandle(t1)!.writeRegion(0, new Uint8Array(128).fill(0xa5));
    detach(a!, t1);
    const t2 = allocToken(a!, 128);
    expect(a!.regionHandle(t2)!.readRegion(0, 128)).toEqual(new Uint8Array(128));
  });

  it("without DEV_MEM a buffer is required and may not wrap past 2^64", () => {
    const { devices: [a] } = domainWith(1, 16, { devMem: false });
    expect(ack(alloc(a!, 64, undefined, 0n))).toBe(VIRTIO_ISM_ERR);
    expect(alloc(a!, 64, undefined, 2n ** 64n - 8n).ack).toBe(VIRTIO_ISM_ERR);
    expect(alloc(a!, 64, undefined, LENT_BUFFER).ack).toBe(VIRTIO_ISM_OK);
  });
});

describe("QUERY", () => {
  it("reports size and the querying device's own permissions, attached or not", () => {
    const { devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 100);
    expect(query(a!, t).decoded).toEqual({ size: 100, permissions: R | W | A | M });
    const rb = query(b!, t);
    expect(ack(rb)).toBe(VIRTIO_ISM_OK);
    expect(rb.decoded).toEqual({ size: 100, permissions: R | W | A });
  });

  it("ENOENT for an unknown or freed token; E2BIG for a reply buffer under 16 bytes", () => {
    const { devices: [a] } = domainWith(1);
    expect(ack(query(a!, 12345n))).toBe(VIRTIO_ISM_ENOENT);
    const t = allocToken(a!, 10);
    expect(query(a!, t, 15).ack).toBe(VIRTIO_ISM_E2BIG);
    detach(a!, t);
    expect(query(a!, t).ack).toBe(VIRTIO_ISM_ENOENT);
  });
});

describe("ATTACH", () => {
  it("maps the region into the attaching device's own free slots: different offsets, same bytes", () => {
    const { devices: [a, b] } = domainWith(2);
    allocToken(b!, 2 * 64); // B's slots 0-1 in use
    const t = allocToken(a!, 3 * 64);
    const r = attach(b!, t, R | W);
    expect(ack(r)).toBe(VIRTIO_ISM_OK);
    expect(r.decoded).toEqual({ size: 192, num: 3, chunks: [128, 192, 256] });
    a!.regionHandle(t)!.write(64, Uint8Array.of(42));
    expect(b!.regionHandle(t)!.read(192, 1)).toEqual(Uint8Array.of(42));
  });

  it("sends ATTACH to every other referrer with its own offset and the peers count", () => {
    const { devices: [a, b, c] } = domainWith(3);
    allocToken(b!, 64);
    const t = allocToken(a!, 64);
    attach(b!, t, R);
    const r = attach(c!, t, R);
    expect(r.events).toEqual([
      { to: a!.devid, route: { kind: "eventq" }, event: { kind: "attach", offset: 0, devid: c!.devid, peers: 2 } },
      { to: b!.devid, route: { kind: "eventq" }, event: { kind: "attach", offset: 64, devid: c!.devid, peers: 2 } },
    ]);
  });

  it("ENOENT for unknown tokens, ENOSPEC without free slots, ERR when already attached", () => {
    const { devices: [a, b] } = domainWith(2, 4);
    expect(ack(attach(b!, 999n))).toBe(VIRTIO_ISM_ENOENT);
    const t = allocToken(a!, 3 * 64);
    allocToken(b!, 2 * 64);
    expect(ack(attach(b!, t))).toBe(VIRTIO_ISM_ENOSPEC);
    expect(attach(a!, t).ack).toBe(VIRTIO_ISM_ERR);
    expect(attach(a!, t).events).toEqual([]);
  });

  it("PERM_EATTACH, PERM_EREAD, PERM_EWRITE in that order; rw_perm with other bits is ERR", () => {
    const { devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 64);
    grantDefault(a!, t, 0);
    expect(ack(attach(b!, t, R | W))).toBe(VIRTIO_ISM_PERM_EATTACH);
    grantDefault(a!, t, A | W);
    expect(ack(attach(b!, t, R | W))).toBe(VIRTIO_ISM_PERM_EREAD);
    grantDefault(a!, t, A | R);
    expect(ack(attach(b!, t, R | W))).toBe(VIRTIO_ISM_PERM_EWRITE);
    expect(attach(b!, t, 4).ack).toBe(VIRTIO_ISM_ERR);
    expect(attach(b!, t, R).ack).toBe(VIRTIO_ISM_OK);
  });

  it("E2BIG reports size and num for the next request and attaches nothing", () => {
    const { devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 300);
    const r = attach(b!, t, R, 16 + 8);
    expect(ack(r)).toBe(VIRTIO_ISM_E2BIG);
    expect(decodeAttachReply(r.reply)).toEqual({ size: 300, num: 5, chunks: [] });
    expect(r.events).toEqual([]);
    expect(b!.attachedRegions()).toEqual([]);
    expect(attach(b!, t, R, 16 + 5 * 8).ack).toBe(VIRTIO_ISM_OK);
  });

  it("a token of another domain is unknown (ENOENT)", () => {
    const one = domainWith(1);
    const two = domainWith(1);
    const t = allocToken(one.devices[0]!, 64);
    expect(attach(two.devices[0]!, t).ack).toBe(VIRTIO_ISM_ENOENT);
    expect(query(two.devices[0]!, t).ack).toBe(VIRTIO_ISM_ENOENT);
  });
});

describe("DETACH", () => {
  it("ENOENT when this device does not refer to the region", () => {
    const { devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 64);
    expect(ack(detach(b!, t))).toBe(VIRTIO_ISM_ENOENT);
    expect(detach(b!, 77n).ack).toBe(VIRTIO_ISM_ENOENT);
  });

  it("sends DETACH with offsets and peers counts; frees memory when nobody is left", () => {
    const { domain, devices: [a, b, c] } = domainWith(3);
    const t = allocToken(a!, 64);
    attach(b!, t, R);
    attach(c!, t, R);
    const handle = b!.regionHandle(t)!;
    const r = detach(b!, t);
    expect(r.events).toEqual([
      { to: a!.devid, route: { kind: "eventq" }, event: { kind: "detach", offset: 0, devid: b!.devid, peers: 1 } },
      { to: c!.devid, route: { kind: "eventq" }, event: { kind: "detach", offset: 0, devid: b!.devid, peers: 1 } },
    ]);
    expect(handle.isValid).toBe(false);
    expect(() => handle.read(0, 1)).toThrow(/unmapped/);
    expect(detach(a!, t).events).toEqual([
      { to: c!.devid, route: { kind: "eventq" }, event: { kind: "detach", offset: 0, devid: a!.devid, peers: 0 } },
    ]);
    expect(domain.region(t)).toBeDefined(); // the allocator left; the region lives on
    expect(detach(c!, t).events).toEqual([]); // DEV_MEM: no BUFFER_FREE
    expect(domain.region(t)).toBeUndefined();
    expect(domain.hostMemory.usedBytes).toBe(0);
    expect(attach(a!, t).ack).toBe(VIRTIO_ISM_ENOENT); // a retired token names nothing
  });

  it("without DEV_MEM the allocating device gets BUFFER_FREE once nobody refers to the region", () => {
    const domain = new IsmDomain({ chunkSize: 64 });
    const a = domain.createDevice({ chunkCount: 8, devMem: false });
    const b = domain.createDevice({ chunkCount: 8, devMem: true });
    const t = allocToken(a, 64);
    attach(b, t, R);
    expect(detach(a, t).events.map((e) => e.event.kind)).toEqual(["detach"]);
    expect(detach(b, t).events).toEqual([{ to: a.devid, route: { kind: "eventq" }, event: { kind: "buffer-free", buffer: LENT_BUFFER } }]);
    expect(domain.lentMemory.usedBytes).toBe(0);
  });

  it("an allocator that detached may attach again and still manage the region", () => {
    const { devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 64);
    attach(b!, t, R);
    detach(a!, t);
    expect(grantDefault(a!, t, R | A).ack).toBe(VIRTIO_ISM_ENOENT); // not attached
    expect(attach(a!, t, R | W).ack).toBe(VIRTIO_ISM_OK);
    expect(grantDefault(a!, t, R | A).ack).toBe(VIRTIO_ISM_OK);
  });
});

describe("GRANT", () => {
  it("ERR without MANAGE, ENOENT when not attached, ERR for unknown bits, CLEAN_DEFAULT or peers", () => {
    const { devices: [a, b, c] } = domainWith(3);
    const t = allocToken(a!, 64);
    expect(ack(grantDefault(b!, t, R))).toBe(VIRTIO_ISM_ENOENT);
    attach(b!, t, R);
    expect(grantDefault(b!, t, R).ack).toBe(VIRTIO_ISM_ERR);
    expect(grantDevice(b!, t, R, c!.devid).ack).toBe(VIRTIO_ISM_ERR);
    expect(grantDefault(a!, t, 1n << 5n).ack).toBe(VIRTIO_ISM_ERR);
    expect(grantDefault(a!, t, 16).ack).toBe(VIRTIO_ISM_ERR);
    expect(grantDevice(a!, t, R, 0n).ack).toBe(VIRTIO_ISM_ERR);
    expect(grantDevice(a!, t, R, 0xdeadn).ack).toBe(VIRTIO_ISM_ERR);
    expect(grantDevice(a!, t, 16 | R | A, c!.devid).ack).toBe(VIRTIO_ISM_OK);
    expect(query(c!, t).decoded!.permissions).toBe(R | A);
  });

  it("a dedicated set replaces the default; MANAGE can be handed on", () => {
    const { devices: [a, b, c] } = domainWith(3);
    const t = allocToken(a!, 64);
    grantDefault(a!, t, R | A);
    grantDevice(a!, t, R | W | A | M, b!.devid);
    expect(query(b!, t).decoded!.permissions).toBe(R | W | A | M);
    expect(query(c!, t).decoded!.permissions).toBe(R | A);
    attach(b!, t, R | W);
    expect(grantDevice(b!, t, A, c!.devid).ack).toBe(VIRTIO_ISM_OK);
    expect(attach(c!, t, R).ack).toBe(VIRTIO_ISM_PERM_EREAD);
  });

  it("taking WRITE away narrows live mappings at once; giving it back restores at most rw_perm", () => {
    const { devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 64);
    attach(b!, t, R | W);
    const handle = b!.regionHandle(t)!;
    handle.write(handle.offset, Uint8Array.of(1));
    grantDevice(a!, t, R | A, b!.devid);
    expect(() => handle.write(handle.offset, Uint8Array.of(2))).toThrow(/write refused/);
    expect(handle.read(handle.offset, 1)).toEqual(Uint8Array.of(1));
    grantDevice(a!, t, R | W | A, b!.devid);
    handle.write(handle.offset, Uint8Array.of(3));
    const { devices: [x, y] } = domainWith(2);
    const u = allocToken(x!, 64);
    attach(y!, u, R);
    grantDefault(x!, u, R | W | A);
    expect(y!.attachedRegions()[0]!.access).toBe(R); // asked for read only
  });
});

describe("EVENT_VECTOR_SET and kicks", () => {
  it("binds a region's UPDATE events to a vector, unbinds with VIRTIO_MSI_NO_VECTOR", () => {
    const { domain, devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 64);
    attach(b!, t, R);
    const raised: number[] = [];
    a!.interruptSink = (v) => raised.push(v);
    expect(ack(eventVector(a!, t, 5))).toBe(VIRTIO_ISM_OK);
    const kick = b!.kick(b!.attachedRegions()[0]!.notifyOffset);
    expect(kick.events).toEqual([{ to: a!.devid, route: { kind: "irq", vector: 5 }, event: { kind: "update", offset: 0, devid: b!.devid } }]);
    domain.deliver(kick.events);
    expect(raised).toEqual([5]);
    expect(a!.eventQueue.length).toBe(0);
    eventVector(a!, t, 0xffff);
    expect(b!.kick(b!.attachedRegions()[0]!.notifyOffset).events[0]!.route).toEqual({ kind: "eventq" });
  });

  it("ERR for a vector out of range, ENOENT for a region not attached", () => {
    const { devices: [a, b] } = domainWith(2);
    const t = allocToken(a!, 64);
    expect(eventVector(a!, t, 64).ack).toBe(VIRTIO_ISM_ERR);
    expect(eventVector(a!, t, 2n ** 40n).ack).toBe(VIRTIO_ISM_ERR);
    expect(eventVector(b!, t, 1).ack).toBe(VIRTIO_ISM_ENOENT);
  });

  it("a kick reaches every other referrer with the region's offset in that referrer's memory", () => {
    const { devices: [a, b, c] } = domainWith(3);
    allocToken(c!, 3 * 64);
    const t = allocToken(a!, 64);
    attach(b!, t, R);
    attach(c!, t, R);
    const notify = a!.attachedRegions()[0]!.notifyOffset;
    expect(notify).toBe(0);
    const r = a!.kick(notify + 3);
    expect(r.outcome).toBe("updated");
    expect(r.events.map((e) => [e.to, e.event])).toEqual([
      [b!.devid, { kind: "update", offset: 0, devid: a!.devid }],
      [c!.devid, { kind: "update", offset: 192, devid: a!.devid }],
    ]);
    expect(a!.kick(4).outcome).toBe("stray");
    expect(a!.kick(-1).outcome).toBe("out-of-range");
    expect(a!.kick(a!.notifyAreaBytes).outcome).toBe("out-of-range");
    expect(a!.stats).toMatchObject({ kicks: 1, strayKicks: 3 });
  });
});

describe("malformed requests and reset", () => {
  it("unknown class or command, and wrong lengths, get ERR", () => {
    const { devices: [a] } = domainWith(1);
    expect(ack(a!.execute(Uint8Array.of(9, 0), 64))).toBe(VIRTIO_ISM_ERR);
    expect(a!.execute(Uint8Array.of(0, 1, ...new Uint8Array(8)), 64).ack).toBe(VIRTIO_ISM_ERR);
    expect(a!.execute(Uint8Array.of(0), 64).ack).toBe(VIRTIO_ISM_ERR);
    expect(a!.execute(Uint8Array.of(0, 0, 1, 2, 3), 64).ack).toBe(VIRTIO_ISM_ERR);
    expect(exec(a!, { kind: "alloc", size: 64n, buffer: undefined }, -5).ack).toBe(VIRTIO_ISM_E2BIG);
  });

  it("reset detaches everything, keeps the devid, drops pending events and its own BUFFER_FREE", () => {
    const domain = new IsmDomain({ chunkSize: 64 });
    const a = domain.createDevice({ chunkCount: 8, devMem: false });
    const b = domain.createDevice({ chunkCount: 8 });
    const t = allocToken(a, 64);
    attach(b, t, R);
    const u = allocToken(b, 64);
    domain.deliver(attach(a, u, R).events);
    domain.deliver(b.kick(b.attachedRegions()[1]!.notifyOffset).events);
    expect(a.eventQueue.length).toBe(1);
    const devid = a.devid;
    const events = a.reset();
    expect(a.devid).toBe(devid);
    expect(events.map((e) => [e.to, e.event.kind])).toEqual([
      [b.devid, "detach"],
      [b.devid, "detach"],
    ]);
    expect(a.attachedRegions()).toEqual([]);
    expect(a.eventQueue.length).toBe(0);
    expect(detach(b, t).events).toEqual([]); // a's driver forgot the buffer with the reset
    expect(domain.verifyInvariants()).toEqual([]);
    a.reset({ devMem: true });
    expect(a.devMem).toBe(true);
  });
});

describe("the generated skeleton", () => {
  it("the core is an IsmDeviceBase whose dispatch writes ack and reply and hands the events to the sink", async () => {
    const { domain, devices: [a, b] } = domainWith(2);
    expect(a).toBeInstanceOf(IsmDeviceBase);
    const t = allocToken(a!, 100);
    const sink = newCommandSink();
    const reply = new Uint8Array(1 + 16 + 2 * 8);
    const r = await b!.dispatch(encodeRequest({ kind: "attach", token: t, rwPerm: 1n, buffer: undefined }, true), reply, sink);
    expect(r).toMatchObject({ command: "ATTACH_REGION", ack: VIRTIO_ISM_OK, written: reply.length });
    expect(reply[0]).toBe(VIRTIO_ISM_OK);
    expect(decodeAttachReply(reply.subarray(1))).toEqual({ size: 100, num: 2, chunks: [0, 64] });
    expect(sink.events.map((e) => e.event.kind)).toEqual(["attach"]);
    expect(domain.deliver(sink.events).queued).toBe(1);
  });

  it("dispatch gives the same E2BIG hint as execute, and executes nothing without room for the ack", async () => {
    const { domain, devices: [a] } = domainWith(1);
    const request = encodeRequest({ kind: "alloc", size: 300n, buffer: undefined }, true);
    const reply = new Uint8Array(1 + 16);
    await a!.dispatch(request, reply, newCommandSink());
    expect(reply[0]).toBe(VIRTIO_ISM_E2BIG);
    expect(decodeAllocReply(reply.subarray(1))).toEqual({ token: 0n, num: 5, chunks: [] });
    expect(await a!.dispatch(request, new Uint8Array(0), newCommandSink())).toMatchObject({ ack: undefined, written: 0 });
    expect(domain.regions()).toHaveLength(0);
  });
});

// Runs last in this file (vitest runs a file's cases in order): the cases above fill `seen`.
describe("ack coverage", () => {
  it("every ack value the spec defines was produced above", () => {
    expect([...seen].sort((x, y) => x - y)).toEqual([...ISM_ACK_VALUES].sort((x, y) => x - y));
  });
});
