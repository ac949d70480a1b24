/**
 * Code snippets per wire type: the TypeScript type of a value, the read and write expressions on a
 * `Uint8Array` (`b`) and on a `DataView` (`this.view`), and the inline range check.
 *
 * @module
 */
import type { WireType } from "../../runtime/codec/schema.js";
import type { FieldPlan } from "../plan/structs.js";

/** Whether values of this wire type are bigints. */
export function isBigWire(wire: WireType): boolean {
  return wire === "le64" || wire === "be64" || wire === "le128" || wire === "pointer";
}

/** TypeScript type of one element (`number`, `bigint`, or the nested struct's type). */
export function elementType(f: FieldPlan, input: boolean): string {
  if (f.wire === "struct") return input ? f.nested!.inputName : f.nested!.typeName;
  if (f.wire === "bytes") return "number";
  return isBigWire(f.wire) ? "bigint" : "number";
}

/** Whether the field's value is a `Uint8Array` (byte arrays and opaque runs). */
export function isByteArray(f: FieldPlan): boolean {
  return f.array.kind !== "scalar" && (f.wire === "u8" || f.wire === "bytes");
}

/** TypeScript type of the field's value. */
export function fieldType(f: FieldPlan, input: boolean): string {
  if (f.array.kind === "scalar") return elementType(f, input);
  if (isByteArray(f)) return "Uint8Array";
  return `${elementType(f, input)}[]`;
}

/** Read expression of one primitive element at byte offset expression `at` of `Uint8Array` `b`. */
export function readExpr(wire: WireType, at: string): string {
  switch (wire) {
    case "u8":
    case "bytes":
      return `b[${at}]!`;
    case "le16":
      return `readLe16(b, ${at})`;
    case "le32":
      return `readLe32(b, ${at})`;
    case "le64":
    case "pointer":
      return `readLe64(b, ${at})`;
    case "le128":
      return `readLe128(b, ${at})`;
    case "be16":
      return `readBe16(b, ${at})`;
    case "be32":
      return `readBe32(b, ${at})`;
    case "be64":
      return `readBe64(b, ${at})`;
    case "struct":
      throw new Error("struct has no primitive read");
  }
}

/** Write statement of one primitive element `v` at `at` of `b`. */
export function writeStmt(wire: WireType, at: string, v: string): string {
  switch (wire) {
    case "u8":
    case "bytes":
      return `b[${at}] = ${v};`;
    case "le16":
      return `writeLe16(b, ${at}, ${v});`;
    case "le32":
      return `writeLe32(b, ${at}, ${v});`;
    case "le64":
    case "pointer":
      return `writeLe64(b, ${at}, ${v});`;
    case "le128":
      return `writeLe128(b, ${at}, ${v});`;
    case "be16":
      return `writeBe16(b, ${at}, ${v});`;
    case "be32":
      return `writeBe32(b, ${at}, ${v});`;
    case "be64":
      return `writeBe64(b, ${at}, ${v});`;
    case "struct":
      throw new Error("struct has no primitive write");
  }
}

/** Condition that is true when `v` does NOT fit the wire type (the runtime's schema compiler writes the same). */
export { badValueExpr } from "../../runtime/codec/compile.js";

/** DataView getter expression at `at` (for views). */
export function viewGet(wire: WireType, at: string): string {
  switch (wire) {
    case "u8":
    case "bytes":
      return `this.#view.getUint8(${at})`;
    case "le16":
      return `this.#view.getUint16(${at}, true)`;
    case "be16":
      return `this.#view.getUint16(${at}, false)`;
    case "le32":
      return `this.#view.getUint32(${at}, true)`;
    case "be32":
      return `this.#view.getUint32(${at}, false)`;
    case "le64":
    case "pointer":
      return `this.#view.getBigUint64(${at}, true)`;
    case "be64":
      return `this.#view.getBigUint64(${at}, false)`;
    case "le128":
      return `(this.#view.getBigUint64(${at} + 8, true) << 64n) | this.#view.getBigUint64(${at}, true)`;
    case "struct":
      throw new Error("struct has no DataView getter");
  }
}

/**
 * DataView setter statements at `at` (for views); `view` names the DataView. 64- and 128-bit values go
 * through the module's own `setLe64`/`setBe64` (see {@link wideWriteHelpers}), not `DataView.setBigUint64`.
 */
