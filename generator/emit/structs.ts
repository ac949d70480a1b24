/**
 * structs.ts of a generated folder: per struct a value type, a schema object, bounds-checked
 * `decode`/`encode` on `Uint8Array` (plus `read`/`write` on `DataView`), `lengthOf`/`measure`, a codec
 * object, and a zero-copy view class; then a registry of all codecs.
 *
 * Generated code shape (why): one upfront bounds check covers every field at a static offset, so a fixed
 * struct costs one comparison; fields after a variable or feature-conditional field use a cursor `p` with a
 * check each. Values are validated inline (`(v & 0xff) !== v`, `BigInt.asUintN(64, v) !== v`) and the
 * typed error is built only on the failing path.
 *
 * @module
 */
import type CodeBlockWriter from "code-block-writer";
import type { FieldSchema } from "../../runtime/codec/schema.js";
import { access, camel, propKey } from "../names.js";
import { sourceRef } from "../plan/context.js";
import type { FieldPlan, PlannedStruct, StructPlan } from "../plan/structs.js";
import { escapeDoc, specRef, writeDoc } from "./doc.js";
import { tsLiteral } from "./literal.js";
import { badValueExpr, dvReadExpr, dvWriteStmts, elementType, fieldType, helpersOf, isBigWire, isByteArray, plus, readExpr, viewGet, viewSet } from "./wire-expr.js";

/** Names of the generated symbols of one struct plan. */
export function structNames(p: StructPlan): {
  schema: string;
  codec: string;
  view: string;
  decode: string;
  encode: string;
  read: string;
  write: string;
  lengthOf: string;
  measure: string;
  size: string;
} {
  const t = p.typeName;
  return {
    schema: `${t}Schema`,
    codec: `${t}Codec`,
    view: `${t}View`,
    decode: `decode${t}`,
    encode: `encode${t}`,
    read: `read${t}`,
    write: `write${t}`,
    lengthOf: `lengthOf${t}`,
    measure: `measure${t}`,
    size: p.size !== null ? `${t}Size` : `${t}MinSize`,
  };
}

/** Every struct codec plan in emission order (framing structs contribute their two parts). */
export function codecPlans(structs: readonly PlannedStruct[]): StructPlan[] {
  return structs.flatMap((s) => (s.kind === "codec" ? [s.plan] : s.kind === "framing" ? [s.framing.driver, s.framing.device] : []));
}

/** Runtime helpers a set of plans needs, for the import line. */
export function runtimeImports(plans: readonly StructPlan[]): { values: string[]; types: string[] } {
  // CodecError always: every codec's TSDoc links to it.
  const values = new Set(["CodecError", "spanError", "valueError", "bytesOf"]);
  for (const p of plans) {
    for (const f of p.fields) {
      if (f.array.kind !== "scalar") values.add(isByteArray(f) ? "bytesError" : "arrayError");
      if (f.array.kind === "fixed" || f.array.kind === "rest" || f.array.kind === "counted") values.add("lengthError");
      if (f.array.kind === "counted") values.add("countBytes");
      if (f.countOf) values.add("countMismatch");
      if (f.presence) values.add("CodecError");
      if (f.array.kind !== "scalar" && !isByteArray(f)) values.add("CodecError");
    }
  }
  return { values: [...values].sort(), types: ["CodecOptions", "FieldSchema", "StructCodec", "StructSchema"] };
}

/**
 * Hot paths (decode, encode, a view's `over`) inline the bounds check and the DataView construction instead of
 * calling the runtime's `fits` and `viewOf`: under module runners that rewrite imports into namespace-object property reads (vitest's,
 * bundlers' interop), a call to an imported helper is not inlined, and that cost 1.4x on small structs.
 */
function inBounds(offset: string, needed: string, length: string): string {
  return `Number.isSafeInteger(${offset}) && ${offset} >= 0 && ${length} - ${offset} >= ${needed}`;
}
const DATAVIEW = "const d = new DataView(b.buffer, b.byteOffset, b.byteLength);";

/**
 * A bit-field's value out of its storage integer `x`: a number below 2^32, or for 64-bit storage a bigint
 * (the value is then a number too: the plan refuses bit-fields wider than 53 bits).
 */
function bitsOf(f: FieldPlan, x: string): string {
  const { offset, width } = f.bits!;
  if (isBigWire(f.wire)) return `Number((${x} >> ${offset}n) & 0x${(2n ** BigInt(width) - 1n).toString(16)}n)`;
  if (width === f.elementSize * 8) return x;
  const shifted = offset === 0 ? x : `(${x} >>> ${offset})`;
  return `${shifted} & 0x${(2 ** width - 1).toString(16)}`;
}

/** True when `v` is not a whole number in the bit-field's range. */
function badBitsExpr(f: FieldPlan, v: string): string {
  return `typeof ${v} !== "number" || !Number.isInteger(${v}) || ${v} < 0 || ${v} > 0x${(2 ** f.bits!.width - 1).toString(16)}`;
}

function fieldDocLine(f: FieldPlan): string {
  const where = f.staticOffset !== null ? `at offset ${f.staticOffset}` : "after the variable part";
  const arr =
    f.array.kind === "fixed"
      ? `[${f.array.length}]`
      : f.array.kind === "counted"
        ? `[${f.array.countField}${f.array.perCount > 1 ? ` × ${f.array.perCount}` : ""}]`
        : f.array.kind === "rest"
          ? "[] (the rest of the buffer)"
          : "";
  if (f.bits) return `\`${escapeDoc(f.specType)}\`: bits ${f.bits.offset}..${f.bits.offset + f.bits.width - 1} of the ${f.elementSize * 8}-bit integer ${where}.`;
  return `\`${escapeDoc(f.specType).replace(/\\/g, "")}${arr ? ` ${arr}` : ""}\` ${where}${f.size !== null ? ` (${f.size} bytes)` : ""}.`;
}

