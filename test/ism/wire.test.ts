/**
 * The ISM wire codecs against byte layouts written out by hand from the structures in the proposal.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeAllocReply,
  decodeAttachReply,
  decodeEvents,
  decodeQueryReply,
  decodeRequest,
  encodeChunkReply,
  encodeEvents,
  encodeQueryReply,
  encodeRequest,
  requestLength,
} from "../../runtime/ism/index.js";
import type { IsmEvent, IsmRequest } from "../../runtime/ism/index.js";

/** `value` as 8 little-endian bytes. */
function le64(value: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
}

describe("requests", () => {
  it("lay out class, command and le64 fields; buffer only without DEV_MEM", () => {
    expect([...encodeRequest({ kind: "alloc", size: 0x1234n, buffer: 0xabcdn }, false)]).toEqual([0, 0, ...le64(0x1234n), ...le64(0xabcdn)]);
    expect([...encodeRequest({ kind: "alloc", size: 0x1234n, buffer: undefined }, true)]).toEqual([0, 0, ...le64(0x1234n)]);
    expect([...encodeRequest({ kind: "query", token: 7n }, true)]).toEqual([1, 0, ...le64(7n)]);
    expect([...encodeRequest({ kind: "attach", token: 7n, rwPerm: 3n, buffer: 9n }, false)]).toEqual([2, 0, ...le64(7n), ...le64(3n), ...le64(9n)]);
    expect([...encodeRequest({ kind: "detach", token: 7n }, false)]).toEqual([3, 0, ...le64(7n)]);
    expect([...encodeRequest({ kind: "grant-default", token: 7n, permissions: 5n }, true)]).toEqual([4, 0, ...le64(7n), ...le64(5n)]);
    expect([...encodeRequest({ kind: "grant-device", token: 7n, permissions: 5n, peerDevid: 0xffn }, true)]).toEqual([
      4, 1, ...le64(7n), ...le64(5n), ...le64(0xffn),
    ]);
    expect([...encodeRequest({ kind: "event-vector", token: 7n, vector: 2n }, true)]).toEqual([5, 0, ...le64(7n), ...le64(2n)]);
  });

  it("decode what they encode, for both feature sets", () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const request = (devMem: boolean): fc.Arbitrary<IsmRequest> =>
      fc.oneof(
        fc.record({ kind: fc.constant("alloc" as const), size: u64, buffer: devMem ? fc.constant(undefined) : u64 }),
        fc.record({ kind: fc.constant("query" as const), token: u64 }),
        fc.record({ kind: fc.constant("attach" as const), token: u64, rwPerm: u64, buffer: devMem ? fc.constant(undefined) : u64 }),
        fc.record({ kind: fc.constant("detach" as const), token: u64 }),
        fc.record({ kind: fc.constant("grant-default" as const), token: u64, permissions: u64 }),
        fc.record({ kind: fc.constant("grant-device" as const), token: u64, permissions: u64, peerDevid: u64 }),
        fc.record({ kind: fc.constant("event-vector" as const), token: u64, vector: u64 }),
      );
    fc.assert(
      fc.property(fc.boolean().chain((devMem) => fc.tuple(fc.constant(devMem), request(devMem))), ([devMem, req]) => {
        const bytes = encodeRequest(req, devMem);
        expect(bytes.length).toBe(requestLength(req.kind, devMem));
        expect(decodeRequest(bytes, devMem)).toEqual({ ok: true, request: req });
      }),
      { numRuns: 500 },
    );
  });

  it("refuse a missing header, unknown class/command, and any other length", () => {
    expect(decodeRequest(Uint8Array.of(), true)).toMatchObject({ ok: false, problem: "no-header" });
    expect(decodeRequest(Uint8Array.of(6, 0), true)).toMatchObject({ ok: false, problem: "unknown-command" });
    expect(decodeRequest(Uint8Array.of(4, 2), true)).toMatchObject({ ok: false, problem: "unknown-command" });
    const alloc = encodeRequest({ kind: "alloc", size: 1n, buffer: 1n }, false);
    expect(decodeRequest(alloc, true)).toMatchObject({ ok: false, problem: "wrong-length" }); // DEV_MEM: no buffer
    expect(decodeRequest(alloc.subarray(0, 17), false)).toMatchObject({ ok: false, problem: "truncated" });
    expect(decodeRequest(Uint8Array.of(...alloc, 0), false)).toMatchObject({ ok: false, problem: "wrong-length" }); // trailing byte
  });
});

describe("replies", () => {
  it("alloc/attach: first field, num, then chunks[num]", () => {
    const bytes = encodeChunkReply(0x77n, 2, [0, 4096]);
    expect([...bytes]).toEqual([...le64(0x77n), ...le64(2n), ...le64(0n), ...le64(4096n)]);
    expect(decodeAllocReply(bytes)).toEqual({ token: 0x77n, num: 2, chunks: [0, 4096] });
    expect(decodeAttachReply(bytes)).toEqual({ size: 0x77, num: 2, chunks: [0, 4096] });
    expect(decodeAllocReply(bytes.subarray(0, 15))).toBeUndefined();
    expect(decodeAllocReply(encodeChunkReply(0n, 9, []))).toEqual({ token: 0n, num: 9, chunks: [] }); // E2BIG form
  });

  it("query: size then permissions", () => {
    expect([...encodeQueryReply(100, 7)]).toEqual([...le64(100n), ...le64(7n)]);
    expect(decodeQueryReply(encodeQueryReply(100, 7))).toEqual({ size: 100, permissions: 7 });
    expect(decodeQueryReply(new Uint8Array(8))).toBeUndefined();
  });
});

describe("events", () => {
  const update: IsmEvent = { kind: "update", offset: 0x40, devid: 0x99n };
  const attach: IsmEvent = { kind: "attach", offset: 0x80, devid: 0x98n, peers: 2 };
  const detach: IsmEvent = { kind: "detach", offset: 0x80, devid: 0x98n, peers: 0 };
  const free: IsmEvent = { kind: "buffer-free", buffer: 0x1000n };

  it("are laid out back to back, each sized by its ev_type", () => {
    const bytes = encodeEvents([update, attach, free, detach]);
    expect([...bytes]).toEqual([
      ...le64(1n), ...le64(0x40n), ...le64(0x99n),
      ...le64(2n), ...le64(0x80n), ...le64(0x98n), ...le64(2n),
      ...le64(8n), ...le64(0x1000n),
      ...le64(4n), ...le64(0x80n), ...le64(0x98n), ...le64(0n),
    ]);
    expect(decodeEvents(bytes)).toEqual({ ok: true, events: [update, attach, free, detach] });
  });

  it("refuse unknown types and truncated structures", () => {
    expect(decodeEvents(Uint8Array.of(...le64(16n), ...le64(0n)))).toEqual({ ok: false, problem: "unknown-type", at: 0 });
    const bytes = encodeEvents([update, attach]);
    expect(decodeEvents(bytes.subarray(0, 40))).toEqual({ ok: false, problem: "truncated", at: 24 });
    expect(decodeEvents(bytes.subarray(0, 28))).toEqual({ ok: false, problem: "truncated", at: 24 });
  });
});
