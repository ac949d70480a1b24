/**
 * The generator on a synthetic IR unlike either seed, to show that everything comes from IR fields: a
 * framing struct whose command field is named `opcode` (found by position) with an extra big-endian header
 * field, a feature-conditional field in the middle of a struct (later fields get dynamic offsets), a counted
 * array of nested structs with a u8 count, le128 and big-endian fields, events keyed on a u8 field, and an
 * ack group with no `ERR` name (the largest value is the error status).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFolder, writeFolder, type GenerateResult } from "../../generator/index.js";
import type { Constant, Field, SourceSpan, SpecIR, Struct, TypeRef } from "../../grammar/ir/types.js";
import { CodecError } from "../../runtime/codec/index.js";
import { structValue, type Registry } from "./schema-arbitrary.js";

const at = (line: number): SourceSpan => ({ file: "foo.tex", line, column: 1, endLine: line, endColumn: 1 });
const SEC = "sec:Device Types / Foo Device";
const prim = (name: "u8" | "le16" | "le32" | "le64" | "le128" | "be16" | "be32" | "u16", size: number): TypeRef => ({ kind: "primitive", name, size, endian: name.startsWith("be") ? "be" : name.startsWith("le") ? "le" : "none" });
function field(name: string, type: TypeRef, size: number | null, extra: Partial<Field> = {}): Field {
  return { name, type, offset: null, elementSize: size, size, array: { kind: "none" }, source: at(10), ...extra };
}
function struct(name: string, fields: Field[]): Struct {
  return { name, kind: "struct", fields, size: null, minSize: 0, section: `${SEC} / Layout`, device: "foo", source: at(5) };
}
function constant(name: string, value: number, group: string, extra: Partial<Constant> = {}): Constant {
  return { name, value, valueText: String(value), group, section: SEC, device: "foo", source: at(20), ...extra };
}

const EXTRA = { feature: "FOO_F_EXTRA", negotiated: true, text: "only if FOO_F_EXTRA" };
const BIG = { feature: "FOO_F_BIG", negotiated: true, text: "only if FOO_F_BIG" };
const pairT: TypeRef = { kind: "struct", name: "foo_pair", resolved: true };

const ir: SpecIR = {
  irVersion: "1.0.0",
  input: { kind: "tex", path: "synthetic/foo.tex", sha256: "0".repeat(64) },
  files: ["foo.tex"],
  sections: [{ label: SEC, title: "Foo Device", level: 1, source: at(1) }],
  devices: [
    {
      name: "Foo Device",
      slug: "foo",
      deviceId: 99,
      section: SEC,
      virtqueues: [],
      features: [
        { name: "FOO_F_EXTRA", bit: 3, description: "extra flags", device: "foo", section: SEC, source: at(3) },
        { name: "FOO_F_BIG", bit: 40, description: "big values", device: "foo", section: SEC, source: at(4) },
      ],
      structs: [],
      enums: [],
      constantGroups: ["foo:acks", "foo:ops", "foo:events"],
      source: at(1),
    },
  ],
  featureBits: [],
  structs: [
    struct("foo_pair", [field("a", prim("be16", 2), 2), field("b", prim("u8", 1), 1)]),
    struct("foo_ctrl", [
      field("opcode", prim("le32", 4), 4),
      field("tag", prim("be16", 2), 2),
      field("data", prim("u8", 1), null, { elementSize: 1, array: { kind: "flexible" } }),
      field("status", prim("u8", 1), 1),
      field("out", prim("u8", 1), null, { elementSize: 1, array: { kind: "flexible" } }),
    ]),
    struct("foo_set", [
      field("n", prim("u8", 1), 1),
      field("flags", prim("le16", 2), 2, { presence: EXTRA }),
      field("after", prim("le32", 4), 4),
      field("pairs", pairT, null, { elementSize: 3, array: { kind: "flexible", countField: "n" } }),
    ]),
    struct("foo_ping_reply", [field("id", prim("le128", 16), 16), field("tail", prim("u8", 1), null, { elementSize: 1, array: { kind: "flexible" } })]),
    struct("foo_event_a", [field("kind", prim("u8", 1), 1), field("pad", prim("u8", 1), 1), field("x", prim("be32", 4), 4)]),
    struct("foo_event_b", [
      field("kind", prim("u8", 1), 1),
      field("pad", prim("u8", 1), 1),
      field("y", prim("le64", 8), 8, { presence: BIG }),
      field("arr", prim("u16", 2), 6, { elementSize: 2, array: { kind: "fixed", length: 3 } }),
    ]),
  ],
  enums: [],
  constants: [
    constant("FOO_OK", 0, "foo:acks"),
    constant("FOO_BUSY", 3, "foo:acks"),
    constant("FOO_FAIL", 9, "foo:acks"),
    constant("FOO_OP_PING", 1, "foo:ops"),
    constant("FOO_OP_SET", 0x102, "foo:ops"),
    constant("FOO_EV_A", 1, "foo:events"),
    constant("FOO_EV_B", 2, "foo:events"),
  ],
  constantGroups: [
    { id: "foo:acks", title: "status values", kind: "ack", constants: ["FOO_OK", "FOO_BUSY", "FOO_FAIL"], section: SEC, device: "foo", source: at(20) },
    { id: "foo:ops", title: "operations", kind: "request", constants: ["FOO_OP_PING", "FOO_OP_SET"], section: SEC, device: "foo", source: at(21) },
    { id: "foo:events", title: "events", kind: "event", constants: ["FOO_EV_A", "FOO_EV_B"], section: SEC, device: "foo", source: at(22) },
  ],
  commands: [
    { name: "FOO_OP_PING", value: 1, reply: "foo_ping_reply", framing: "foo_ctrl", section: `${SEC} / Ping`, device: "foo", source: at(30) },
    { name: "FOO_OP_SET", value: 0x102, request: "foo_set", framing: "foo_ctrl", section: `${SEC} / Set`, device: "foo", source: at(31) },
  ],
  events: [
    { name: "FOO_EV_A", value: 1, struct: "foo_event_a", discriminator: "kind", device: "foo", source: at(40) },
    { name: "FOO_EV_B", value: 2, struct: "foo_event_b", discriminator: "kind", device: "foo", source: at(41) },
  ],
  normativeSections: [],
  requirements: [],
  conformance: [],
  diagnostics: [],
};

// Generated code imports ../../runtime/codec/index.js, so the folder must sit two levels under the root.
// A dot-folder is outside tsc's `generated` include glob, so a crashed run leaves nothing tsc would check.
const dir = join("generated", `.tmp-synthetic-${process.pid}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let foo: any;
let result: GenerateResult;

beforeAll(async () => {
  result = await generateFolder(ir, { devices: ["foo"], verify: true });
  writeFolder(dir, result.files);
  foo = await import(/* @vite-ignore */ `../../${dir}/index.ts`);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s|]/g, "");
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}

