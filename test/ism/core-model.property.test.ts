/**
 * The device cores of a three-device domain against the reference model (test/ism/model.ts) under random
 * command sequences: valid commands with live, dead and random tokens, permission changes, kicks, resets,
 * undersized reply buffers, garbage and truncated messages, and eventq draining. After every step the acks,
 * reply bytes and events must be identical, and so must the region tables, chunk-slot use, host bytes and
 * pending event queues; the domain's own invariant check must pass.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IsmDomain, decodeAllocReply, decodeRequest, encodeRequest } from "../../runtime/ism/index.js";
import type { IsmDeviceCore, IsmRequest } from "../../runtime/ism/index.js";
import { IsmModel, modelTake } from "./model.js";

const CHUNK = 16;
const NOTIFY = 4;
const HOST_CAPACITY = 20 * CHUNK;
const DEVICES = [
  { chunkCount: 8, devMem: true },
  { chunkCount: 12, devMem: true },
  { chunkCount: 16, devMem: false },
] as const;
const VECTORS = 4;
const QUEUE = 6;

type TokenPick = { mode: "live" | "dead" | "random"; index: number; random: bigint };
type Capacity = { mode: "roomy" | "short"; short: number };

type Step =
  | { op: "alloc"; dev: number; size: number; capacity: Capacity; buffer: bigint }
  | { op: "query"; dev: number; tok: TokenPick; capacity: Capacity }
  | { op: "attach"; dev: number; tok: TokenPick; rw: bigint; capacity: Capacity; buffer: bigint }
  | { op: "detach"; dev: number; tok: TokenPick }
  | { op: "grant-default"; dev: number; tok: TokenPick; perms: bigint }
  | { op: "grant-device"; dev: number; tok: TokenPick; perms: bigint; peer: number }
  | { op: "vector"; dev: number; tok: TokenPick; vector: bigint }
  | { op: "kick"; dev: number; tok: TokenPick; stray: number; useRegion: boolean }
  | { op: "reset"; dev: number; devMem: boolean | undefined }
  | { op: "garbage"; dev: number; bytes: Uint8Array; capacity: Capacity }
  | { op: "truncated"; dev: number; size: number; cut: number }
  | { op: "drain"; dev: number; bytes: number };

const dev = fc.integer({ min: 0, max: DEVICES.length - 1 });
const tok: fc.Arbitrary<TokenPick> = fc.record({
  mode: fc.constantFrom("live", "live", "live", "dead", "random"),
  index: fc.nat(),
  random: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});
const capacity: fc.Arbitrary<Capacity> = fc.record({ mode: fc.constantFrom("roomy", "roomy", "roomy", "short"), short: fc.integer({ min: 0, max: 40 }) });
const perms = fc.oneof(fc.integer({ min: 0, max: 15 }).map(BigInt), fc.integer({ min: 0, max: 31 }).map(BigInt), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const buffer = fc.oneof({ weight: 8, arbitrary: fc.constant(0x1000n) }, { weight: 1, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constant((1n << 64n) - 8n) });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("alloc" as const), dev, size: fc.oneof(fc.integer({ min: 0, max: 6 * CHUNK }), fc.integer({ min: 0, max: 40 * CHUNK })), capacity, buffer }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("query" as const), dev, tok, capacity }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("attach" as const), dev, tok, rw: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }).map(BigInt) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 255n }) }), capacity, buffer }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("detach" as const), dev, tok }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("grant-default" as const), dev, tok, perms }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("grant-device" as const), dev, tok, perms, peer: fc.integer({ min: 0, max: DEVICES.length }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("vector" as const), dev, tok, vector: fc.oneof(fc.integer({ min: 0, max: VECTORS + 1 }).map(BigInt), fc.constant(0xffffn), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("kick" as const), dev, tok, stray: fc.integer({ min: -2, max: 16 * NOTIFY + 2 }), useRegion: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reset" as const), dev, devMem: fc.constantFrom(undefined, true, false) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("garbage" as const), dev, bytes: fc.uint8Array({ maxLength: 30 }), capacity }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("truncated" as const), dev, size: fc.integer({ min: 1, max: 64 }), cut: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("drain" as const), dev, bytes: fc.integer({ min: 0, max: 100 }) }) },
);

let messages = 0;

/**
 * Structural equality of plain data (objects, arrays, typed arrays, bigints, primitives): what vitest's
 * `toEqual` checks, without its cost, so that comparing the whole domain after every step stays cheap.
 */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Asserts `actual` equals `expected`; the cheap comparison first, vitest's diff only on a mismatch. */
function same(actual: unknown, expected: unknown, message?: string): void {
  if (!deepEqual(actual, expected)) expect(actual, message).toEqual(expected);
}