export function viewSet(wire: WireType, at: string, v: string, view = "this.#view"): string[] {
  switch (wire) {
    case "u8":
    case "bytes":
      return [`${view}.setUint8(${at}, ${v});`];
    case "le16":
      return [`${view}.setUint16(${at}, ${v}, true);`];
    case "be16":
      return [`${view}.setUint16(${at}, ${v}, false);`];
    case "le32":
      return [`${view}.setUint32(${at}, ${v}, true);`];
    case "be32":
      return [`${view}.setUint32(${at}, ${v}, false);`];
    case "le64":
    case "pointer":
      return [`setLe64(${view}, ${at}, ${v});`];
    case "be64":
      return [`setBe64(${view}, ${at}, ${v});`];
    case "le128":
      return [`setLe64(${view}, ${at}, ${v} & 0xffffffffffffffffn);`, `setLe64(${view}, ${at} + 8, ${v} >> 64n);`];
    case "struct":
      throw new Error("struct has no DataView setter");
  }
}

/**
 * Module-local 64-bit writers for a generated codec module, for the wire types it writes (none when it writes
 * no 64/128-bit field).
 *
 * Why not `DataView.setBigUint64`: storing the bigint into a one-element `BigUint64Array` and writing its two
 * 32-bit halves is ~3x faster on V8 (test/bench/codec.bench.ts: the alloc reply's 16 chunks). Why local and
 * not imported from the runtime: module runners that turn imports into namespace property reads (vitest,
 * bundler interop) keep the call from being inlined. The caller has checked `0 <= v < 2^64`. `U64_LO` is
 * the index of the low half in host order, so big-endian hosts write the same bytes.
 */
export function wideWriteHelpers(wires: Iterable<WireType>): string[] {
  const set = new Set(wires);
  const le = set.has("le64") || set.has("pointer") || set.has("le128");
  const be = set.has("be64");
  if (!le && !be) return [];
  const out = [
    "/** Scratch for 64-bit writes: a bigint stored here is read back as two 32-bit halves (no BigInt arithmetic). */",
    "const u64Scratch = new BigUint64Array(1);",
    "const u64Halves = new Uint32Array(u64Scratch.buffer);",
    "/** Index of the low half of `u64Scratch` in `u64Halves` (0 on little-endian hosts). */",
    "const U64_LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;",
  ];
  if (le) {
    out.push(
      "",
      "/** Writes `0 <= v < 2^64` little-endian at `at` (faster than `DataView.setBigUint64` on V8). */",
      "function setLe64(d: DataView, at: number, v: bigint): void {",
      "  u64Scratch[0] = v;",
      "  d.setUint32(at, u64Halves[U64_LO]!, true);",
      "  d.setUint32(at + 4, u64Halves[U64_LO ^ 1]!, true);",
      "}",
    );
  }
  if (be) {
    out.push(
      "",
      "/** Writes `0 <= v < 2^64` big-endian at `at`. */",
      "function setBe64(d: DataView, at: number, v: bigint): void {",
      "  u64Scratch[0] = v;",
      "  d.setUint32(at, u64Halves[U64_LO ^ 1]!, false);",
      "  d.setUint32(at + 4, u64Halves[U64_LO]!, false);",
      "}",
    );
  }
  return out;
}

/** Which runtime helper a read or write of this wire type uses (for the import list). */
export function helpersOf(wire: WireType): string[] {
  switch (wire) {
    case "le16":
      return ["readLe16", "writeLe16"];
    case "le32":
      return ["readLe32", "writeLe32"];
    case "le64":
    case "pointer":
      return ["readLe64", "writeLe64"];
    case "le128":
      return ["readLe128", "writeLe128"];
    case "be16":
      return ["readBe16", "writeBe16"];
    case "be32":
      return ["readBe32", "writeBe32"];
    case "be64":
      return ["readBe64", "writeBe64"];
    default:
      return [];
  }
}

/** `at` plus a constant, folded when `at` is a literal-free base: `o + 8`, `p`, `p + 4`. */
export function plus(base: string, k: number): string {
  return k === 0 ? base : `${base} + ${k}`;
}

/** Read expression of one element through DataView `d` (used for 64/128-bit array elements). */
export function dvReadExpr(wire: WireType, at: string): string {
  return viewGet(wire, at).replace(/this\.#view\./g, "d.");
}

/** Write statements of one element through DataView `d` (multi-byte scalars and elements on encode). */
export function dvWriteStmts(wire: WireType, at: string, v: string): string[] {
  if (wire === "u8" || wire === "bytes") return [`b[${at}] = ${v};`];
  return viewSet(wire, at, v, "d");
}