function fieldDoc(f: FieldPlan, input: boolean): string[] {
  const paras: string[] = [`\`${f.name}\`: ${fieldDocLine(f)}`];
  if (isBigWire(f.wire)) paras.push(f.wire === "pointer" ? "A 64-bit little-endian guest address, as a bigint." : "As a bigint (64/128-bit field).");
  if (f.field.type.kind === "primitive" && f.field.type.endian === "none" && f.elementSize > 1) {
    paras.push("Native-endian in the spec; encoded little-endian (virtio is little-endian since 1.0).");
  }
  if (isByteArray(f)) paras.push(f.array.kind === "rest" || f.array.kind === "counted" ? "Decoded as a copy of the bytes (not a view into the buffer)." : "Decoded as a copy.");
  if (f.presence) {
    paras.push(`On the wire only if ${f.presence.feature} is ${f.presence.negotiated ? "" : "not "}negotiated (pass \`features\`); undefined otherwise. Spec: "${escapeDoc(f.presence.text)}".`);
  }
  if (f.countOf) paras.push(`Element count of \`${f.countOf}\`${input ? ": optional on encode, which fills it in (and checks it when given)" : ""}.`);
  if (f.field.comment && !f.presence) paras.push(`Spec comment: ${escapeDoc(f.field.comment)}.`);
  if (f.note) paras.push(`Note: ${escapeDoc(f.note)}.`);
  paras.push(`Source: ${sourceRef(f.field.source)}.`);
  return paras;
}

function writeTypes(w: CodeBlockWriter, p: StructPlan): void {
  const s = p.struct;
  const partNote = p.part
    ? `The ${p.part}-written part of \`${s.name}\`: ${p.part === "driver" ? "the fields up to and including the first variable-length array" : "the fields after it"} (a virtqueue carries the two parts in separate buffers).`
    : undefined;
  const size = p.size !== null ? `${p.size} bytes.` : `${p.minSize} bytes at least${p.maxSize !== null ? `, ${p.maxSize} at most` : ""}.`;
  writeDoc(w, [`\`struct ${s.name}\`${p.part ? ` (${p.part}-written part)` : ""}: ${size}`, partNote, ...p.notes.map((n) => `Note: ${escapeDoc(n)}.`), specRef(s.section, s.source)]);
  w.writeLine(`export interface ${p.typeName} {`);
  w.indent(() => {
    for (const f of p.fields) {
      writeDoc(w, fieldDoc(f, false));
      w.writeLine(`${propKey(f.key)}${f.presence ? "?" : ""}: ${fieldType(f, false)};`);
    }
  });
  w.writeLine("}");
  if (p.union) {
    w.blankLine();
    writeDoc(w, [`What {@link encode${p.typeName}} accepts: exactly one member of the union (the rest of its bytes are written as zeros).`, specRef(s.section, s.source)]);
    w.writeLine(`export type ${p.inputName} = { [K in keyof ${p.typeName}]: { [M in K]: ${p.typeName}[K] } & { [M in Exclude<keyof ${p.typeName}, K>]?: undefined } }[keyof ${p.typeName}];`);
  } else if (p.inputName !== p.typeName) {
    w.blankLine();
    const counts = p.fields.filter((f) => f.countOf).map((f) => JSON.stringify(f.key));
    const nested = p.fields.filter((f) => f.nested && f.nested.inputName !== f.nested.typeName);
    writeDoc(w, [`What {@link encode${p.typeName}} accepts: a {@link ${p.typeName}} whose count fields are optional (encode fills them in from the arrays).`, specRef(s.section, s.source)]);
    const omitted = [...counts, ...nested.map((f) => JSON.stringify(f.key))];
    const parts = [`Omit<${p.typeName}, ${omitted.join(" | ")}>`];
    if (counts.length) {
      parts.push(`{ ${p.fields.filter((f) => f.countOf).map((f) => `${propKey(f.key)}?: ${fieldType(f, true)}`).join("; ")} }`);
    }
    if (nested.length) parts.push(`{ ${nested.map((f) => `${propKey(f.key)}${f.presence ? "?" : ""}: ${fieldType(f, true)}`).join("; ")} }`);
    w.writeLine(`export type ${p.inputName} = ${parts.join(" & ")};`);
  }
}

function schemaOf(f: FieldPlan): FieldSchema {
  const s: FieldSchema = {
    name: f.name,
    key: f.key,
    specType: f.specType,
    wire: f.wire,
    elementSize: f.elementSize,
    array: f.array,
    offset: f.staticOffset,
    size: f.size,
    source: sourceRef(f.field.source),
  };
  if (f.presence) s.presence = { feature: f.presence.feature, bit: f.presence.bit, negotiated: f.presence.negotiated };
  if (f.nested) s.struct = f.nested.name;
  if (f.bits) s.bits = { offset: f.bits.offset, width: f.bits.width };
  return s;
}

function writeSchema(w: CodeBlockWriter, p: StructPlan): void {
  const n = structNames(p);
  writeDoc(w, [`Layout of \`${p.name}\`: offsets, sizes and spec sources of its fields.`, specRef(p.struct.section, p.struct.source)]);
  const schema = {
    name: p.name,
    size: p.size,
    minSize: p.minSize,
    maxSize: p.maxSize,
    section: p.struct.section,
    source: sourceRef(p.struct.source),
  };
  w.writeLine(`export const ${n.schema}: StructSchema = {`);
  w.indent(() => {
    for (const [k, v] of Object.entries(schema)) w.writeLine(`${k}: ${JSON.stringify(v)},`);
    w.writeLine("fields: [");
    w.indent(() => {
      for (const f of p.fields) w.writeLine(`${tsLiteral(schemaOf(f))},`);
    });
    w.writeLine("],");
    if (p.union) w.writeLine(`kind: "union",`);
  });
  w.writeLine("};");
  w.blankLine();
  writeDoc(w, [p.size !== null ? `Size of \`${p.name}\` in bytes.` : `Fewest bytes an encoding of \`${p.name}\` takes.`, specRef(p.struct.section, p.struct.source)]);
  w.writeLine(`export const ${n.size} = ${p.size ?? p.minSize};`);
}

