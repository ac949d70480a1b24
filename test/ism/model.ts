/**
 * A reference model of an ISM communication domain, written from the decisions in spec/ism-decisions.md with
 * plain Maps and arrays and none of the runtime's classes: the property tests run the same commands on the
 * device cores and on this model and require identical acks, replies, events, region tables, chunk-slot use,
 * host bytes and pending event queues.
 */
import { encodeChunkReply, encodeQueryReply } from "../../runtime/ism/index.js";
import type { IsmEvent, IsmEventDelivery, IsmRequest } from "../../runtime/ism/index.js";

const OK = 0;
const ERR = 255;
const ENOENT = 2;
const E2BIG = 7;
const ENOMEM = 12;
const ENOSPEC = 28;
const EATTACH = 100;
const EREAD = 101;
const EWRITE = 102;
const U64 = (1n << 64n) - 1n;
const NO_VECTOR = 0xffffn;

interface ModelReferrer {
  slots: number[];
  requested: number;
  vector: number | undefined;
}

interface ModelRegion {
  token: bigint;
  size: number;
  chunks: number;
  allocator: bigint;
  allocatorEpoch: number;
  lent: bigint | undefined;
  defaults: number;
  dedicated: Map<bigint, number>;
  referrers: Map<bigint, ModelReferrer>;
}

interface ModelDevice {
  devid: bigint;
  used: boolean[];
  devMem: boolean;
  epoch: number;
  vectorCount: number;
  attached: Map<bigint, ModelRegion>;
  queue: IsmEvent[];
  queueCapacity: number;
}

/** What the model expects from one command. */
export interface ModelOutcome {
  ack: number;
  /** Expected reply bytes; for a successful alloc, built with the token the device chose. */
  reply: Uint8Array;
  events: IsmEventDelivery[];
}

/** Parameters shared with the domain under test. */
export interface ModelOptions {
  chunkSize: number;
  notifySize: number;
  hostCapacity: number;
}

/** The model domain. */
export class IsmModel {
  readonly devices = new Map<bigint, ModelDevice>();
  readonly regions = new Map<bigint, ModelRegion>();
  readonly issued = new Set<bigint>();
  hostUsed = 0;
  lentUsed = 0;

  constructor(readonly options: ModelOptions) {}

  addDevice(devid: bigint, chunkCount: number, devMem: boolean, vectorCount: number, queueCapacity: number): void {
    this.devices.set(devid, {
      devid,
      used: new Array<boolean>(chunkCount).fill(false),
      devMem,
      epoch: 0,
      vectorCount,
      attached: new Map(),
      queue: [],
      queueCapacity,
    });
  }

  perms(region: ModelRegion, devid: bigint): number {
    return region.dedicated.get(devid) ?? region.defaults;
  }

  access(region: ModelRegion, devid: bigint, r: ModelReferrer): number {
    return r.requested & this.perms(region, devid) & 3;
  }

