/**
 * The ISM device model on real split virtqueues: requests and replies through the controlq, events through
 * the eventq (several per buffer), kicks through the notify area, UPDATE events through a bound interrupt
 * vector, and the transport corner cases (chains with no room for an ack, oversized requests, undersized
 * event buffers, a broken ring).
 */
import { describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import {
  IsmDevice,
  IsmDomain,
  IsmError,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_OK,
  decodeAllocReply,
  decodeAttachReply,
  decodeEvents,
  encodeRequest,
} from "../../runtime/ism/index.js";
import type { IsmDeviceCore, IsmEvent, IsmRequest } from "../../runtime/ism/index.js";
import { SplitQueueDriver, UsedBuffer } from "../../runtime/virtqueue/index.js";
import type { SplitRingAddresses } from "../../runtime/virtqueue/index.js";

const CONTROLQ: SplitRingAddresses = { size: 16, descAddress: 0x0000, availAddress: 0x1000, usedAddress: 0x2000 };
const EVENTQ: SplitRingAddresses = { size: 16, descAddress: 0x3000, availAddress: 0x4000, usedAddress: 0x5000 };
const DATA = 0x8000;
const MEMORY_BYTES = 0x20000;

/** A minimal guest driver: posts requests and event buffers with the runtime's driver-side virtqueue. */
class Guest {
  readonly memory = GuestMemory.fromBuffer(new SharedArrayBuffer(MEMORY_BYTES));
  readonly controlq = new SplitQueueDriver<number>(this.memory, CONTROLQ);
  readonly eventq = new SplitQueueDriver<number>(this.memory, EVENTQ);
  #next = DATA;

  /** A fresh data buffer of `n` bytes (never reused within a test). */
  take(n: number): number {
    const at = this.#next;
    this.#next += Math.ceil(n / 8) * 8;
    return at;
  }

  /** Posts raw request bytes with `writable` bytes for ack + reply; returns the reply buffer address. */
  postRaw(request: Uint8Array, writable: number): number {
    const req = this.take(Math.max(1, request.length));
    if (request.length > 0) this.memory.write(req, request);
    const reply = this.take(Math.max(1, writable));
    const readable = request.length > 0 ? [{ address: req, length: request.length }] : [];
    const writes = writable > 0 ? [{ address: reply, length: writable }] : [];
    expect(this.controlq.add(readable, writes, reply)).toBe("added");
    return reply;
  }

  /** Collects one used control chain: ack and reply bytes. */
  collect(): { ack: number | undefined; reply: Uint8Array; length: number } {
    const used = new UsedBuffer<number>();
    expect(this.controlq.getUsed(used)).toBe("used");
    const bytes = new Uint8Array(used.length);
    if (used.length > 0) this.memory.read(used.token!, bytes);
    return { ack: used.length > 0 ? bytes[0] : undefined, reply: bytes.subarray(1), length: used.length };
  }

  /** Posts one eventq buffer of `n` bytes. */
  postEventBuffer(n: number): void {
    const at = this.take(n);
    expect(this.eventq.add([], [{ address: at, length: n }], at)).toBe("added");
  }

  /** Collects one used eventq buffer and decodes its events. */
  events(): { length: number; events: IsmEvent[] } {
    const used = new UsedBuffer<number>();
    expect(this.eventq.getUsed(used)).toBe("used");
    const bytes = new Uint8Array(used.length);
    if (used.length > 0) this.memory.read(used.token!, bytes);
    const decoded = decodeEvents(bytes);
    if (!decoded.ok) throw new Error(`undecodable events: ${decoded.problem} at ${decoded.at}`);
    return { length: used.length, events: decoded.events };
  }
}

/** A domain with `n` devices, each on its own guest. */
function setup(n: number, devMem = true): { domain: IsmDomain; devices: IsmDevice[]; guests: Guest[] } {
  const domain = new IsmDomain({ chunkSize: 256 });
  const guests = Array.from({ length: n }, () => new Guest());
  const devices = guests.map((g) =>
    new IsmDevice(domain, domain.createDevice({ chunkCount: 32, devMem }), { memory: g.memory, controlq: CONTROLQ, eventq: EVENTQ }),
  );
  return { domain, devices, guests };
}

/** Sends one request through the controlq and returns the ack and reply. */
function call(device: IsmDevice, guest: Guest, request: IsmRequest, writable = 1 + 16 + 8 * 32): { ack: number | undefined; reply: Uint8Array; length: number } {
  guest.postRaw(encodeRequest(request, device.core.devMem), writable);
  expect(device.processControlQueue()).toBe(1);
  return guest.collect();
}

function tokenOf(reply: Uint8Array): bigint {
  return decodeAllocReply(reply)!.token;
}

describe("IsmDevice on split virtqueues", () => {
  it("allocates through the controlq: ack, token, chunk offsets, used length 1 + reply", () => {
    const { devices, guests } = setup(1);
    const r = call(devices[0]!, guests[0]!, { kind: "alloc", size: 600n, buffer: undefined });
    expect(r.ack).toBe(VIRTIO_ISM_OK);
    const reply = decodeAllocReply(r.reply)!;
    expect(reply.num).toBe(3);
    expect(reply.chunks).toEqual([0, 256, 512]);
    expect(r.length).toBe(1 + 16 + 3 * 8);
  });

  it("an attach by a peer reaches the allocator's eventq as an ATTACH event with the allocator's offset", () => {
    const { devices, guests } = setup(2);
    const [a, b] = devices as [IsmDevice, IsmDevice];
    call(b, guests[1]!, { kind: "alloc", size: 256n, buffer: undefined }); // B's slot 0 taken: offsets differ
    const token = tokenOf(call(a, guests[0]!, { kind: "alloc", size: 300n, buffer: undefined }).reply);
    const attached = decodeAttachReply(call(b, guests[1]!, { kind: "attach", token, rwPerm: 3n, buffer: undefined }).reply)!;
    expect(attached).toEqual({ size: 300, num: 2, chunks: [256, 512] });
    guests[0]!.postEventBuffer(64);
    expect(a.processEventQueue()).toBe(1);
    expect(guests[0]!.events().events).toEqual([{ kind: "attach", offset: 0, devid: b.core.devid, peers: 1 }]);
  });

  it("a kick of the notify address becomes an UPDATE event for the peer, which then sees the data", () => {
    const { devices, guests } = setup(2);
    const [a, b] = devices as [IsmDevice, IsmDevice];
    const token = tokenOf(call(a, guests[0]!, { kind: "alloc", size: 100n, buffer: undefined }).reply);
    call(b, guests[1]!, { kind: "attach", token, rwPerm: 3n, buffer: undefined });
    a.core.eventQueue.take(1 << 20); // drop the ATTACH event
    const aHandle = a.core.regionHandle(token)!;
    const bHandle = b.core.regionHandle(token)!;
    bHandle.writeRegion(10, Uint8Array.of(1, 2, 3));
    const bView = b.core.attachedRegions()[0]!;
    b.notifyArea.kick(bView.notifyOffset + 1); // any byte of the address
    expect(b.pollNotifyArea()).toBe(1);
    expect(b.pollNotifyArea()).toBe(0); // counted once
    guests[0]!.postEventBuffer(64);
    a.processEventQueue();
    expect(guests[0]!.events().events).toEqual([{ kind: "update", offset: aHandle.offset, devid: b.core.devid }]);
    expect(aHandle.readRegion(10, 3)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it("a ring of an address that belongs to no region is ignored", () => {
    const { devices, guests } = setup(2);
    const [a, b] = devices as [IsmDevice, IsmDevice];
    const token = tokenOf(call(a, guests[0]!, { kind: "alloc", size: 600n, buffer: undefined }).reply);
    call(b, guests[1]!, { kind: "attach", token, rwPerm: 3n, buffer: undefined });
    a.core.eventQueue.take(1 << 20); // drop the ATTACH event
    b.notifyArea.kick(b.notifyArea.offsetOf(1)); // second chunk's address: not the region's
    b.notifyArea.kick(b.notifyArea.offsetOf(20)); // a free slot
    expect(b.pollNotifyArea()).toBe(0);
    expect(a.core.eventQueue.length).toBe(0);
  });

  it("UPDATE events of a region bound with EVENT_VECTOR_SET raise the vector and skip the eventq", () => {
    const { devices, guests } = setup(2);
    const [a, b] = devices as [IsmDevice, IsmDevice];
    const token = tokenOf(call(a, guests[0]!, { kind: "alloc", size: 100n, buffer: undefined }).reply);
    call(b, guests[1]!, { kind: "attach", token, rwPerm: 3n, buffer: undefined });
    a.core.eventQueue.take(1 << 20); // drop the ATTACH event
    expect(call(a, guests[0]!, { kind: "event-vector", token, vector: 7n }).ack).toBe(VIRTIO_ISM_OK);
    const before = a.interrupts.doorbell(7).load();
    b.notifyArea.kick(b.core.attachedRegions()[0]!.notifyOffset);
    b.pollNotifyArea();
    expect(a.interrupts.doorbell(7).load()).toBe(before + 1);
    expect(a.core.eventQueue.length).toBe(0);
  });

  it("several events share one eventq buffer back to back; the used length is their total size", () => {
    const { devices, guests } = setup(3);
    const [a, b, c] = devices as [IsmDevice, IsmDevice, IsmDevice];
    const token = tokenOf(call(a, guests[0]!, { kind: "alloc", size: 100n, buffer: undefined }).reply);
    call(b, guests[1]!, { kind: "attach", token, rwPerm: 1n, buffer: undefined });
    call(c, guests[2]!, { kind: "attach", token, rwPerm: 1n, buffer: undefined });
    b.notifyArea.kick(b.core.attachedRegions()[0]!.notifyOffset);
    b.pollNotifyArea();
    guests[0]!.postEventBuffer(256);
    expect(a.processEventQueue()).toBe(1);
    const got = guests[0]!.events();
    expect(got.events.map((e) => e.kind)).toEqual(["attach", "attach", "update"]);
    expect(got.events.map((e) => (e.kind === "buffer-free" ? undefined : e.devid))).toEqual([b.core.devid, c.core.devid, b.core.devid]);
    expect(got.events.slice(0, 2).map((e) => (e.kind === "attach" ? e.peers : -1))).toEqual([1, 2]);
    expect(got.length).toBe(32 + 32 + 24);
  });

  it("an event buffer too small for the oldest event comes back empty and the event waits", () => {
    const { devices, guests } = setup(2);
    const [a, b] = devices as [IsmDevice, IsmDevice];
    const token = tokenOf(call(a, guests[0]!, { kind: "alloc", size: 100n, buffer: undefined }).reply);
    call(b, guests[1]!, { kind: "attach", token, rwPerm: 1n, buffer: undefined });
    guests[0]!.postEventBuffer(16); // ATTACH needs 32
    expect(a.processEventQueue()).toBe(1);
    expect(guests[0]!.events()).toEqual({ length: 0, events: [] });
    expect(a.stats.undersizedEventBuffers).toBe(1);
    expect(a.core.eventQueue.length).toBe(1);
    guests[0]!.postEventBuffer(32);
    a.processEventQueue();
    expect(guests[0]!.events().events).toHaveLength(1);
  });

  it("event buffers are not consumed while nothing is pending", () => {
    const { devices, guests } = setup(1);
    guests[0]!.postEventBuffer(64);
    expect(devices[0]!.processEventQueue()).toBe(0);
    expect(devices[0]!.eventq.inFlightChains).toBe(0);
  });

  it("a chain with no writable byte is returned unexecuted (nothing allocated)", () => {
    const { domain, devices, guests } = setup(1);
    guests[0]!.postRaw(encodeRequest({ kind: "alloc", size: 100n, buffer: undefined }, true), 0);
    expect(devices[0]!.processControlQueue()).toBe(1);
    expect(guests[0]!.collect().length).toBe(0);
    expect(domain.regions()).toHaveLength(0);
    expect(devices[0]!.stats.unackableChains).toBe(1);
  });

  it("an oversized or empty readable part gets ERR", () => {
    const { devices, guests } = setup(1);
    guests[0]!.postRaw(new Uint8Array(4000).fill(0), 64);
    devices[0]!.processControlQueue();
    expect(guests[0]!.collect().ack).toBe(VIRTIO_ISM_ERR);
    guests[0]!.postRaw(new Uint8Array(0), 64);
    devices[0]!.processControlQueue();
    expect(guests[0]!.collect()).toMatchObject({ ack: VIRTIO_ISM_ERR, length: 1 });
  });

  it("without DEV_MEM the lent buffer must lie in guest memory, and BUFFER_FREE returns it", () => {
    const { devices, guests } = setup(2, false);
    const [a, b] = devices as [IsmDevice, IsmDevice];
    const outside = BigInt(MEMORY_BYTES - 64);
    expect(call(a, guests[0]!, { kind: "alloc", size: 100n, buffer: outside }).ack).toBe(VIRTIO_ISM_ERR);
    const lent = BigInt(guests[0]!.take(100));
    const token = tokenOf(call(a, guests[0]!, { kind: "alloc", size: 100n, buffer: lent }).reply);
    expect(call(b, guests[1]!, { kind: "attach", token, rwPerm: 3n, buffer: BigInt(guests[1]!.take(100)) }).ack).toBe(VIRTIO_ISM_OK);
    expect(call(a, guests[0]!, { kind: "detach", token }).ack).toBe(VIRTIO_ISM_OK);
    expect(call(b, guests[1]!, { kind: "detach", token }).ack).toBe(VIRTIO_ISM_OK);
    guests[0]!.postEventBuffer(128);
    a.processEventQueue();
    expect(guests[0]!.events().events).toEqual([
      { kind: "attach", offset: 0, devid: b.core.devid, peers: 1 },
      { kind: "buffer-free", buffer: lent },
    ]);
  });

  it("signals the controlq vector after completing requests", () => {
    const { devices, guests } = setup(1);
    const before = devices[0]!.interrupts.doorbell(devices[0]!.controlVector).load();
    call(devices[0]!, guests[0]!, { kind: "query", token: 1n });
    expect(devices[0]!.interrupts.doorbell(devices[0]!.controlVector).load()).toBe(before + 1);
  });

  it("a broken controlq stops the device without throwing", () => {
    const { devices, guests } = setup(1);
    // avail.idx jumps 100 entries ahead of a 16-entry ring: a runaway index.
    guests[0]!.memory.write(CONTROLQ.availAddress + 2, Uint8Array.of(100, 0));
    expect(devices[0]!.processControlQueue()).toBe(0);
    expect(devices[0]!.controlq.broken).toBe(true);
    expect(devices[0]!.poll()).toEqual({ control: 0, kicks: 0, eventBuffers: 0 });
  });

  it("refuses a core of another domain and a device memory larger than a doorbell bank", () => {
    const one = new IsmDomain({ chunkSize: 64 });
    const other = new IsmDomain({ chunkSize: 64 });
    const guest = new Guest();
    const transport = { memory: guest.memory, controlq: CONTROLQ, eventq: EVENTQ };
    const expectReason = (fn: () => unknown, reason: string): void => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(IsmError);
        expect((e as IsmError).reason).toBe(reason);
        return;
      }
      throw new Error("expected an IsmError");
    };
    const core: IsmDeviceCore = other.createDevice({ chunkCount: 4 });
    expectReason(() => new IsmDevice(one, core, transport), "foreign-device");
    expectReason(() => new IsmDevice(one, one.createDevice({ chunkCount: 65537 }), transport), "invalid-geometry");
  });
});