function presenceCond(f: FieldPlan): string {
  const mask = `0x${(1n << BigInt(f.presence!.bit)).toString(16)}n`;
  return `(features & ${mask}) ${f.presence!.negotiated ? "!==" : "==="} 0n`;
}

/** Statements decoding field `f` at `at` into local `local`; `dyn` says whether `at` is the cursor `p`. */
function decodeField(f: FieldPlan, at: string, local: string, p: StructPlan, schema: string, checked: boolean, locals: Map<string, string>): string[] {
  const out: string[] = [];
  const name = JSON.stringify(f.name);
  const check = (n: string): void => {
    if (!checked) out.push(`if (!(b.length - ${at} >= ${n})) throw spanError(${schema}, ${at}, ${n}, b.length, ${name});`);
  };
  // Multi-byte reads go through the DataView `d`: as fast as byte arithmetic for small fields and faster for
  // 64-bit ones, which otherwise need BigInt shifts (measured in test/bench/codec.bench.ts).
  const one = (pos: string): string => (f.wire === "struct" ? `decode${f.nested!.typeName}(b, ${pos}, options)` : f.wire === "u8" || f.wire === "bytes" ? readExpr(f.wire, pos) : dvReadExpr(f.wire, pos));
  const a = f.array;
  if (f.bits) {
    out.push(`const ${local} = ${bitsOf(f, one(at))};`);
    return out;
  }
  if (a.kind === "scalar") {
    check(String(f.size));
    out.push(`const ${local} = ${one(at)};`);
    return out;
  }
  let bytesExpr: string;
  if (a.kind === "fixed") {
    bytesExpr = String(f.size);
    check(bytesExpr);
  } else if (a.kind === "counted") {
    bytesExpr = `${local}Bytes`;
    // Checked arithmetic without a call: a count of up to 32 bits times an element size stays below 2^53;
    // a 64-bit count above 2^32 goes through countBytes (exact, or Infinity, which no buffer satisfies).
    const count = locals.get(a.countField)!;
    const per = f.elementSize * a.perCount;
    const countField = p.fields.find((c) => c.name === a.countField)!;
    out.push(`const ${bytesExpr} = ${isBigWire(countField.wire) ? `${count} <= 0xffffffffn ? Number(${count}) * ${per} : countBytes(${count}, ${per})` : `${count} * ${per}`};`);
    out.push(`if (!(b.length - ${at} >= ${bytesExpr})) throw spanError(${schema}, ${at}, ${bytesExpr}, b.length, ${name});`);
  } else {
    bytesExpr = `${local}Bytes`;
    out.push(`const ${bytesExpr} = b.length - ${at};`);
    if (f.elementSize > 1) {
      out.push(`if (${bytesExpr} % ${f.elementSize} !== 0) throw lengthError(${schema}, ${name}, ${at}, \`\${${bytesExpr}} trailing bytes are not whole ${f.elementSize}-byte elements\`);`);
    }
  }
  if (isByteArray(f)) {
    out.push(`const ${local} = b.slice(${at}, ${at} + ${bytesExpr});`);
    return out;
  }
  out.push(`const ${local}: ${elementType(f, false)}[] = [];`);
  const el = one("i");
  out.push(`for (let i = ${at}, end = ${at} + ${bytesExpr}; i < end; i += ${f.elementSize}) ${local}.push(${el});`);
  void p;
  return out;
}

function writeDecode(w: CodeBlockWriter, p: StructPlan): void {
  const n = structNames(p);
  const hasPresence = p.fields.some((f) => f.presence);
  writeDoc(w, [
    `Decodes \`${p.name}\` from \`bytes\` at \`offset\`.`,
    `Throws {@link CodecError} (\`short-buffer\`, \`bad-offset\`${p.fields.some((f) => f.array.kind === "rest" && f.elementSize > 1) ? ", `bad-length`" : ""}) when the bytes do not hold one; never reads past \`bytes\`.`,
    "@param bytes - the buffer",
    "@param offset - where the struct starts",
    hasPresence ? "@param options - `features`: the negotiated feature bits, which decide the conditional fields" : "@param options - unused (no feature-conditional fields); accepted for a uniform signature",
    specRef(p.struct.section, p.struct.source),
  ]);
  w.writeLine(`export function ${n.decode}(bytes: Uint8Array, offset = 0, options?: CodecOptions): ${p.typeName} {`);
  w.indent(() => {
    w.writeLine("const b = bytes;");
    w.writeLine("const o = offset;");
    w.writeLine(`if (!(${inBounds("o", String(p.staticPrefix), "b.length")})) throw spanError(${n.schema}, o, ${p.staticPrefix}, b.length);`);
    if (hasPresence) w.writeLine("const features = options?.features ?? 0n;");
    if (p.fields.some((f) => f.wire !== "u8" && f.wire !== "bytes" && f.wire !== "struct")) w.writeLine(DATAVIEW);
    const locals = new Map<string, string>();
    let dyn = false;
    p.fields.forEach((f, i) => {
      const local = `f${i}`;
      locals.set(f.name, local);
      const makesDyn = f.presence !== undefined || f.size === null;
      if (!dyn && makesDyn) {
        w.writeLine(`let p = ${plus("o", f.staticOffset!)};`);
        dyn = true;
      }
      const at = dyn ? "p" : plus("o", f.staticOffset!);
      const lines = decodeField(f, at, f.presence ? `${local}v` : local, p, n.schema, !dyn, locals);
      const advance = dyn && i < p.fields.length - 1 ? `p += ${f.size ?? `${local}Bytes`};` : undefined;
      if (f.presence) {
        w.writeLine(`let ${local}: ${fieldType(f, false)} | undefined;`);
        w.writeLine(`if (${presenceCond(f)}) {`);
        w.indent(() => {
          for (const l of lines) w.writeLine(l);
          w.writeLine(`${local} = ${local}v;`);
          if (advance) w.writeLine(advance.replace(`${local}Bytes`, `${local}vBytes`));
        });
        w.writeLine("}");
      } else {
        for (const l of lines) w.writeLine(l);
        if (advance) w.writeLine(advance);
      }
    });
    w.writeLine(`return { ${p.fields.map((f, i) => `${propKey(f.key)}: f${i}`).join(", ")} };`);
  });
  w.writeLine("}");
}

