/**
 * Property tests over every generated codec, driven by the schema objects: decode(encode(x)) == x, the
 * reported lengths agree, and hostile bytes (random, truncated) either decode or throw CodecError — nothing
 * else. Also the control, event and device-dispatch entry points under random bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as ism from "../../generated/ism/index.js";
import * as vpn from "../../generated/vhost-pci-net/index.js";
import { CodecError } from "../../runtime/codec/index.js";
import { featuresFor, structValue, type Registry } from "./schema-arbitrary.js";

const folders: [string, Registry][] = [
  ["ism", ism.structCodecs],
  ["vhost-pci-net", vpn.structCodecs],
];

/** Runs `f`; passes when it returns or throws a CodecError, fails on any other exception. */
function decodesOrCodecError(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
  }
}

for (const [folder, registry] of folders) {
  describe(`${folder} struct codecs`, () => {
    for (const [name, codec] of Object.entries(registry)) {
      const anyCodec = codec as unknown as {
        encode(v: unknown, b: Uint8Array, o?: number, opts?: { features: bigint }): number;
        decode(b: Uint8Array, o?: number, opts?: { features: bigint }): unknown;
        encodedLength(v: unknown, opts?: { features: bigint }): number;
        decodedLength(b: Uint8Array, o?: number, opts?: { features: bigint }): number;
      };
      it(`${name}: decode(encode(x)) == x at any offset`, () => {
        fc.assert(
          fc.property(
            featuresFor().chain((features) => fc.tuple(fc.constant(features), structValue(codec.schema, registry, features), fc.nat(9), fc.nat(4))),
            ([features, { input, expected }, offset, slack]) => {
              const opts = { features };
              const n = anyCodec.encodedLength(input, opts);
              const buf = new Uint8Array(offset + n + slack).fill(0xa5);
              expect(anyCodec.encode(input, buf, offset, opts)).toBe(n);
              // The encoding must not depend on anything past its own end: decode exactly its bytes.
              const exact = buf.subarray(0, offset + n);
              expect(anyCodec.decode(exact, offset, opts)).toEqual(expected);
              expect(anyCodec.decodedLength(exact, offset, opts)).toBe(n);
              if (codec.schema.size !== null) expect(n).toBe(codec.schema.size);
              expect(n).toBeGreaterThanOrEqual(codec.schema.minSize);
              if (codec.schema.maxSize !== null) expect(n).toBeLessThanOrEqual(codec.schema.maxSize);
            },
          ),
          { numRuns: 150 },
        );
      });
      it(`${name}: random and truncated bytes decode or throw CodecError`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: -2, max: 130 }), featuresFor(), (bytes, offset, features) => {
            decodesOrCodecError(() => anyCodec.decode(bytes, offset, { features }));
            decodesOrCodecError(() => anyCodec.decodedLength(bytes, offset, { features }));
          }),
          { numRuns: 150 },
        );
        fc.assert(
          fc.property(
            featuresFor().chain((features) => fc.tuple(fc.constant(features), structValue(codec.schema, registry, features), fc.nat(200))),
            ([features, { input }, cut]) => {
              const opts = { features };
              const full = new Uint8Array(anyCodec.encodedLength(input, opts));
              anyCodec.encode(input, full, 0, opts);
              const truncated = full.subarray(0, full.length === 0 ? 0 : cut % full.length);
              if (codec.schema.size !== null && full.length > 0) {
                expect(() => anyCodec.decode(truncated, 0, opts)).toThrow(CodecError);
              } else {
                decodesOrCodecError(() => anyCodec.decode(truncated, 0, opts));
              }
            },
          ),
          { numRuns: 100 },
        );
      });
      it(`${name}: encode into a too-small buffer throws short-buffer and writes nothing past it`, () => {
        fc.assert(
          fc.property(
            featuresFor().chain((features) => fc.tuple(fc.constant(features), structValue(codec.schema, registry, features))),
            ([features, { input }]) => {
              const opts = { features };
              const n = anyCodec.encodedLength(input, opts);
              if (n === 0) return;
              const buf = new Uint8Array(n - 1);
              expect(() => anyCodec.encode(input, buf, 0, opts)).toThrow(expect.objectContaining({ reason: "short-buffer" }));
              expect(buf.every((x) => x === 0)).toBe(true);
            },
          ),
          { numRuns: 50 },
        );
      });
    }
  });
}

describe("control, events and dispatch under hostile bytes", () => {
  const bytesArb = fc.uint8Array({ maxLength: 96 });
  it("decodeIsmRequest / decodeIsmReply / decodeIsmEvents decode or throw CodecError", () => {
    fc.assert(
      fc.property(bytesArb, featuresFor(), fc.constantFrom(...(Object.keys(ism.ismCommands) as ism.IsmCommandName[])), (bytes, features, command) => {
        decodesOrCodecError(() => ism.decodeIsmRequest(bytes, 0, { features }));
        decodesOrCodecError(() => ism.decodeIsmReply(command, bytes, 0, { features }));
        decodesOrCodecError(() => ism.decodeIsmEvents(bytes, { features }));
      }),
      { numRuns: 400 },
    );
  });
  it("vhost-pci-net and network control decoders decode or throw CodecError", () => {
    fc.assert(
      fc.property(bytesArb, fc.constantFrom(...(Object.keys(vpn.networkCommands) as vpn.NetworkCommandName[])), (bytes, command) => {
        decodesOrCodecError(() => vpn.decodeVhostPciNetRequest(bytes));
        decodesOrCodecError(() => vpn.decodeNetworkRequest(bytes));
        decodesOrCodecError(() => vpn.decodeNetworkReply(command, bytes));
      }),
      { numRuns: 300 },
    );
  });
  it("IsmDeviceBase.dispatch never throws on random requests and answers refusals with VIRTIO_ISM_ERR", async () => {
    class Echo extends ism.IsmDeviceBase {
      handleAllocRegion(r: ism.VirtioIsmCtrlAlloc) {
        return { ack: ism.IsmAck.OK, reply: { token: r.size, chunks: [1n, 2n] } };
      }
      handleQueryInfo() {
        return { ack: ism.IsmAck.ENOENT };
      }
      handleAttachRegion() {
        return { ack: ism.IsmAck.E2BIG, reply: { size: 0n, num: 9n, chunks: [] } };
      }
      handleDetachRegion() {
        return { ack: ism.IsmAck.OK };
      }
      handleGrantSetDefault() {
        return { ack: ism.IsmAck.OK };
      }
      handleGrantSetForDevice() {
        return { ack: ism.IsmAck.OK };
      }
      handleEventVectorSet() {
        return { ack: ism.IsmAck.OK };
      }
    }
    const dev = new Echo();
    await fc.assert(
      fc.asyncProperty(bytesArb, fc.nat(40), async (req, replyLen) => {
        const reply = new Uint8Array(replyLen);
        const r = await dev.dispatch(req, reply, undefined);
        expect(r.written).toBeLessThanOrEqual(replyLen);
        if (r.error) {
          expect(r.error).toBeInstanceOf(CodecError);
          if (replyLen > 0) expect([r.ack, reply[0]]).toEqual([ism.IsmAck.ERR, 255]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
