/**
 * Codecs compiled from a {@link StructSchema} at run time, on first use, and cached: the protobuf-es shape
 * (one type and one schema object per struct, generic code that reads the schema), for schemas that are only
 * known at run time (the playground's pasted proposals, IR JSON loaded by a tool) and as the measured
 * alternative to today's generated functions (test/bench/codec.bench.ts compares both with hand-written code).
 *
 * The compiled code is the same straight-line JavaScript the generator writes (one DataView read per field,
 * constant offsets until the first variable-length or feature-conditional field), built as source text and
 * turned into a function once per schema; it refuses every input the generated decoder refuses, with the same
 * {@link CodecError}s. Decode handles every schema the generator produces; encode handles structs without
 * bit-fields, unions or feature-conditional fields ({@link compileCodec} says which it could not compile).
 *
 * @module
 */
import { arrayError, bytesError, countBytes, countMismatch, lengthError, spanError, valueError } from "./check.js";
import { CodecError } from "./errors.js";
import type { CodecOptions, FieldSchema, StructCodec, StructSchema, WireType } from "./schema.js";

/** A decoded or to-be-encoded struct value: field keys to numbers, bigints, byte arrays, arrays and structs. */
export type SchemaValue = Record<string, unknown>;

/** What {@link compileCodec} returns: a codec, with `encode`/`encodedLength` absent where they could not be compiled. */
export interface CompiledCodec {
  readonly schema: StructSchema;
  decode(bytes: Uint8Array, offset?: number, options?: CodecOptions): SchemaValue;
  decodedLength(bytes: Uint8Array, offset?: number, options?: CodecOptions): number;
  /** Absent when {@link CompiledCodec.encodeUnsupported} says why. */
  encode?: (value: SchemaValue, bytes: Uint8Array, offset?: number, options?: CodecOptions) => number;
  encodedLength?: (value: SchemaValue, options?: CodecOptions) => number;
  /** Why `encode` was not compiled (a bit-field, union or feature-conditional field), when it was not. */
  encodeUnsupported?: string;
}

/** Finds the schema of a nested struct by its spec name. */
export type SchemaResolver = (name: string) => StructSchema | undefined;

const cache = new WeakMap<StructSchema, CompiledCodec>();

/** Thrown when a schema cannot be compiled at all (a nested struct the resolver does not know). */
export class SchemaCompileError extends Error {
  override readonly name = "SchemaCompileError";
}

const BIG = new Set<WireType>(["le64", "be64", "le128", "pointer"]);

function dvRead(wire: WireType, at: string): string {
  switch (wire) {
    case "u8":
    case "bytes":
      return `b[${at}]`;
    case "le16":
      return `d.getUint16(${at}, true)`;
    case "be16":
      return `d.getUint16(${at}, false)`;
    case "le32":
      return `d.getUint32(${at}, true)`;
    case "be32":
      return `d.getUint32(${at}, false)`;
    case "le64":
    case "pointer":
      return `d.getBigUint64(${at}, true)`;
    case "be64":
      return `d.getBigUint64(${at}, false)`;
    case "le128":
      return `((d.getBigUint64(${at} + 8, true) << 64n) | d.getBigUint64(${at}, true))`;
    case "struct":
      throw new SchemaCompileError("a struct has no primitive read");
  }
}

function dvWrite(wire: WireType, at: string, v: string): string {
  switch (wire) {
    case "u8":
    case "bytes":
      return `b[${at}] = ${v};`;
    case "le16":
      return `d.setUint16(${at}, ${v}, true);`;
    case "be16":
      return `d.setUint16(${at}, ${v}, false);`;
    case "le32":
      return `d.setUint32(${at}, ${v}, true);`;
    case "be32":
      return `d.setUint32(${at}, ${v}, false);`;
    case "le64":
    case "pointer":
      return `d.setBigUint64(${at}, ${v}, true);`;
    case "be64":
      return `d.setBigUint64(${at}, ${v}, false);`;
    case "le128":
      return `d.setBigUint64(${at}, BigInt.asUintN(64, ${v}), true); d.setBigUint64(${at} + 8, ${v} >> 64n, true);`;
    case "struct":
      throw new SchemaCompileError("a struct has no primitive write");
  }
}