function run(steps: Step[]): void {
  const domain = new IsmDomain({ chunkSize: CHUNK, notifySize: NOTIFY, hostMemoryCapacity: HOST_CAPACITY });
  const model = new IsmModel({ chunkSize: CHUNK, notifySize: NOTIFY, hostCapacity: HOST_CAPACITY });
  const cores: IsmDeviceCore[] = DEVICES.map((d) => {
    const core = domain.createDevice({ chunkCount: d.chunkCount, devMem: d.devMem, vectorCount: VECTORS, eventQueueCapacity: QUEUE });
    model.addDevice(core.devid, d.chunkCount, d.devMem, VECTORS, QUEUE);
    return core;
  });
  const issued: bigint[] = [];
  const pick = (t: TokenPick): bigint => {
    const live = [...model.regions.keys()];
    const dead = issued.filter((x) => !model.regions.has(x));
    if (t.mode === "live" && live.length > 0) return live[t.index % live.length]!;
    if (t.mode === "dead" && dead.length > 0) return dead[t.index % dead.length]!;
    return t.random;
  };
  const room = (c: Capacity): number => (c.mode === "roomy" ? 4096 : c.short);

  for (const s of steps) {
    const core = cores[s.dev]!;
    let request: IsmRequest | undefined;
    let bytes: Uint8Array | undefined;
    let cap = 4096;
    switch (s.op) {
      case "alloc":
        request = { kind: "alloc", size: BigInt(s.size), buffer: s.buffer };
        cap = room(s.capacity);
        break;
      case "query":
        request = { kind: "query", token: pick(s.tok) };
        cap = room(s.capacity);
        break;
      case "attach":
        request = { kind: "attach", token: pick(s.tok), rwPerm: s.rw, buffer: s.buffer };
        cap = room(s.capacity);
        break;
      case "detach":
        request = { kind: "detach", token: pick(s.tok) };
        break;
      case "grant-default":
        request = { kind: "grant-default", token: pick(s.tok), permissions: s.perms };
        break;
      case "grant-device":
        request = { kind: "grant-device", token: pick(s.tok), permissions: s.perms, peerDevid: cores[s.peer]?.devid ?? 0x1234n };
        break;
      case "vector":
        request = { kind: "event-vector", token: pick(s.tok), vector: s.vector };
        break;
      case "garbage":
        bytes = s.bytes;
        cap = room(s.capacity);
        break;
      case "truncated": {
        const full = encodeRequest({ kind: "alloc", size: BigInt(s.size), buffer: 0x1000n }, core.devMem);
        bytes = full.subarray(0, s.cut % full.length);
        break;
      }
      case "kick": {
        const mine = core.attachedRegions();
        const offset = s.useRegion && mine.length > 0 ? mine[s.tok.index % mine.length]!.notifyOffset + (s.tok.index % NOTIFY) : s.stray;
        const expected = model.kick(core.devid, offset);
        const got = core.kick(offset);
        same(got.events, expected);
        domain.deliver(got.events);
        model.deliver(expected);
        break;
      }
      case "reset": {
        const expected = model.reset(core.devid, s.devMem);
        const got = core.reset(s.devMem === undefined ? {} : { devMem: s.devMem });
        same(got, expected);
        domain.deliver(got);
        model.deliver(expected);
        break;
      }
      case "drain":
        same(core.eventQueue.take(s.bytes), modelTake(model, core.devid, s.bytes));
        break;
    }
    if (request !== undefined || bytes !== undefined) {
      const wire = bytes ?? encodeRequest(request!, core.devMem);
      const decoded = decodeRequest(wire, core.devMem);
      const got = core.execute(wire, cap);
      messages++;
      const expected = model.execute(core.devid, decoded.ok ? decoded.request : undefined, cap, () => decodeAllocReply(got.reply)!.token);
      same({ ack: got.ack, reply: [...got.reply], events: got.events }, {
        ack: expected.ack,
        reply: [...expected.reply],
        events: expected.events,
      }, got.detail);
      if (decoded.ok && decoded.request.kind === "alloc" && got.ack === 0) issued.push(decodeAllocReply(got.reply)!.token);
      domain.deliver(got.events);
      model.deliver(expected.events);
    }
    same(domain.snapshot(), model.snapshot());
    for (const c of cores) same(c.eventQueue.pending(), model.pending(c.devid));
    same(domain.verifyInvariants(), []);
  }
}

describe("ISM device core vs reference model", () => {
  it("agrees on every ack, reply, event and state under random command sequences", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 400, size: "max" }), (steps) => run(steps)),
      { numRuns: 130 },
    );
    // 10^5 control messages per CI run across the property tests: ~20k here (each compared with the model),
    // 110k in hostile.property.test.ts, whose messages are cheaper (no model, no snapshot per step).
    expect(messages).toBeGreaterThan(15_000);
  });
});
