/**
 * fast-check arbitraries driven by generated schema objects: a valid value of any generated struct under
 * given features, and the value decode is expected to return for it (count fields filled in, absent
 * conditional fields undefined).
 */
import fc from "fast-check";
import type { FieldSchema, StructCodec, StructSchema } from "../../runtime/codec/index.js";

/** A registry of codecs by schema name (for nested structs). */
export type Registry = Readonly<Record<string, StructCodec<unknown, never>>>;

const MAX: Record<string, bigint> = { le64: 2n ** 64n - 1n, be64: 2n ** 64n - 1n, pointer: 2n ** 64n - 1n, le128: 2n ** 128n - 1n };
const NUM: Record<string, number> = { u8: 0xff, bytes: 0xff, le16: 0xffff, be16: 0xffff, le32: 0xffffffff, be32: 0xffffffff };

function element(f: FieldSchema, registry: Registry, features: bigint): fc.Arbitrary<unknown> {
  if (f.wire === "struct") {
    const codec = registry[f.struct!];
    if (!codec) throw new Error(`no codec for nested ${f.struct}`);
    return structValue(codec.schema, registry, features).map((x) => x.expected);
  }
  const big = MAX[f.wire];
  if (big !== undefined) return fc.oneof(fc.bigInt({ min: 0n, max: big }), fc.constantFrom(0n, big, 0xffffffffn, 0x100000000n));
  return fc.oneof(fc.integer({ min: 0, max: NUM[f.wire]! }), fc.constantFrom(0, NUM[f.wire]!));
}

function present(f: FieldSchema, features: bigint): boolean {
  if (!f.presence) return true;
  return (((features >> BigInt(f.presence.bit)) & 1n) === 1n) === f.presence.negotiated;
}

const isBytes = (f: FieldSchema): boolean => f.array.kind !== "scalar" && (f.wire === "u8" || f.wire === "bytes");

/** A value of `schema` under `features`: `input` to encode (counts omitted or given), `expected` from decode. */
export function structValue(schema: StructSchema, registry: Registry, features: bigint): fc.Arbitrary<{ input: Record<string, unknown>; expected: Record<string, unknown> }> {
  const counted = new Map<string, FieldSchema>();
  for (const f of schema.fields) if (f.array.kind === "counted") counted.set(f.array.countField, f);
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of schema.fields) {
    if (counted.has(f.name) || !present(f, features)) continue;
    const a = f.array;
    if (a.kind === "scalar") parts[f.key] = element(f, registry, features);
    else {
      const n = a.kind === "fixed" ? fc.constant(a.length) : a.kind === "counted" ? fc.integer({ min: 0, max: 6 }).map((k) => k * a.perCount) : fc.integer({ min: 0, max: 12 });
      parts[f.key] = n.chain((len): fc.Arbitrary<unknown> => (isBytes(f) ? fc.uint8Array({ minLength: len, maxLength: len }) : fc.array(element(f, registry, features), { minLength: len, maxLength: len })));
    }
  }
  return fc.record(parts).chain((vals) =>
    fc.boolean().map((giveCounts) => {
      const input: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      for (const f of schema.fields) {
        const arr = counted.get(f.name);
        if (arr) {
          const a = arr.array as { perCount: number };
          const len = (vals[arr.key] as { length: number }).length / a.perCount;
          const v = MAX[f.wire] !== undefined ? BigInt(len) : len;
          expected[f.key] = v;
          if (giveCounts) input[f.key] = v;
          continue;
        }
        if (!present(f, features)) {
          expected[f.key] = undefined;
          continue;
        }
        input[f.key] = vals[f.key];
        expected[f.key] = vals[f.key];
      }
      return { input, expected };
    }),
  );
}

/** Feature words worth trying for a schema: none, all, and random. */
export function featuresFor(): fc.Arbitrary<bigint> {
  return fc.oneof(fc.constant(0n), fc.constant(2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
}