  /**
   * Executes a decoded request (or `undefined` for an undecodable one) on device `devid`.
   *
   * @param tokenChosen - the token the device put in its alloc reply (the model cannot predict random tokens)
   */
  execute(devid: bigint, request: IsmRequest | undefined, capacity: number, tokenChosen: () => bigint): ModelOutcome {
    const d = this.devices.get(devid)!;
    const none = new Uint8Array(0);
    const fail = (ack: number, reply: Uint8Array = none): ModelOutcome => ({ ack, reply, events: [] });
    if (request === undefined) return fail(ERR);
    const cs = this.options.chunkSize;
    switch (request.kind) {
      case "alloc": {
        if (request.size === 0n) return fail(ERR);
        if (!d.devMem && (request.buffer === undefined || request.buffer === 0n || request.buffer + request.size - 1n > U64)) return fail(ERR);
        const n = (request.size + BigInt(cs) - 1n) / BigInt(cs);
        const free = d.used.filter((u) => !u).length;
        if (n > BigInt(free)) return fail(ENOSPEC);
        const num = Number(n);
        if (capacity < 16 + 8 * num) return fail(E2BIG, capacity >= 16 ? encodeChunkReply(0n, num, []) : none);
        const bytes = num * cs;
        if (d.devMem && this.hostUsed + bytes > this.options.hostCapacity) return fail(ENOMEM);
        const token = tokenChosen();
        if (token === 0n || this.issued.has(token)) throw new Error(`device chose a used or zero token ${token}`);
        this.issued.add(token);
        if (d.devMem) this.hostUsed += bytes;
        else this.lentUsed += bytes;
        const region: ModelRegion = {
          token,
          size: Number(request.size),
          chunks: num,
          allocator: devid,
          allocatorEpoch: d.epoch,
          lent: d.devMem ? undefined : request.buffer,
          defaults: 7,
          dedicated: new Map([[devid, 15]]),
          referrers: new Map(),
        };
        this.regions.set(token, region);
        const slots = this.take(d, num);
        region.referrers.set(devid, { slots, requested: 3, vector: undefined });
        d.attached.set(token, region);
        return { ack: OK, reply: encodeChunkReply(token, num, slots.map((s) => s * cs)), events: [] };
      }
      case "query": {
        const region = this.regions.get(request.token);
        if (!region) return fail(ENOENT);
        if (capacity < 16) return fail(E2BIG);
        return { ack: OK, reply: encodeQueryReply(region.size, this.perms(region, devid)), events: [] };
      }
      case "attach": {
        if (request.rwPerm > 3n) return fail(ERR);
        if (!d.devMem && (request.buffer === undefined || request.buffer === 0n)) return fail(ERR);
        const region = this.regions.get(request.token);
        if (!region) return fail(ENOENT);
        if (!d.devMem && request.buffer! + BigInt(region.size) - 1n > U64) return fail(ERR);
        const rw = Number(request.rwPerm);
        const p = this.perms(region, devid);
        if (!(p & 4)) return fail(EATTACH);
        if (rw & 1 && !(p & 1)) return fail(EREAD);
        if (rw & 2 && !(p & 2)) return fail(EWRITE);
        if (d.attached.has(region.token)) return fail(ERR);
        if (region.chunks > d.used.filter((u) => !u).length) return fail(ENOSPEC);
        if (capacity < 16 + 8 * region.chunks) return fail(E2BIG, capacity >= 16 ? encodeChunkReply(region.size, region.chunks, []) : none);
        const slots = this.take(d, region.chunks);
        region.referrers.set(devid, { slots, requested: rw, vector: undefined });
        d.attached.set(region.token, region);
        const peers = region.referrers.size - 1;
        const events: IsmEventDelivery[] = [];
        for (const [other, r] of region.referrers) {
          if (other === devid) continue;
          events.push({ to: other, route: { kind: "eventq" }, event: { kind: "attach", offset: r.slots[0]! * cs, devid, peers } });
        }
        return { ack: OK, reply: encodeChunkReply(region.size, region.chunks, slots.map((s) => s * cs)), events };
      }
      case "detach": {
        const region = d.attached.get(request.token);
        if (!region) return fail(ENOENT);
        return { ack: OK, reply: none, events: this.drop(d, region) };
      }
      case "grant-default":
      case "grant-device": {
        const allowed = request.kind === "grant-default" ? 15n : 31n;
        if (request.permissions & ~allowed) return fail(ERR);
        if (request.kind === "grant-device" && !this.devices.has(request.peerDevid)) return fail(ERR);
        const region = d.attached.get(request.token);
        if (!region) return fail(ENOENT);
        if (!(this.perms(region, devid) & 8)) return fail(ERR);
        if (request.kind === "grant-default") region.defaults = Number(request.permissions);
        else region.dedicated.set(request.peerDevid, Number(request.permissions) & 15);
        return { ack: OK, reply: none, events: [] };
      }
      case "event-vector": {
        if (request.vector !== NO_VECTOR && request.vector >= BigInt(d.vectorCount)) return fail(ERR);
        const region = d.attached.get(request.token);
        if (!region) return fail(ENOENT);
        region.referrers.get(devid)!.vector = request.vector === NO_VECTOR ? undefined : Number(request.vector);
        return { ack: OK, reply: none, events: [] };
      }
    }
  }