/**
 * Source of a condition that is true when `v` does NOT fit the wire type (also catches wrong kinds and
 * undefined). Shared with the generator, which writes the same check into generated encoders.
 */
export function badValueExpr(wire: WireType, v: string): string {
  switch (wire) {
    case "u8":
    case "bytes":
      return `(${v} & 0xff) !== ${v}`;
    case "le16":
    case "be16":
      return `(${v} & 0xffff) !== ${v}`;
    case "le32":
    case "be32":
      return `${v} >>> 0 !== ${v}`;
    case "le64":
    case "be64":
    case "pointer":
      return `typeof ${v} !== "bigint" || BigInt.asUintN(64, ${v}) !== ${v}`;
    case "le128":
      return `typeof ${v} !== "bigint" || BigInt.asUintN(128, ${v}) !== ${v}`;
    case "struct":
      throw new SchemaCompileError("a struct has no value check");
  }
}

const isByteArray = (f: FieldSchema) => f.array.kind !== "scalar" && (f.wire === "u8" || f.wire === "bytes");
const q = (s: string) => JSON.stringify(s);
const plus = (base: string, n: number) => (n === 0 ? base : `${base} + ${n}`);

interface Emitted {
  decode: string;
  decodedLength: string;
  encode?: string;
  encodedLength?: string;
  encodeUnsupported?: string;
}

