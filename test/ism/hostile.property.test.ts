/**
 * Hostile control messages: random bytes, random headers with random bodies, and valid requests cut short or
 * extended, with random reply capacities, thrown at the cores of a populated domain. The device must answer
 * every message with an ack the spec defines and a reply that fits, never throw, and keep the domain
 * consistent (invariant check, no internal error).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ISM_ACK_VALUES, IsmDomain, VIRTIO_ISM_ERR, encodeRequest } from "../../runtime/ism/index.js";
import type { IsmDeviceCore, IsmRequest } from "../../runtime/ism/index.js";
import { allocToken, attach } from "./helpers.js";

/** A domain with two devices (DEV_MEM and lent-buffer) sharing a few regions. */
function populated(): { domain: IsmDomain; cores: IsmDeviceCore[]; tokens: bigint[] } {
  const domain = new IsmDomain({ chunkSize: 32, hostMemoryCapacity: 64 * 32 });
  const cores = [domain.createDevice({ chunkCount: 32 }), domain.createDevice({ chunkCount: 32, devMem: false })];
  const tokens = [allocToken(cores[0]!, 40), allocToken(cores[1]!, 100), allocToken(cores[0]!, 1)];
  attach(cores[1]!, tokens[0]!, 1);
  attach(cores[0]!, tokens[1]!, 3);
  return { domain, cores, tokens };
}

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const VALID_ACKS = new Set(ISM_ACK_VALUES);

describe("hostile control messages", () => {
  it("random bytes and random class/command headers always get a valid ack", () => {
    const { domain, cores } = populated();
    let count = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.oneof(
          fc.uint8Array({ maxLength: 48 }),
          // A plausible header (class 0..6, command 0..2) with a random body: reaches the length checks.
          fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 2 }), fc.uint8Array({ maxLength: 34 })).map(
            ([c, k, body]) => Uint8Array.of(c, k, ...body),
          ),
        ),
        fc.oneof(fc.integer({ min: -4, max: 64 }), fc.constant(4096), fc.constant(Number.NaN)),
        (which, bytes, capacity) => {
          const r = cores[which]!.execute(bytes, capacity);
          count++;
          // Plain boolean properties (fast-check reports and shrinks a false): vitest's expect per message
          // would cost more than the device does.
          return VALID_ACKS.has(r.ack) && r.reply.length <= (Number.isSafeInteger(capacity) && capacity > 0 ? capacity : 0);
        },
      ),
      { numRuns: 60_000 },
    );
    expect(count).toBe(60_000);
    expect(domain.verifyInvariants()).toEqual([]);
  });

  it("valid requests cut short or padded are refused with ERR and change nothing", () => {
    const { domain, cores, tokens } = populated();
    const before = JSON.stringify(domain.snapshot(), (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v));
    const request: fc.Arbitrary<IsmRequest> = fc.oneof(
      fc.record({ kind: fc.constant("alloc" as const), size: u64, buffer: u64 }),
      fc.record({ kind: fc.constant("query" as const), token: u64 }),
      fc.record({ kind: fc.constant("attach" as const), token: fc.constantFrom(...tokens), rwPerm: u64, buffer: u64 }),
      fc.record({ kind: fc.constant("detach" as const), token: fc.constantFrom(...tokens) }),
      fc.record({ kind: fc.constant("grant-default" as const), token: fc.constantFrom(...tokens), permissions: u64 }),
      fc.record({ kind: fc.constant("grant-device" as const), token: fc.constantFrom(...tokens), permissions: u64, peerDevid: u64 }),
      fc.record({ kind: fc.constant("event-vector" as const), token: fc.constantFrom(...tokens), vector: u64 }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), request, fc.integer({ min: 1, max: 16 }), fc.boolean(), (which, req, cut, pad) => {
        const core = cores[which]!;
        const full = encodeRequest(req, core.devMem);
        const wire = pad ? Uint8Array.of(...full, ...new Uint8Array(cut)) : full.subarray(0, Math.max(0, full.length - cut));
        const r = core.execute(wire, 4096);
        return r.ack === VIRTIO_ISM_ERR && r.events.length === 0 && r.reply.length === 0;
      }),
      { numRuns: 30_000 },
    );
    expect(JSON.stringify(domain.snapshot(), (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v))).toBe(before);
    expect(domain.verifyInvariants()).toEqual([]);
  });

  it("well-formed requests with hostile field values always get a valid ack and keep the domain consistent", () => {
    const { domain, cores, tokens } = populated();
    const token = fc.oneof(fc.constantFrom(...tokens), u64);
    const request: fc.Arbitrary<IsmRequest> = fc.oneof(
      fc.record({ kind: fc.constant("alloc" as const), size: fc.oneof(u64, fc.bigInt({ min: 0n, max: 4096n })), buffer: u64 }),
      fc.record({ kind: fc.constant("query" as const), token }),
      fc.record({ kind: fc.constant("attach" as const), token, rwPerm: fc.oneof(u64, fc.bigInt({ min: 0n, max: 3n })), buffer: u64 }),
      fc.record({ kind: fc.constant("detach" as const), token }),
      fc.record({ kind: fc.constant("grant-default" as const), token, permissions: fc.oneof(u64, fc.bigInt({ min: 0n, max: 31n })) }),
      fc.record({
        kind: fc.constant("grant-device" as const),
        token,
        permissions: fc.oneof(u64, fc.bigInt({ min: 0n, max: 31n })),
        peerDevid: fc.oneof(u64, fc.constantFrom(...cores.map((c) => c.devid))),
      }),
      fc.record({ kind: fc.constant("event-vector" as const), token, vector: fc.oneof(u64, fc.bigInt({ min: 0n, max: 70n }), fc.constant(0xffffn)) }),
    );
    let i = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), request, fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constant(4096)), (which, req, capacity) => {
        const r = cores[which]!.execute(encodeRequest(req, cores[which]!.devMem), capacity);
        domain.deliver(r.events);
        const consistent = ++i % 500 !== 0 || domain.verifyInvariants().length === 0;
        return VALID_ACKS.has(r.ack) && r.reply.length <= capacity && consistent;
      }),
      { numRuns: 20_000 },
    );
    expect(domain.verifyInvariants()).toEqual([]);
  });
});