function writeLengthOf(w: CodeBlockWriter, p: StructPlan): void {
  const n = structNames(p);
  writeDoc(w, [
    `Bytes {@link ${n.encode}} writes for \`value\`. Checks the kinds and lengths of variable-length arrays (throws {@link CodecError}).`,
    "@param value - the value to measure",
    "@param options - `features`, when the struct has feature-conditional fields",
    "@param offset - where the struct would start, for error reports",
    specRef(p.struct.section, p.struct.source),
  ]);
  w.writeLine(`export function ${n.lengthOf}(value: ${p.inputName}, options?: CodecOptions, offset = 0): number {`);
  w.indent(() => {
    const variable = p.fields.filter((f) => f.presence || f.size === null);
    if (!variable.length) {
      w.writeLine(`return ${p.size};`);
      return;
    }
    if (variable.some((f) => f.presence)) w.writeLine("const features = options?.features ?? 0n;");
    w.writeLine(`let n = ${p.minSize};`);
    for (const f of variable) {
      const at = f.staticOffset !== null ? plus("offset", f.staticOffset) : "offset";
      const name = JSON.stringify(f.name);
      if (f.presence) {
        w.writeLine(`if (${presenceCond(f)}) n += ${f.size};`);
        continue;
      }
      const v = access("value", f.key);
      const local = `${camel(f.key)}Value`;
      w.writeLine(`const ${local} = ${v};`);
      const perCount = f.array.kind === "counted" ? f.array.perCount : 1;
      if (isByteArray(f)) {
        w.writeLine(`if (!(${local} instanceof Uint8Array)) throw bytesError(${n.schema}, ${name}, ${at}, ${local});`);
      } else {
        w.writeLine(`if (!Array.isArray(${local})) throw arrayError(${n.schema}, ${name}, ${at}, ${local});`);
      }
      if (perCount > 1) {
        w.writeLine(`if (${local}.length % ${perCount} !== 0) throw lengthError(${n.schema}, ${name}, ${at}, \`\${${local}.length} elements are not whole rows of ${perCount}\`);`);
      }
      w.writeLine(`n += ${local}.length${isByteArray(f) ? "" : ` * ${f.elementSize}`};`);
    }
    w.writeLine("return n;");
  });
  w.writeLine("}");
}

/** Statements encoding field `f` (value in local `v`) at `at`. */
function encodeField(f: FieldPlan, at: string, v: string, schema: string, p: StructPlan): string[] {
  const out: string[] = [];
  const name = JSON.stringify(f.name);
  const expected = JSON.stringify(f.specType);
  const one = (val: string, pos: string): string[] =>
    f.wire === "struct"
      ? [`encode${f.nested!.typeName}(${val}, b, ${pos}, options);`]
      : [`if (${badValueExpr(f.wire, val)}) throw valueError(${schema}, ${name}, ${pos}, ${val}, ${expected});`, ...dvWriteStmts(f.wire, pos, val)];
  const a = f.array;
  if (a.kind === "scalar") return one(v, at);
  if (isByteArray(f)) {
    if (a.kind === "fixed") {
      out.push(`if (!(${v} instanceof Uint8Array)) throw bytesError(${schema}, ${name}, ${at}, ${v});`);
      out.push(`if (${v}.length !== ${a.length}) throw lengthError(${schema}, ${name}, ${at}, \`\${${v}.length} bytes given, the field holds ${a.length}\`);`);
    }
    out.push(`b.set(${v}, ${at});`);
    return out;
  }
  if (a.kind === "fixed") {
    out.push(`if (!Array.isArray(${v})) throw arrayError(${schema}, ${name}, ${at}, ${v});`);
    out.push(`if (${v}.length !== ${a.length}) throw lengthError(${schema}, ${name}, ${at}, \`\${${v}.length} elements given, the field holds ${a.length}\`);`);
  }
  out.push(`for (let i = 0; i < ${v}.length; i++) {`);
  out.push(`  const e = ${v}[i]!;`);
  for (const l of one("e", `${at} + i * ${f.elementSize}`)) out.push(`  ${l}`);
  out.push("}");
  void p;
  return out;
}

function countValue(count: FieldPlan, array: FieldPlan): string {
  const perCount = array.array.kind === "counted" ? array.array.perCount : 1;
  const len = `${camel(array.key)}Value.length${perCount > 1 ? ` / ${perCount}` : ""}`;
  return isBigWire(count.wire) ? `BigInt(${len})` : len;
}