/** Source text of the functions for `s`; nested codecs are `n[i]` (indices into `nested`). */
function emit(s: StructSchema, nestedIndex: (name: string) => number): Emitted {
  const fields = s.fields;
  const staticPrefix = (() => {
    let end = 0;
    for (const f of fields) {
      if (f.presence || f.size === null || f.offset === null) break;
      end = Math.max(end, f.offset + f.size);
    }
    return s.kind === "union" ? (s.size ?? s.minSize) : end;
  })();
  const lines: string[] = [];
  const hasPresence = fields.some((f) => f.presence);
  lines.push(`if (!(Number.isSafeInteger(o) && o >= 0 && b.length - o >= ${staticPrefix})) throw h.spanError(S, o, ${staticPrefix}, b.length);`);
  if (hasPresence) lines.push("const features = options?.features ?? 0n;");
  lines.push("const d = new DataView(b.buffer, b.byteOffset, b.byteLength);");
  const locals = new Map<string, string>();
  let dyn = false;
  fields.forEach((f, i) => {
    const local = `f${i}`;
    locals.set(f.name, local);
    const makesDyn = f.presence !== undefined || f.size === null;
    if (!dyn && makesDyn) {
      lines.push(`let p = ${plus("o", f.offset ?? staticPrefix)};`);
      dyn = true;
    }
    const at = dyn ? "p" : plus("o", f.offset!);
    const body: string[] = [];
    const name = q(f.name);
    const check = (n: string) => {
      if (dyn) body.push(`if (!(b.length - ${at} >= ${n})) throw h.spanError(S, ${at}, ${n}, b.length, ${name});`);
    };
    const one = (pos: string) => (f.wire === "struct" ? `n[${nestedIndex(f.struct!)}].decode(b, ${pos}, options)` : dvRead(f.wire, pos));
    const a = f.array;
    let bytesExpr: string | undefined;
    if (f.bits) {
      const { offset, width } = f.bits;
      const x = one(at);
      const big = BIG.has(f.wire);
      body.push(
        width === f.elementSize * 8
          ? `const ${local} = ${x};`
          : big
            ? `const ${local} = Number((${x} >> ${offset}n) & 0x${(2n ** BigInt(width) - 1n).toString(16)}n);`
            : `const ${local} = ${offset === 0 ? x : `(${x} >>> ${offset})`} & 0x${(2 ** width - 1).toString(16)};`,
      );
    } else if (a.kind === "scalar") {
      check(String(f.size));
      body.push(`const ${local} = ${one(at)};`);
      if (dyn && f.size === null && f.wire === "struct") {
        bytesExpr = `${local}Bytes`;
        body.push(`const ${bytesExpr} = n[${nestedIndex(f.struct!)}].decodedLength(b, ${at}, options);`);
      }
    } else {
      if (a.kind === "fixed") {
        bytesExpr = String(f.size);
        check(bytesExpr);
      } else if (a.kind === "counted") {
        bytesExpr = `${local}Bytes`;
        const count = locals.get(a.countField)!;
        const per = f.elementSize * a.perCount;
        const countField = fields.find((c) => c.name === a.countField)!;
        const stmt = `const ${bytesExpr} = ${BIG.has(countField.wire) ? `${count} <= 0xffffffffn ? Number(${count}) * ${per} : h.countBytes(${count}, ${per})` : `${count} * ${per}`};`;
        const chk = `if (!(b.length - ${at} >= ${bytesExpr})) throw h.spanError(S, ${at}, ${bytesExpr}, b.length, ${name});`;
        body.push(stmt, chk);
      } else {
        bytesExpr = `${local}Bytes`;
        body.push(`const ${bytesExpr} = b.length - ${at};`);
        if (f.elementSize > 1) body.push(`if (${bytesExpr} % ${f.elementSize} !== 0) throw h.lengthError(S, ${name}, ${at}, \`\${${bytesExpr}} trailing bytes are not whole ${f.elementSize}-byte elements\`);`);
      }
      if (isByteArray(f)) body.push(`const ${local} = b.slice(${at}, ${at} + ${bytesExpr});`);
      else {
        body.push(`const ${local} = [];`);
        body.push(`for (let i = ${at}, end = ${at} + ${bytesExpr}; i < end; i += ${f.elementSize}) ${local}.push(${one("i")});`);
      }
    }
    const size = f.size !== null ? String(f.size) : bytesExpr ?? `${local}Bytes`;
    const advance = dyn ? `p += ${size};` : undefined;
    if (f.presence) {
      const mask = `0x${(1n << BigInt(f.presence.bit)).toString(16)}n`;
      const cond = `(features & ${mask}) ${f.presence.negotiated ? "!==" : "==="} 0n`;
      lines.push(`let ${local};`, `if (${cond}) {`, ...body.map((l) => "  " + l.replace(`const ${local} =`, `${local} =`)), ...(advance ? [`  ${advance}`] : []), "}");
    } else {
      lines.push(...body);
      if (advance) lines.push(advance);
    }
  });
  const decode = [...lines, `return { ${fields.map((f, i) => `${q(f.key)}: f${i}`).join(", ")} };`].join("\n");
  // The same reads, ending at the cursor: every check decode makes, so a length is never one decode refuses.
  const decodedLength = [...lines, `return ${dyn ? "p - o" : staticPrefix};`].join("\n");
  const out: Emitted = { decode, decodedLength };
  const unsupported = s.kind === "union" ? "a union" : fields.find((f) => f.bits) ? "bit-fields" : hasPresence ? "feature-conditional fields" : undefined;
  if (unsupported) out.encodeUnsupported = `${s.name}: encode of ${unsupported} is not compiled from schemas`;
  else Object.assign(out, emitEncode(s, nestedIndex));
  return out;
}

