/**
 * Field-by-field decoding of pasted bytes by a struct's IR layout, for the hex panel: every field (and bit-field,
 * union member, nested struct member, array element) with its byte range, so the panel can highlight it in the
 * diagram. The layout is the one the generated codecs are built from (offsets by the no-padding rule, unions at
 * 0, bit-fields in their storage integer).
 *
 * @module
 */
import type { Field, SpecIR, Struct } from "../grammar/ir/types.js";

/** One decoded field. */
export interface DecodedField {
  /** Dotted path from the struct (`hdr.flags`, `chunks[3]`). */
  path: string;
  /** Byte offset and size in the pasted bytes. */
  offset: number;
  size: number;
  /** Bit-fields: bit offset and width within the storage integer. */
  bits?: { offset: number; width: number };
  /** The value as text (decimal and hex for integers). */
  value: string;
}

/** The result: the fields decoded, and why decoding stopped early, if it did. */
export interface DecodeResult {
  fields: DecodedField[];
  /** Bytes the layout covers (or that were read when the layout has no fixed size). */
  consumed: number;
  problems: string[];
}

/** Parses hex text (spaces, newlines, `0x`, `:` and `,` allowed) into bytes; a message when it is not hex. */
export function parseHex(text: string): Uint8Array | string {
  const clean = text.replace(/0x/gi, "").replace(/[\s:,]/g, "");
  if (clean.length % 2 !== 0) return `odd number of hex digits (${clean.length})`;
  const bad = /[^0-9a-f]/i.exec(clean);
  if (bad) return `'${bad[0]}' is not a hex digit (at digit ${bad.index + 1})`;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Most elements of one array shown before "…". */
const MAX_ELEMENTS = 64;

/** Decodes `bytes` as `struct` field by field. */
export function decodeStruct(ir: Pick<SpecIR, "structs">, struct: Struct, bytes: Uint8Array): DecodeResult {
  const byName = new Map(ir.structs.map((s) => [s.name, s]));
  const out: DecodedField[] = [];
  const problems: string[] = [];
  let consumed = 0;
  const walk = (fields: readonly Field[], base: number, prefix: string, depth: number): boolean => {
    for (const f of fields) {
      const path = prefix + f.name;
      if (f.offset === null) {
        problems.push(`${path}: its offset depends on a variable-length field before it; decoding stops there`);
        return false;
      }
      const at = base + f.offset;
      if (f.presence) problems.push(`${path}: present only if ${f.presence.feature} is ${f.presence.negotiated ? "" : "not "}negotiated (decoded as present)`);
      const elem = f.elementSize;
      if (f.members && f.members.length) {
        // An inline struct or union, or an array of them (`struct … { … } pmodes[N];`): members per element.
        const n = f.array.kind === "none" ? 1 : f.array.kind === "fixed" ? f.array.length : f.size !== null && elem ? Math.floor(f.size / elem) : 1;
        for (let i = 0; i < Math.min(n, MAX_ELEMENTS); i++) {
          const name = f.array.kind === "none" ? path : `${path}[${i}]`;
          if (depth > 16 || !walk(f.members, at + i * (elem ?? 0), `${name}.`, depth + 1)) return false;
        }
        if (n > MAX_ELEMENTS) out.push({ path: `${path}[${MAX_ELEMENTS}…${n - 1}]`, offset: at + MAX_ELEMENTS * (elem ?? 0), size: (n - MAX_ELEMENTS) * (elem ?? 0), value: `${n - MAX_ELEMENTS} more elements` });
        consumed = Math.max(consumed, at + (f.size ?? 0));
        continue;
      }
      if (elem === null) {
        problems.push(`${path}: no fixed element size; decoding stops there`);
        return false;
      }
      let count: number;
      if (f.array.kind === "none") count = 1;
      else if (f.array.kind === "fixed") count = f.array.length;
      // A length the IR resolved (a named constant such as VIRTIO_CRYPTO_ALG_CHAIN_SESS_OP_SPEC_HDR_SIZE).
      else if (f.size !== null) count = Math.floor(f.size / Math.max(1, elem));
      else count = Math.floor(Math.max(0, bytes.length - at) / Math.max(1, elem)); // flexible or counted: what is there
      for (let i = 0; i < count; i++) {
        const o = at + i * elem;
        const name = f.array.kind === "none" ? path : `${path}[${i}]`;
        if (i === MAX_ELEMENTS) {
          out.push({ path: `${path}[${i}…${count - 1}]`, offset: o, size: (count - i) * elem, value: `${count - i} more elements` });
          consumed = Math.max(consumed, at + count * elem);
          break;
        }
        if (o + elem > bytes.length) {
          problems.push(`${name}: needs bytes ${o}..${o + elem - 1}, only ${bytes.length} pasted`);
          return false;
        }
        if (f.type.kind === "struct") {
          const nested = byName.get(f.type.name);
          if (!nested || depth > 16) {
            out.push({ path: name, offset: o, size: elem, value: hexOf(bytes, o, elem) });
          } else if (!walk(nested.fields, o, `${name}.`, depth + 1)) return false;
        } else {
          const v = readValue(f, bytes, o, elem);
          const bits = f.bitWidth !== undefined ? { offset: f.bitOffset ?? 0, width: f.bitWidth } : undefined;
          out.push({ path: name, offset: o, size: elem, ...(bits ? { bits } : {}), value: bits ? show(extractBits(v, bits.offset, bits.width)) : show(v, f, elem, bytes, o) });
        }
        consumed = Math.max(consumed, o + elem);
      }
    }
    return true;
  };
  walk(struct.fields, 0, "", 0);
  return { fields: out, consumed, problems };
}

function readValue(f: Field, b: Uint8Array, o: number, size: number): bigint {
  const big = f.type.kind === "primitive" && f.type.endian === "be";
  let v = 0n;
  for (let i = 0; i < size; i++) {
    const byte = BigInt(b[big ? o + i : o + size - 1 - i]!);
    v = (v << 8n) | byte;
  }
  return v;
}

function extractBits(v: bigint, offset: number, width: number): bigint {
  return (v >> BigInt(offset)) & ((1n << BigInt(width)) - 1n);
}

function hexOf(b: Uint8Array, o: number, n: number): string {
  return Array.from(b.subarray(o, o + n), (x) => x.toString(16).padStart(2, "0")).join(" ");
}

function show(v: bigint, f?: Field, size?: number, b?: Uint8Array, o?: number): string {
  // `char` arrays and u8 strings read better as text when printable.
  if (f && size === 1 && f.type.kind === "primitive" && f.type.name === "char" && b && o !== undefined) {
    const c = b[o]!;
    return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}' (${c})` : String(c);
  }
  return v < 10n ? v.toString() : `${v.toString()} (0x${v.toString(16)})`;
}