/** Encode of a union: exactly one member given; the union's bytes are zeroed, then that member written. */
function writeEncodeUnion(w: CodeBlockWriter, p: StructPlan): void {
  const n = structNames(p);
  writeDoc(w, [
    `Encodes \`value\` (exactly one member of the union \`${p.name}\`) into \`bytes\` at \`offset\`: zeroes the union's ${p.size} bytes, then writes the member; returns ${p.size}.`,
    "Throws {@link CodecError} when the target is too small (`short-buffer`), when not exactly one member is given (`invalid-value`), or the member's value does not fit (`out-of-range`, `bad-length`).",
    "@param value - one member",
    "@param bytes - the target buffer",
    "@param offset - where the union starts",
    "@param options - passed to nested codecs",
    specRef(p.struct.section, p.struct.source),
  ]);
  w.writeLine(`export function ${n.encode}(value: ${p.inputName}, bytes: Uint8Array, offset = 0, options?: CodecOptions): number {`);
  w.indent(() => {
    w.writeLine("const b = bytes;");
    w.writeLine("const o = offset;");
    w.writeLine(`if (!(${inBounds("o", String(p.size), "b.length")})) throw spanError(${n.schema}, o, ${p.size}, b.length);`);
    w.writeLine(`const given = ${JSON.stringify(p.fields.map((f) => f.key))}.filter((k) => (value as Record<string, unknown>)[k] !== undefined);`);
    w.writeLine(`if (given.length !== 1) throw new CodecError("invalid-value", { struct: ${n.schema}.name, offset: o }, \`${p.name}: a union takes exactly one member, \${given.length} given\`);`);
    if (p.fields.some((f) => f.wire !== "u8" && f.wire !== "bytes" && f.wire !== "struct")) w.writeLine(DATAVIEW);
    w.writeLine(`b.fill(0, o, o + ${p.size});`);
    p.fields.forEach((f, i) => {
      const v = `v${i}`;
      w.writeLine(`const ${v} = ${access("value", f.key)};`);
      w.writeLine(`if (${v} !== undefined) {`);
      w.indent(() => {
        for (const l of encodeField(f, "o", v, n.schema, p)) w.writeLine(l);
      });
      w.writeLine("}");
    });
    w.writeLine(`return ${p.size};`);
  });
  w.writeLine("}");
}

function writeEncode(w: CodeBlockWriter, p: StructPlan): void {
  if (p.union) return writeEncodeUnion(w, p);
  const n = structNames(p);
  const hasPresence = p.fields.some((f) => f.presence);
  const variable = p.size === null;
  writeDoc(w, [
    `Encodes \`value\` as \`${p.name}\` into \`bytes\` at \`offset\`; returns the number of bytes written.`,
    `Throws {@link CodecError} when the target is too small (\`short-buffer\`) or a value does not fit its field (\`out-of-range\`, \`invalid-value\`, \`missing-field\`${p.fields.some((f) => f.countOf) ? ", `count-mismatch`" : ""}${p.fields.some((f) => f.array.kind !== "scalar") ? ", `bad-length`" : ""}); fields are checked in wire order, so bytes before the bad field may have been written.`,
    "@param value - the value to encode",
    "@param bytes - the target buffer",
    "@param offset - where the struct starts",
    hasPresence ? "@param options - `features`: the negotiated feature bits, which decide the conditional fields" : "@param options - unused (no feature-conditional fields); accepted for a uniform signature",
    specRef(p.struct.section, p.struct.source),
  ]);
  w.writeLine(`export function ${n.encode}(value: ${p.inputName}, bytes: Uint8Array, offset = 0, options?: CodecOptions): number {`);
  w.indent(() => {
    w.writeLine("const b = bytes;");
    w.writeLine("const o = offset;");
    if (hasPresence) w.writeLine("const features = options?.features ?? 0n;");
    const total = variable ? "n" : String(p.size);
    if (variable) w.writeLine(`const n = ${n.lengthOf}(value, options, o);`);
    w.writeLine(`if (!(${inBounds("o", total, "b.length")})) throw spanError(${n.schema}, o, ${total}, b.length);`);
    // Multi-byte fields go through a DataView (64-bit ones through the module's setLe64: see wideWriteHelpers).
    if (p.fields.some((f) => f.wire !== "u8" && f.wire !== "bytes" && f.wire !== "struct")) w.writeLine(DATAVIEW);
    // Arrays measured by lengthOf are re-read into locals so count fields can be filled from them.
    for (const f of p.fields) {
      if (f.array.kind === "counted") w.writeLine(`const ${camel(f.key)}Value = ${access("value", f.key)};`);
    }
    let dyn = false;
    p.fields.forEach((f, i) => {
      const makesDyn = f.presence !== undefined || f.size === null;
      if (!dyn && makesDyn) {
        w.writeLine(`let p = ${plus("o", f.staticOffset!)};`);
        dyn = true;
      }
      const at = dyn ? "p" : plus("o", f.staticOffset!);
      const v = `v${i}`;
      const isLast = i === p.fields.length - 1;
      const advance = dyn && !isLast ? `p += ${f.size ?? `${v}.length${isByteArray(f) ? "" : ` * ${f.elementSize}`}`};` : undefined;
      const name = JSON.stringify(f.name);
      if (f.countOf) {
        const arr = p.fields.find((x) => x.key === f.countOf)!;
        w.writeLine(`const ${v} = ${countValue(f, arr)};`);
        w.writeLine(`const ${v}Given = ${access("value", f.key)};`);
        w.writeLine(`if (${v}Given !== undefined && ${v}Given !== ${v}) throw countMismatch(${n.schema}, ${name}, ${at}, ${v}Given, ${camel(arr.key)}Value.length);`);
        for (const l of encodeField(f, at, v, n.schema, p)) w.writeLine(l);
        if (advance) w.writeLine(advance);
        return;
      }
      if (f.bits) {
        // The members of one storage integer are summed into it, and the integer written once, at the last.
        const unit = `u${p.fields.findLastIndex((x, j) => j <= i && x.bits?.first)}`;
        w.writeLine(`const ${v} = ${access("value", f.key)};`);
        w.writeLine(`if (${badBitsExpr(f, v)}) throw valueError(${n.schema}, ${name}, ${at}, ${v}, ${JSON.stringify(f.specType)});`);
        const term = isBigWire(f.wire) ? `(BigInt(${v}) << ${f.bits.offset}n)` : f.bits.offset === 0 ? v : `${v} * ${2 ** f.bits.offset}`;
        w.writeLine(f.bits.first ? `let ${unit} = ${term};` : `${unit} += ${term};`);
        if (f.bits.last) for (const l of dvWriteStmts(f.wire, at, unit)) w.writeLine(l);
        return;
      }
      const src = f.array.kind === "counted" ? `${camel(f.key)}Value` : access("value", f.key);
      w.writeLine(`const ${v} = ${src};`);
      if (f.presence) {
        w.writeLine(`if (${presenceCond(f)}) {`);
        w.indent(() => {
          w.writeLine(`if (${v} === undefined) throw new CodecError("missing-field", { struct: ${n.schema}.name, field: ${name}, offset: ${at} }, \`${p.name}.${f.name}: on the wire when ${f.presence!.feature} is ${f.presence!.negotiated ? "" : "not "}negotiated, but not given\`);`);
          for (const l of encodeField(f, at, v, n.schema, p)) w.writeLine(l);
          if (advance) w.writeLine(advance);
        });
        w.writeLine(`} else if (${v} !== undefined) {`);
        w.indent(() => {
          w.writeLine(`throw new CodecError("invalid-value", { struct: ${n.schema}.name, field: ${name}, offset: ${at} }, \`${p.name}.${f.name}: given, but not on the wire unless ${f.presence!.feature} is ${f.presence!.negotiated ? "" : "not "}negotiated\`);`);
        });
        w.writeLine("}");
        return;
      }
      for (const l of encodeField(f, at, v, n.schema, p)) w.writeLine(l);
      if (advance) w.writeLine(advance);
    });
    w.writeLine(`return ${total};`);
  });
  w.writeLine("}");
}

