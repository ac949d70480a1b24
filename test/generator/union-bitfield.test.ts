/**
 * Unions, inline structs and bit-fields on a synthetic IR: the IR shape the generator consumes is a field whose
 * `type` is the storage integer with `bits` (or `bitWidth`) and optional `bitOffset`, and an inline aggregate as
 * `members` with `aggregate` (or a `(anonymous union)` type name).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFolder, writeFolder, type GenerateResult } from "../../generator/index.js";
import type { Field, SourceSpan, SpecIR, Struct, TypeRef } from "../../grammar/ir/types.js";
import { CodecError } from "../../runtime/codec/index.js";

const at = (line: number): SourceSpan => ({ file: "bar.tex", line, column: 1, endLine: line, endColumn: 1 });
const SEC = "sec:Device Types / Bar Device";
const prim = (name: "u8" | "le16" | "le32" | "le64", size: number): TypeRef => ({ kind: "primitive", name, size, endian: name === "u8" ? "none" : "le" });
const field = (name: string, type: TypeRef, size: number | null, extra: Partial<Field> = {}): Field => ({ name, type, offset: null, elementSize: size, size, array: { kind: "none" }, source: at(10), ...extra });
const struct = (name: string, fields: Field[]): Struct => ({ name, kind: "struct", fields, size: null, minSize: 0, section: SEC, device: "bar", source: at(5) });

const ir: SpecIR = {
  irVersion: "1.0.0",
  input: { kind: "tex", path: "synthetic/bar.tex", sha256: "0".repeat(64) },
  files: ["bar.tex"],
  sections: [{ label: SEC, title: "Bar Device", level: 1, source: at(1) }],
  devices: [{ name: "Bar Device", slug: "bar", deviceId: 98, section: SEC, virtqueues: [], features: [], structs: [], enums: [], constantGroups: [], source: at(1) }],
  featureBits: [],
  structs: [
    // like virtio_blk_discard_write_zeroes: an inline anonymous struct of two le32 bit-fields
    struct("bar_discard", [
      field("sector", prim("le64", 8), 8),
      field("flags", { kind: "struct", name: "(anonymous struct)", resolved: true }, 4, {
        members: [field("unmap", prim("le32", 4), 4, { bits: 1 }), field("reserved", prim("le32", 4), 4, { bits: 31 })],
      }),
    ]),
    // like pvirtq_event_suppress: bit-fields directly in the struct, the IR giving their bit offsets
    struct("bar_suppress", [
      field("off", prim("le16", 2), 2, { bitWidth: 15, bitOffset: 0 }),
      field("wrap", prim("le16", 2), 2, { bitWidth: 1, bitOffset: 15 }),
      field("flags", prim("le16", 2), 2, { bitWidth: 2, bitOffset: 0 }),
      field("rest", prim("le16", 2), 2, { bitWidth: 14, bitOffset: 2 }),
    ]),
    // 64-bit storage (none in v1.4 yet): the bits go through BigInt, the values stay numbers
    struct("bar_wide", [
      field("lo", prim("le64", 8), 8, { bitWidth: 12, bitOffset: 0 }),
      field("mid", prim("le64", 8), 8, { bitWidth: 40, bitOffset: 12 }),
      field("hi", prim("le64", 8), 8, { bitWidth: 12, bitOffset: 52 }),
    ]),
    // like virtio_input_config: a header, then an inline union
    struct("bar_config", [
      field("select", prim("u8", 1), 1),
      field("u", { kind: "struct", name: "(anonymous union)", resolved: true }, 8, {
        members: [field("bytes", prim("u8", 1), 8, { elementSize: 1, array: { kind: "fixed", length: 8 } }), field("word", prim("le32", 4), 4)],
      }),
    ]),
  ],
  enums: [],
  constants: [],
  constantGroups: [],
  commands: [],
  events: [],
  normativeSections: [],
  requirements: [],
  conformance: [],
  diagnostics: [],
};

const dir = join("generated", `.tmp-union-bitfield-${process.pid}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let bar: any;
let result: GenerateResult;
beforeAll(async () => {
  result = await generateFolder(ir, { devices: ["bar"], verify: true });
  writeFolder(dir, result.files);
  bar = await import(/* @vite-ignore */ `../../${dir}/index.ts`);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("unions, inline structs and bit-fields", () => {
  it("generates every struct without degradation", () => {
    expect(result.warnings).toEqual([]);
    expect(bar.BarDiscardSize).toBe(12);
    expect(bar.BarSuppressSize).toBe(4);
    expect(bar.BarConfigSize).toBe(9);
  });

  it("packs bit-fields LSB first into their storage integer, and checks their range", () => {
    const out = new Uint8Array(12);
    expect(bar.encodeBarDiscard({ sector: 0x0102n, flags: { unmap: 1, reserved: 0x40000000 } }, out)).toBe(12);
    expect([...out.slice(8)]).toEqual([0x01, 0, 0, 0x80]);
    expect(bar.decodeBarDiscard(out)).toEqual({ sector: 0x0102n, flags: { unmap: 1, reserved: 0x40000000 } });
    expect(() => bar.encodeBarDiscard({ sector: 0n, flags: { unmap: 2, reserved: 0 } }, out)).toThrow(expect.objectContaining({ reason: "out-of-range", field: "unmap" }));
    const s = new Uint8Array(4);
    bar.encodeBarSuppress({ off: 0x1234, wrap: 1, flags: 2, rest: 0x3fff }, s);
    expect([...s]).toEqual([0x34, 0x92, 0xfe, 0xff]);
    expect(bar.decodeBarSuppress(s)).toEqual({ off: 0x1234, wrap: 1, flags: 2, rest: 0x3fff });
    expect(bar.BarSuppressSchema.fields.map((f: { offset: number; bits: { offset: number } }) => [f.offset, f.bits.offset])).toEqual([[0, 0], [0, 15], [2, 0], [2, 2]]);
  });

  it("packs bit-fields into 64-bit storage through BigInt and keeps values as numbers", () => {
    expect(bar.BarWideSize).toBe(8);
    const out = new Uint8Array(8);
    const value = { lo: 0xabc, mid: 0xff_1234_5678, hi: 0xfed };
    expect(bar.encodeBarWide(value, out)).toBe(8);
    const word = new DataView(out.buffer).getBigUint64(0, true);
    expect(word).toBe(0xabcn | (0xff_1234_5678n << 12n) | (0xfedn << 52n));
    expect(bar.decodeBarWide(out)).toEqual(value);
    expect(() => bar.encodeBarWide({ ...value, hi: 0x1000 }, out)).toThrow(expect.objectContaining({ reason: "out-of-range", field: "hi" }));
    const v = bar.BarWideView.over(out);
    v.mid = 1;
    expect([v.lo, v.mid, v.hi]).toEqual([0xabc, 1, 0xfed]);
  });

  it("view setters write a bit-field's bits and keep the others", () => {
    const s = new Uint8Array(4);
    const v = bar.BarSuppressView.over(s);
    v.off = 0x7fff;
    v.wrap = 0;
    expect(v.off).toBe(0x7fff);
    v.wrap = 1;
    expect([v.off, v.wrap, [...s]]).toEqual([0x7fff, 1, [0xff, 0xff, 0, 0]]);
    expect(() => (v.off = 0x8000)).toThrow(CodecError);
  });

  it("lays out union members at offset 0: decode reads every member, encode takes exactly one", () => {
    const out = new Uint8Array(9).fill(0xee);
    expect(bar.encodeBarConfig({ select: 3, u: { word: 0x04030201 } }, out)).toBe(9);
    expect([...out]).toEqual([3, 1, 2, 3, 4, 0, 0, 0, 0]);
    expect(bar.decodeBarConfig(out)).toEqual({ select: 3, u: { bytes: Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0), word: 0x04030201 } });
    expect(() => bar.encodeBarConfig({ select: 3, u: {} }, out)).toThrow(expect.objectContaining({ reason: "invalid-value" }));
    expect(() => bar.encodeBarConfig({ select: 3, u: { word: 1, bytes: new Uint8Array(8) } }, out)).toThrow(expect.objectContaining({ reason: "invalid-value" }));
    expect(bar.BarConfigUSchema.kind).toBe("union");
  });
});