function emitEncode(s: StructSchema, nestedIndex: (name: string) => number): { encode: string; encodedLength: string } {
  const fields = s.fields;
  const counts = new Map<string, FieldSchema>(); // count field name → its array
  for (const f of fields) if (f.array.kind === "counted") counts.set(f.array.countField, f);
  const access = (f: FieldSchema) => `value[${q(f.key)}]`;
  const len: string[] = [`let n = ${fields.reduce((t, f) => t + (f.size ?? 0), 0)};`];
  for (const f of fields) {
    if (f.size !== null) continue;
    const v = `value[${q(f.key)}]`;
    const name = q(f.name);
    if (f.array.kind === "scalar" && f.wire === "struct") {
      len.push(`n += n_[${nestedIndex(f.struct!)}].encodedLength(${v}, options);`);
      continue;
    }
    len.push(isByteArray(f) ? `if (!(${v} instanceof Uint8Array)) throw h.bytesError(S, ${name}, offset, ${v});` : `if (!Array.isArray(${v})) throw h.arrayError(S, ${name}, offset, ${v});`);
    const per = f.array.kind === "counted" ? f.array.perCount : 1;
    if (per > 1) len.push(`if (${v}.length % ${per} !== 0) throw h.lengthError(S, ${name}, offset, \`\${${v}.length} elements are not whole rows of ${per}\`);`);
    len.push(`n += ${v}.length${isByteArray(f) ? "" : ` * ${f.elementSize}`};`);
  }
  len.push("return n;");
  const enc: string[] = [
    `const n = ${s.size !== null ? s.size : "L(value, options, o)"};`,
    "if (!(Number.isSafeInteger(o) && o >= 0 && b.length - o >= n)) throw h.spanError(S, o, n, b.length);",
    "const d = new DataView(b.buffer, b.byteOffset, b.byteLength);",
  ];
  let dyn = false;
  fields.forEach((f, i) => {
    if (!dyn && f.size === null) {
      enc.push(`let p = ${plus("o", f.offset ?? 0)};`);
      dyn = true;
    }
    const at = dyn ? "p" : plus("o", f.offset!);
    const v = `v${i}`;
    const name = q(f.name);
    const spec = q(f.specType);
    const arr = counts.get(f.name);
    const one = (val: string, pos: string) =>
      f.wire === "struct" ? [`n_[${nestedIndex(f.struct!)}].encode(${val}, b, ${pos}, options);`] : [`if (${badValueExpr(f.wire, val)}) throw h.valueError(S, ${name}, ${pos}, ${val}, ${spec});`, dvWrite(f.wire, pos, val)];
    if (arr) {
      const per = arr.array.kind === "counted" ? arr.array.perCount : 1;
      const lenExpr = `${access(arr)}.length${per > 1 ? ` / ${per}` : ""}`;
      enc.push(`const ${v} = ${BIG.has(f.wire) ? `BigInt(${lenExpr})` : lenExpr};`);
      enc.push(`const ${v}Given = ${access(f)};`);
      enc.push(`if (${v}Given !== undefined && ${v}Given !== ${v}) throw h.countMismatch(S, ${name}, ${at}, ${v}Given, ${access(arr)}.length);`);
    } else enc.push(`const ${v} = ${access(f)};`);
    const a = f.array;
    if (a.kind === "scalar") enc.push(...one(v, at));
    else if (isByteArray(f)) {
      enc.push(`if (!(${v} instanceof Uint8Array)) throw h.bytesError(S, ${name}, ${at}, ${v});`);
      if (a.kind === "fixed") enc.push(`if (${v}.length !== ${a.length}) throw h.lengthError(S, ${name}, ${at}, \`\${${v}.length} bytes given, the field holds ${a.length}\`);`);
      enc.push(`b.set(${v}, ${at});`);
    } else {
      enc.push(`if (!Array.isArray(${v})) throw h.arrayError(S, ${name}, ${at}, ${v});`);
      if (a.kind === "fixed") enc.push(`if (${v}.length !== ${a.length}) throw h.lengthError(S, ${name}, ${at}, \`\${${v}.length} elements given, the field holds ${a.length}\`);`);
      enc.push(`for (let i = 0; i < ${v}.length; i++) {`, `  const e = ${v}[i];`, ...one("e", `${at} + i * ${f.elementSize}`).map((l) => "  " + l), "}");
    }
    if (dyn && i < fields.length - 1) {
      const size = f.size !== null ? String(f.size) : f.wire === "struct" && a.kind === "scalar" ? `n_[${nestedIndex(f.struct!)}].encodedLength(${v}, options)` : `${v}.length${isByteArray(f) ? "" : ` * ${f.elementSize}`}`;
      enc.push(`p += ${size};`);
    }
  });
  enc.push("return n;");
  return { encode: enc.join("\n"), encodedLength: len.join("\n") };
}