function containsUnion(p: StructPlan, seen = new Set<StructPlan>()): boolean {
  if (p.union) return true;
  if (seen.has(p)) return false;
  seen.add(p);
  return p.fields.some((f) => f.nested !== undefined && containsUnion(f.nested, seen));
}

function writeWrappers(w: CodeBlockWriter, p: StructPlan): void {
  const n = structNames(p);
  const ref = specRef(p.struct.section, p.struct.source);
  writeDoc(w, [`{@link ${n.decode}} on a \`DataView\` (same memory, no copy of the buffer).`, "@param view - the buffer", "@param offset - where the struct starts", "@param options - as for decode", ref]);
  w.writeLine(`export function ${n.read}(view: DataView, offset = 0, options?: CodecOptions): ${p.typeName} {`);
  w.indent(() => w.writeLine(`return ${n.decode}(bytesOf(view), offset, options);`));
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [`{@link ${n.encode}} on a \`DataView\`; returns the number of bytes written.`, "@param value - the value to encode", "@param view - the target buffer", "@param offset - where the struct starts", "@param options - as for encode", ref]);
  w.writeLine(`export function ${n.write}(value: ${p.inputName}, view: DataView, offset = 0, options?: CodecOptions): number {`);
  w.indent(() => w.writeLine(`return ${n.encode}(value, bytesOf(view), offset, options);`));
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [`Bytes the \`${p.name}\` encoded at \`offset\` occupies (decodes it to find out; throws {@link CodecError} like decode).`, "@param bytes - the buffer", "@param offset - where the struct starts", "@param options - as for decode", ref]);
  w.writeLine(`export function ${n.measure}(bytes: Uint8Array, offset = 0, options?: CodecOptions): number {`);
  // A decoded union holds every member, an encodable one exactly one: lengthOf reads only variable-length
  // fields, never union members (they have a fixed size), so the decoded value measures the same.
  const decoded = containsUnion(p) ? `${n.decode}(bytes, offset, options) as unknown as ${p.inputName}` : `${n.decode}(bytes, offset, options)`;
  w.indent(() => w.writeLine(p.size !== null ? `${n.decode}(bytes, offset, options);\nreturn ${p.size};` : `return ${n.lengthOf}(${decoded}, options, offset);`));
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [`The uniform codec of \`${p.name}\` (schema plus functions), for generic code.`, ref]);
  w.writeLine(`export const ${n.codec}: StructCodec<${p.typeName}, ${p.inputName}> = {`);
  w.indent(() => {
    w.writeLine(`schema: ${n.schema},`);
    w.writeLine(`decode: ${n.decode},`);
    w.writeLine(`encode: ${n.encode},`);
    w.writeLine(`encodedLength: ${n.lengthOf},`);
    w.writeLine(`decodedLength: ${n.measure},`);
  });
  w.writeLine("};");
}

