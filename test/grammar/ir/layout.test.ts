/**
 * The layout rules of grammar/ir/layout.ts on every C construct the spec writes: unions (top-level and inline),
 * the spec's bit-field notation and C bit-fields packed into their integer, anonymous members, nested named
 * structs, fields after a variable-length array, and the type vocabulary (anything outside it diagnosed).
 */
import { describe, expect, it } from "vitest";
import { runFrontEnd } from "../../../grammar/pipeline.js";
import type { Field, SpecIR, Struct } from "../../../grammar/ir/types.js";

let cached: SpecIR | undefined;
const ir = (): SpecIR => (cached ??= runFrontEnd("test/fixtures/ir/layout.tex").ir);
const struct = (name: string): Struct => {
  const s = ir().structs.find((x) => x.name === name);
  if (!s) throw new Error(`no struct ${name}`);
  return s;
};
const field = (fields: Field[], name: string): Field => {
  const f = fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
};
const place = (f: Field) => ({ name: f.name, offset: f.offset, size: f.size, bitOffset: f.bitOffset, bitWidth: f.bitWidth });

describe("struct layout by the spec's rules", () => {
  it("packs the introduction's bit-field example into its be16 (A low 15 bits, B the high bit, y at 2)", () => {
    const s = struct("S");
    expect(s.size).toBe(4);
    const x = field(s.fields, "x");
    expect(x).toMatchObject({ offset: 0, size: 2, aggregate: "bits", type: { kind: "primitive", name: "be16", endian: "be" } });
    expect(x.members!.map(place)).toEqual([
      { name: "A", offset: 0, size: 2, bitOffset: 0, bitWidth: 15 },
      { name: "B", offset: 0, size: 2, bitOffset: 15, bitWidth: 1 },
    ]);
    expect(field(s.fields, "y").offset).toBe(2);
  });

  it("lays an inline union out as its largest member, every member at 0", () => {
    const s = struct("with_union");
    const u = field(s.fields, "u");
    expect(u).toMatchObject({ offset: 4, size: 128, aggregate: "union" });
    expect(u.members!.map((m) => [m.name, m.offset, m.size])).toEqual([
      ["string", 0, 128],
      ["bitmap", 0, 128],
      ["abs", 0, 8],
      ["ids", 0, 4],
    ]);
    // Members of a struct inside the union follow one another again.
    expect(field(field(u.members!, "ids").members!, "vendor").offset).toBe(2);
    expect(s.size).toBe(132);
  });

  it("lists a struct defined inside another among the structs, laid out", () => {
    const abs = struct("with_union_abs");
    expect(abs.size).toBe(8);
    expect(abs.fields.map((f) => [f.name, f.offset])).toEqual([["min", 0], ["max", 4]]);
  });

  it("names an anonymous member from its contents and packs its bit-fields", () => {
    const s = struct("anonymous_bits");
    expect(s.size).toBe(4);
    const anon = s.fields[0]!;
    expect(anon).toMatchObject({ name: "anon_type", anonymous: true, offset: 0, size: 2 });
    expect(anon.members!.map(place)).toEqual([
      { name: "type", offset: 0, size: 2, bitOffset: 0, bitWidth: 12 },
      { name: "reserved", offset: 0, size: 2, bitOffset: 12, bitWidth: 4 },
    ]);
    expect(field(s.fields, "length").offset).toBe(2);
  });

  it("packs consecutive C bit-fields of one type into one unit while they fit", () => {
    const s = struct("c_bits");
    const flags = field(s.fields, "flags");
    expect(flags).toMatchObject({ offset: 8, size: 4, aggregate: "struct" });
    expect(flags.members!.map(place)).toEqual([
      { name: "unmap", offset: 0, size: 4, bitOffset: 0, bitWidth: 1 },
      { name: "reserved", offset: 0, size: 4, bitOffset: 1, bitWidth: 31 },
    ]);
    // lo and hi fill one le16; next opens a second one.
    expect(["lo", "hi", "next"].map((n) => place(field(s.fields, n)))).toEqual([
      { name: "lo", offset: 12, size: 2, bitOffset: 0, bitWidth: 4 },
      { name: "hi", offset: 12, size: 2, bitOffset: 4, bitWidth: 12 },
      { name: "next", offset: 14, size: 2, bitOffset: 0, bitWidth: 4 },
    ]);
    expect(field(s.fields, "tail").offset).toBe(16);
    expect(s.size).toBe(17);
  });

  it("lays a top-level union out as its largest member", () => {
    const u = struct("whole_union");
    expect(u.kind).toBe("union");
    expect(u.size).toBe(8);
    expect(u.fields.map((f) => f.offset)).toEqual([0, 0]);
  });

  it("gives a field after a variable-length array its offset from that array's end", () => {
    const s = struct("after_array");
    expect(s.size).toBeNull();
    expect(s.minSize).toBe(2);
    const rel = (n: string) => ({ offset: field(s.fields, n).offset, afterVariable: field(s.fields, n).afterVariable });
    expect(rel("table")).toEqual({ offset: 2, afterVariable: undefined });
    expect(rel("after")).toEqual({ offset: null, afterVariable: { field: "table", offset: 0 } });
    expect(rel("key_length")).toEqual({ offset: null, afterVariable: { field: "table", offset: 2 } });
    expect(rel("key")).toEqual({ offset: null, afterVariable: { field: "table", offset: 3 } });
    expect(rel("last")).toEqual({ offset: null, afterVariable: { field: "key", offset: 0 } });
  });

  it("gives a union with a variable member no size, but its largest member's minimum", () => {
    const s = struct("variable_union");
    expect(s.size).toBeNull();
    expect(s.minSize).toBe(8);
    const list = field(s.fields[0]!.members!, "list");
    expect(list).toMatchObject({ offset: 0, size: null });
    expect(field(list.members!, "items")).toMatchObject({ offset: 8, size: null, elementSize: 8 });
  });

  it("sizes le8 as a byte and diagnoses every type outside the vocabulary at its position", () => {
    const s = struct("vocabulary");
    expect(field(s.fields, "byte")).toMatchObject({ offset: 0, size: 1, type: { kind: "primitive", name: "le8" } });
    expect(field(s.fields, "wide")).toMatchObject({ offset: 1, size: 16 });
    expect(field(s.fields, "addr")).toMatchObject({ offset: 17, size: 8, type: { kind: "pointer" } });
    expect(field(s.fields, "native")).toMatchObject({ offset: 25, size: 4 });
    expect(field(s.fields, "unknown")).toMatchObject({ size: null, type: { kind: "unknown", name: "le24" } });
    const said = ir().diagnostics.filter((d) => d.code === "wire-type-outside-vocabulary").map((d) => [d.source.line, d.message.split(":")[0]]);
    expect(said).toEqual([
      [68, "vocabulary.wide"],
      [69, "vocabulary.addr"],
      [70, "vocabulary.native"],
    ]);
    const overflow = ir().diagnostics.filter((d) => d.code === "bit-field-overflow");
    expect(overflow).toHaveLength(1);
    expect(overflow[0]).toMatchObject({ severity: "error", source: { file: "layout.tex", line: 72 } });
  });
});