  /** A driver write in the notify area of `devid`. */
  kick(devid: bigint, offset: number): IsmEventDelivery[] {
    const d = this.devices.get(devid)!;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= d.used.length * this.options.notifySize) return [];
    const slot = Math.floor(offset / this.options.notifySize);
    const region = [...d.attached.values()].find((r) => r.referrers.get(devid)!.slots[0] === slot);
    if (!region) return [];
    const events: IsmEventDelivery[] = [];
    for (const [other, r] of region.referrers) {
      if (other === devid) continue;
      events.push({
        to: other,
        route: r.vector === undefined ? { kind: "eventq" } : { kind: "irq", vector: r.vector },
        event: { kind: "update", offset: r.slots[0]! * this.options.chunkSize, devid },
      });
    }
    return events;
  }

  /** Device reset. */
  reset(devid: bigint, devMem: boolean | undefined): IsmEventDelivery[] {
    const d = this.devices.get(devid)!;
    d.epoch++;
    const events: IsmEventDelivery[] = [];
    for (const region of [...d.attached.values()]) events.push(...this.drop(d, region));
    d.queue = [];
    if (devMem !== undefined) d.devMem = devMem;
    return events;
  }

  /** Delivers events into the model's queues (same policy as the runtime, restated). */
  deliver(events: readonly IsmEventDelivery[]): void {
    for (const e of events) {
      if (e.route.kind !== "eventq") continue;
      const d = this.devices.get(e.to)!;
      const ev = e.event;
      if (ev.kind === "update" && d.queue.some((q) => q.kind === "update" && q.offset === ev.offset && q.devid === ev.devid)) continue;
      if (d.queue.length >= d.queueCapacity) {
        let victim = d.queue.findIndex((q) => q.kind === "update");
        if (victim < 0) victim = d.queue.findIndex((q) => q.kind === "attach" || q.kind === "detach");
        if (victim < 0) continue;
        d.queue.splice(victim, 1);
      }
      d.queue.push(ev);
    }
  }

  private take(d: ModelDevice, n: number): number[] {
    const slots: number[] = [];
    for (let i = 0; i < d.used.length && slots.length < n; i++) {
      if (!d.used[i]) {
        d.used[i] = true;
        slots.push(i);
      }
    }
    return slots;
  }

  private drop(d: ModelDevice, region: ModelRegion): IsmEventDelivery[] {
    const mine = region.referrers.get(d.devid)!;
    for (const s of mine.slots) d.used[s] = false;
    region.referrers.delete(d.devid);
    d.attached.delete(region.token);
    const peers = region.referrers.size - 1;
    const events: IsmEventDelivery[] = [];
    for (const [other, r] of region.referrers) {
      events.push({ to: other, route: { kind: "eventq" }, event: { kind: "detach", offset: r.slots[0]! * this.options.chunkSize, devid: d.devid, peers } });
    }
    if (region.referrers.size === 0) {
      this.regions.delete(region.token);
      const bytes = region.chunks * this.options.chunkSize;
      if (region.lent === undefined) this.hostUsed -= bytes;
      else {
        this.lentUsed -= bytes;
        if (this.devices.get(region.allocator)!.epoch === region.allocatorEpoch) {
          events.push({ to: region.allocator, route: { kind: "eventq" }, event: { kind: "buffer-free", buffer: region.lent } });
        }
      }
    }
    return events;
  }

  /** The model's state in the shape of `IsmDomain.snapshot()` (plus pending queues). */
  snapshot(): unknown {
    const cs = this.options.chunkSize;
    return {
      regions: [...this.regions.values()].map((r) => ({
        token: r.token,
        size: r.size,
        allocator: r.allocator,
        lent: r.lent !== undefined,
        defaultPermissions: r.defaults,
        dedicated: [...r.dedicated],
        referrers: [...r.referrers].map(([devid, ref]) => ({
          devid,
          chunks: ref.slots.map((s) => s * cs),
          requested: ref.requested,
          access: this.access(r, devid, ref),
          vector: ref.vector,
        })),
      })),
      devices: [...this.devices.values()].map((d) => ({ devid: d.devid, usedChunks: d.used.filter(Boolean).length, pendingEvents: d.queue.length })),
      hostBytes: this.hostUsed,
      lentBytes: this.lentUsed,
    };
  }

  /** Pending events of `devid`. */
  pending(devid: bigint): IsmEvent[] {
    return [...this.devices.get(devid)!.queue];
  }
}

/** Removes and returns the oldest pending events of `devid` that fit in `bytes` (as `IsmEventQueue.take`). */
export function modelTake(model: IsmModel, devid: bigint, bytes: number): IsmEvent[] {
  const queue = model.devices.get(devid)!.queue;
  const size = (e: IsmEvent): number => (e.kind === "update" ? 24 : e.kind === "buffer-free" ? 16 : 32);
  let used = 0;
  let n = 0;
  while (n < queue.length && used + size(queue[n]!) <= bytes) used += size(queue[n++]!);
  return queue.splice(0, n);
}