function writeView(w: CodeBlockWriter, p: StructPlan): void {
  const n = structNames(p);
  const fields = p.fields.filter((f) => f.staticOffset !== null);
  const omitted = p.fields.filter((f) => f.staticOffset === null).map((f) => `\`${f.name}\``);
  const hasPresence = fields.some((f) => f.presence);
  writeDoc(w, [
    `Zero-copy view of a \`${p.name}\` in a \`DataView\`: getters and setters read and write the buffer directly, without allocating per scalar access (array getters returning a \`Uint8Array\` or a nested view allocate that object).`,
    `The constructor checks that the ${p.staticPrefix} bytes of the fixed part fit; setters check values like encode does (throwing {@link CodecError}). Count fields are plain fields here: keep them consistent yourself.`,
    omitted.length ? `Fields with no static offset are not in the view (decode them instead): ${omitted.join(", ")}.` : undefined,
    specRef(p.struct.section, p.struct.source),
  ]);
  w.writeLine(`export class ${n.view} {`);
  w.indent(() => {
    // Private so that no spec field name (`offset`, `view`, …) can collide with them.
    w.writeLine("readonly #view: DataView;");
    w.writeLine("readonly #offset: number;");
    for (const f of fields.filter((x) => x.presence)) w.writeLine(`readonly #has_${f.key}: boolean;`);
    w.blankLine();
    writeDoc(w, [
      "@param view - the memory",
      "@param offset - where the struct starts",
      hasPresence ? "@param options - `features`, which decide whether the conditional fields are there" : "@param options - unused (no feature-conditional fields)",
    ]);
    w.writeLine(`constructor(view: DataView, offset = 0, options?: CodecOptions) {`);
    w.indent(() => {
      w.writeLine(`if (!(${inBounds("offset", String(p.staticPrefix), "view.byteLength")})) throw spanError(${n.schema}, offset, ${p.staticPrefix}, view.byteLength);`);
      w.writeLine("this.#view = view;");
      w.writeLine("this.#offset = offset;");
      if (hasPresence) {
        w.writeLine("const features = options?.features ?? 0n;");
        for (const f of fields.filter((x) => x.presence)) {
          w.writeLine(`this.#has_${f.key} = ${presenceCond(f)};`);
          const end = f.staticOffset! + f.size!;
          w.writeLine(`if (this.#has_${f.key} && !(${inBounds("offset", String(end), "view.byteLength")})) throw spanError(${n.schema}, offset, ${end}, view.byteLength, ${JSON.stringify(f.name)});`);
        }
      }
    });
    w.writeLine("}");
    w.blankLine();
    writeDoc(w, [`A view of the \`${p.name}\` at \`offset\` in \`bytes\` (same memory).`, "@param bytes - the memory", "@param offset - where the struct starts", "@param options - as for the constructor"]);
    w.writeLine(`static over(bytes: Uint8Array, offset = 0, options?: CodecOptions): ${n.view} {`);
    // Inline, not the runtime's viewOf: see inBounds (measured: the imported call made a view 1.4-2x slower than
    // a hand-written decode under vitest, 1.05x inline).
    w.indent(() => w.writeLine(`return new ${n.view}(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset, options);`));
    w.writeLine("}");
    for (const f of fields) {
      w.blankLine();
      writeViewField(w, p, f);
    }
  });
  w.writeLine("}");
}