describe("generator on a synthetic IR", () => {
  it("generates every file without degradations", () => {
    expect(result.warnings).toEqual([]);
    expect(result.files.map((f) => f.path)).toEqual(["constants.ts", "structs.ts", "events.ts", "control.ts", "device.ts", "index.ts"]);
  });

  it("lays out a conditional field in the middle, then dynamic offsets and a counted nested array", () => {
    const v = { flags: 0xbeef, after: 0x01020304, pairs: [{ a: 0x0a0b, b: 1 }, { a: 0x0c0d, b: 2 }] };
    const withExtra = hex("02 | ef be | 04 03 02 01 | 0a 0b 01 | 0c 0d 02");
    const out = new Uint8Array(withExtra.length);
    expect(foo.encodeFooSet(v, out, 0, { features: 1n << 3n })).toBe(13);
    expect(out).toEqual(withExtra);
    expect(foo.decodeFooSet(withExtra, 0, { features: 1n << 3n })).toEqual({ n: 2, ...v });
    const without = hex("02 | 04 03 02 01 | 0a 0b 01 | 0c 0d 02");
    expect(foo.decodeFooSet(without, 0, { features: 0n })).toEqual({ n: 2, flags: undefined, after: 0x01020304, pairs: v.pairs });
    expect(foo.FooSetSchema.fields.map((f: { offset: number | null }) => f.offset)).toEqual([0, 1, null, null]);
    expect(() => foo.decodeFooSet(hex("03 04 03 02 01 0a 0b 01"), 0)).toThrow(expect.objectContaining({ reason: "short-buffer", field: "pairs" }));
    expect(() => foo.encodeFooSet({ after: 1, pairs: new Array(256).fill({ a: 0, b: 0 }) }, new Uint8Array(2000))).toThrow(expect.objectContaining({ reason: "out-of-range", field: "n" }));
  });

  it("round-trips every codec from its schema (le128, big-endian, fixed u16 arrays, features above bit 31)", () => {
    const registry = foo.structCodecs as Registry;
    for (const codec of Object.values(registry)) {
      fc.assert(
        fc.property(
          fc.constantFrom(0n, 1n << 3n, 1n << 40n, (1n << 3n) | (1n << 40n)).chain((features) => fc.tuple(fc.constant(features), structValue(codec.schema, registry, features))),
          ([features, { input, expected }]) => {
            const c = codec as unknown as { encode(v: unknown, b: Uint8Array, o: number, x: object): number; decode(b: Uint8Array, o: number, x: object): unknown; encodedLength(v: unknown, x: object): number };
            const buf = new Uint8Array(c.encodedLength(input, { features }));
            c.encode(input, buf, 0, { features });
            expect(c.decode(buf, 0, { features })).toEqual(expected);
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it("frames commands: opcode found by position, tag as a header field, status + reply", () => {
    const msg = foo.encodeFooRequest("SET", { after: 5, pairs: [] }, { tag: 0x1234 });
    expect(msg).toEqual(hex("02 01 00 00 | 12 34 | 00 | 05 00 00 00"));
    expect(foo.decodeFooRequest(msg)).toEqual({ command: "SET", request: { n: 0, flags: undefined, after: 5, pairs: [] }, header: { tag: 0x1234 } });
    const reply = hex("00 | 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 | aa");
    expect(foo.decodeFooReply("PING", reply)).toEqual({ ack: 0, reply: { id: (1n << 127n) | 1n, tail: hex("aa") }, payload: reply.slice(1) });
    expect(() => foo.decodeFooRequest(hex("03 00 00 00 00 00"))).toThrow(CodecError);
  });

  it("answers refused requests with the largest ack value when no name ends in ERR", async () => {
    class Dev extends foo.FooDeviceBase {
      handlePing() {
        return { ack: 0, reply: { id: 7n, tail: new Uint8Array(0) } };
      }
      handleSet() {
        return { ack: 3 };
      }
    }
    const dev = new Dev();
    const out = new Uint8Array(32);
    expect(await dev.dispatch(hex("07 00 00 00 00 00"), out, undefined)).toMatchObject({ ack: 9, written: 1 });
    expect(await dev.dispatch(hex("01 00 00 00 00 00"), out, undefined)).toMatchObject({ command: "PING", ack: 0, written: 17 });
    expect(await dev.dispatch(hex("02 01 00 00 00 00 | 00 | 00 00 00 00"), out, undefined)).toMatchObject({ command: "SET", ack: 3, written: 1 });
  });

  it("decodes events keyed on a u8 field, with a conditional field in one of them", () => {
    const bytes = hex("01 00 | 00 00 00 2a | 02 00 | 01 00 02 00 03 00");
    expect(foo.decodeFooEvents(bytes)).toEqual([
      { type: "A", event: { kind: 1, pad: 0, x: 42 } },
      { type: "B", event: { kind: 2, pad: 0, y: undefined, arr: [1, 2, 3] } },
    ]);
    expect(() => foo.decodeFooEvents(bytes, { features: 1n << 40n })).toThrow(expect.objectContaining({ reason: "short-buffer" }));
  });
});