const HELPERS = { spanError, lengthError, countBytes, countMismatch, valueError, bytesError, arrayError };

/**
 * The codec of `schema`, compiled on first use and cached per schema object.
 *
 * @param schema - the struct's schema (e.g. a generated `…Schema` constant, or one built from IR JSON)
 * @param resolve - finds the schemas of nested structs by spec name
 * @throws {@link SchemaCompileError} when a nested struct cannot be resolved
 */
export function compileCodec(schema: StructSchema, resolve: SchemaResolver = () => undefined): CompiledCodec {
  const hit = cache.get(schema);
  if (hit) return hit;
  const nested: CompiledCodec[] = [];
  const names: string[] = [];
  const nestedIndex = (name: string): number => {
    const i = names.indexOf(name);
    if (i >= 0) return i;
    names.push(name);
    return names.length - 1;
  };
  const e = emit(schema, nestedIndex);
  for (const name of names) {
    const s = resolve(name);
    if (!s) throw new SchemaCompileError(`${schema.name}: nested struct ${name} is not known to the resolver`);
    if (s === schema) throw new SchemaCompileError(`${schema.name}: contains itself`);
    nested.push(compileCodec(s, resolve));
  }
  // Encode needs every nested struct's encode.
  const nestedWithout = nested.find((c) => !c.encode);
  if (e.encode && nestedWithout) {
    delete e.encode;
    delete e.encodedLength;
    e.encodeUnsupported = `${schema.name}: encode needs nested ${nestedWithout.schema.name}'s, and ${nestedWithout.encodeUnsupported}`;
  }
  // One factory per schema: the functions close over the schema, the helpers and the nested codecs.
  const src = [
    "'use strict';",
    `function decode(bytes, offset = 0, options) { const b = bytes; const o = offset; const n = N;\n${e.decode}\n}`,
    `function decodedLength(bytes, offset = 0, options) { const b = bytes; const o = offset; const n = N;\n${e.decodedLength}\n}`,
    e.encodedLength ? `function L(value, options, offset = 0) { const n_ = N;\n${e.encodedLength}\n}` : "const L = undefined;",
    e.encode ? `function encode(value, bytes, offset = 0, options) { const b = bytes; const o = offset; const n_ = N;\n${e.encode}\n}` : "const encode = undefined;",
    "return { decode, decodedLength, encode, encodedLength: L };",
  ].join("\n");
  let fns: Pick<CompiledCodec, "decode" | "decodedLength" | "encode" | "encodedLength">;
  try {
    fns = new Function("h", "S", "N", "CodecError", src)(HELPERS, schema, nested, CodecError) as typeof fns;
  } catch (err) {
    throw new SchemaCompileError(`${schema.name}: compiled source does not parse (${(err as Error).message})`);
  }
  const codec: CompiledCodec = { schema, decode: fns.decode, decodedLength: fns.decodedLength };
  if (fns.encode && fns.encodedLength) {
    codec.encode = fns.encode;
    codec.encodedLength = fns.encodedLength;
  } else codec.encodeUnsupported = e.encodeUnsupported!;
  cache.set(schema, codec);
  return codec;
}

/** A generic {@link StructCodec}-shaped view of a compiled codec, for code written against that interface. */
export function asStructCodec(c: CompiledCodec): StructCodec<SchemaValue> {
  const { encode, encodedLength } = c;
  const refuse = (): never => {
    throw new CodecError("invalid-value", { struct: c.schema.name, offset: 0 }, c.encodeUnsupported!);
  };
  return {
    schema: c.schema,
    decode: c.decode,
    decodedLength: c.decodedLength,
    encode: encode ?? refuse,
    encodedLength: encodedLength ?? refuse,
  };
}