function writeViewField(w: CodeBlockWriter, p: StructPlan, f: FieldPlan): void {
  const n = structNames(p);
  const at = plus("this.#offset", f.staticOffset!);
  const name = JSON.stringify(f.name);
  const docs = fieldDoc(f, false);
  const key = f.key;
  const getterName = propKey(key);
  if (f.array.kind === "scalar") {
    const t = fieldType(f, false);
    if (f.wire === "struct") {
      writeDoc(w, [...docs, "A view of the nested struct (allocates the view object)."]);
      w.writeLine(`get ${getterName}(): ${f.nested!.typeName}View {`);
      w.indent(() => w.writeLine(`return new ${f.nested!.typeName}View(this.#view, ${at});`));
      w.writeLine("}");
      return;
    }
    if (f.bits) {
      writeDoc(w, docs);
      w.writeLine(`get ${getterName}(): number {`);
      w.indent(() => w.writeLine(`return ${bitsOf(f, viewGet(f.wire, at))};`));
      w.writeLine("}");
      w.blankLine();
      writeDoc(w, [`Sets \`${f.name}\` (checked like encode; the other bits of its integer are kept).`]);
      w.writeLine(`set ${getterName}(v: number) {`);
      w.indent(() => {
        w.writeLine(`if (${badBitsExpr(f, "v")}) throw valueError(${n.schema}, ${name}, ${at}, v, ${JSON.stringify(f.specType)});`);
        w.writeLine(`const old = ${viewGet(f.wire, at)};`);
        const scale = 2 ** f.bits!.offset;
        const mask = `0x${((2n ** BigInt(f.bits!.width) - 1n) << BigInt(f.bits!.offset)).toString(16)}n`;
        const next = isBigWire(f.wire) ? `(old & ~${mask}) | (BigInt(v) << ${f.bits!.offset}n)` : `old - (${bitsOf(f, "old")})${scale === 1 ? "" : ` * ${scale}`} + v${scale === 1 ? "" : ` * ${scale}`}`;
        for (const l of viewSet(f.wire, at, next)) w.writeLine(l);
      });
      w.writeLine("}");
      return;
    }
    writeDoc(w, docs);
    w.writeLine(`get ${getterName}(): ${t}${f.presence ? " | undefined" : ""} {`);
    w.indent(() => w.writeLine(f.presence ? `return this.#has_${key} ? ${viewGet(f.wire, at)} : undefined;` : `return ${viewGet(f.wire, at)};`));
    w.writeLine("}");
    w.blankLine();
    writeDoc(w, [`Sets \`${f.name}\` (checked like encode).`]);
    w.writeLine(`set ${getterName}(v: ${t}) {`);
    w.indent(() => {
      if (f.presence) {
        w.writeLine(`if (!this.#has_${key}) throw new CodecError("invalid-value", { struct: ${n.schema}.name, field: ${name}, offset: ${at} }, "${p.name}.${f.name} is not on the wire under these features");`);
      }
      w.writeLine(`if (${badValueExpr(f.wire, "v")}) throw valueError(${n.schema}, ${name}, ${at}, v, ${JSON.stringify(f.specType)});`);
      for (const l of viewSet(f.wire, at, "v")) w.writeLine(l);
    });
    w.writeLine("}");
    return;
  }
  // Arrays: the element count, then indexed access.
  const lengthName = propKey(`${key}Length`);
  const a = f.array;
  writeDoc(w, [`Element count of \`${f.name}\`${a.kind === "counted" ? ` (from \`${a.countField}\`; throws {@link CodecError} \`short-buffer\` when the buffer does not hold that many)` : a.kind === "rest" ? " (whole elements in the rest of the buffer)" : ""}.`]);
  w.writeLine(`get ${lengthName}(): number {`);
  w.indent(() => {
    if (a.kind === "fixed") w.writeLine(`return ${a.length};`);
    else if (a.kind === "rest") w.writeLine(`return Math.floor((this.#view.byteLength - (${at})) / ${f.elementSize});`);
    else {
      const count = p.fields.find((c) => c.name === a.countField)!;
      const countAt = plus("this.#offset", count.staticOffset!);
      w.writeLine(`const count = ${viewGet(count.wire, countAt)};`);
      w.writeLine(`const bytes = countBytes(count, ${f.elementSize * a.perCount});`);
      w.writeLine(`if (!(this.#view.byteLength - (${at}) >= bytes)) throw spanError(${n.schema}, ${at}, bytes, this.#view.byteLength, ${name});`);
      w.writeLine(`return bytes / ${f.elementSize};`);
    }
  });
  w.writeLine("}");
  w.blankLine();
  if (isByteArray(f)) {
    writeDoc(w, [...docs, "A `Uint8Array` over the same memory (allocates the array object, not the bytes)."]);
    w.writeLine(`get ${getterName}(): Uint8Array {`);
    w.indent(() => w.writeLine(`return new Uint8Array(this.#view.buffer, this.#view.byteOffset + ${at}, this.${key}Length);`));
    w.writeLine("}");
    return;
  }
  const t = elementType(f, false);
  const atName = `${key}At`;
  writeDoc(w, [...docs, `Element \`index\` of \`${f.name}\` (throws {@link CodecError} \`out-of-range\` for an index outside the array).`, "@param index - element index"]);
  w.writeLine(`${atName}(index: number): ${f.wire === "struct" ? `${f.nested!.typeName}View` : t} {`);
  w.indent(() => {
    w.writeLine(`if (!Number.isInteger(index) || index < 0 || index >= this.${key}Length) throw new CodecError("out-of-range", { struct: ${n.schema}.name, field: ${name}, offset: ${at} }, \`${p.name}.${f.name}: index \${index} out of range\`);`);
    const pos = `${at} + index * ${f.elementSize}`;
    w.writeLine(f.wire === "struct" ? `return new ${f.nested!.typeName}View(this.#view, ${pos});` : `return ${viewGet(f.wire, pos)};`);
  });
  w.writeLine("}");
  if (f.wire === "struct") return;
  w.blankLine();
  writeDoc(w, [`Sets element \`index\` of \`${f.name}\` (checked like encode).`, "@param index - element index", "@param v - the value"]);
  w.writeLine(`set${atName[0]!.toUpperCase()}${atName.slice(1)}(index: number, v: ${t}): void {`);
  w.indent(() => {
    w.writeLine(`if (!Number.isInteger(index) || index < 0 || index >= this.${key}Length) throw new CodecError("out-of-range", { struct: ${n.schema}.name, field: ${name}, offset: ${at} }, \`${p.name}.${f.name}: index \${index} out of range\`);`);
    const pos = `${at} + index * ${f.elementSize}`;
    w.writeLine(`if (${badValueExpr(f.wire, "v")}) throw valueError(${n.schema}, ${name}, ${pos}, v, ${JSON.stringify(f.specType)});`);
    for (const l of viewSet(f.wire, pos, "v")) w.writeLine(l);
  });
  w.writeLine("}");
}

/** Writes everything of one struct plan. */
export function writeStructPlan(w: CodeBlockWriter, p: StructPlan): void {
  writeTypes(w, p);
  w.blankLine();
  writeSchema(w, p);
  w.blankLine();
  writeDecode(w, p);
  w.blankLine();
  writeLengthOf(w, p);
  w.blankLine();
  writeEncode(w, p);
  w.blankLine();
  writeWrappers(w, p);
  w.blankLine();
  writeView(w, p);
}

/** Writes the `structCodecs` registry of all plans. */
export function writeRegistry(w: CodeBlockWriter, plans: readonly StructPlan[]): void {
  writeDoc(w, ["Every struct codec of this folder by schema name (framing structs by their two parts), for generic code and property tests."]);
  w.writeLine("export const structCodecs: Readonly<Record<string, StructCodec<unknown, never>>> = {");
  w.indent(() => {
    for (const p of plans) w.writeLine(`${JSON.stringify(p.name)}: ${structNames(p).codec},`);
  });
  w.writeLine("};");
}

/** The value type of a framing struct as a whole (for docs): both parts' fields. */
export function writeFramingType(w: CodeBlockWriter, typeName: string, driver: StructPlan, device: StructPlan): void {
  const s = driver.struct;
  writeDoc(w, [
    `\`struct ${s.name}\`: a framing struct. The driver writes {@link ${driver.typeName}} and the device writes {@link ${device.typeName}} into a separate buffer; each part has its own codec, and control.ts frames commands with them.`,
    specRef(s.section, s.source),
  ]);
  w.writeLine(`export type ${typeName} = ${driver.typeName} & ${device.typeName};`);
}
