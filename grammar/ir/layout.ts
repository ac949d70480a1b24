/**
 * Wire layout of spec structs by the virtio no-padding rule: a field's offset is the running sum of the sizes
 * of the fields before it, whatever a C compiler would do. Sizes come from the spec's primitive types; a
 * `T *` is a 64-bit guest address; a struct-typed field takes the size of that struct.
 *
 * The C constructs the spec's listings use, each by its rule:
 * - a union (top-level or inline) puts every member at offset 0 and is as large as its largest member;
 * - bit-fields subdivide one integer ("A set of bit-fields is always a sub-division of an integer typed
 *   field", introduction.tex): the spec's `le16 { a : 15; b : 1; } x;` notation, and consecutive C bit-fields
 *   of one type (`le32 unmap:1; le32 reserved:31;`) while they fit, share one storage unit, least significant
 *   bit first;
 * - a field after a variable-length member has no static offset; it gets its offset from that member's end.
 *
 * @module
 */
import type { ArrayKind, Field, PrimitiveName, TypeRef } from "./types.js";

export const PRIMITIVES: Record<PrimitiveName, { size: number; endian: "le" | "be" | "none" }> = {
  u8: { size: 1, endian: "none" },
  // The spec writes le8 (virtio-mem, media) for a byte; byte order does not apply to one byte.
  le8: { size: 1, endian: "none" },
  char: { size: 1, endian: "none" },
  u16: { size: 2, endian: "none" },
  u32: { size: 4, endian: "none" },
  u64: { size: 8, endian: "none" },
  le16: { size: 2, endian: "le" },
  le32: { size: 4, endian: "le" },
  le64: { size: 8, endian: "le" },
  le128: { size: 16, endian: "le" },
  be16: { size: 2, endian: "be" },
  be32: { size: 4, endian: "be" },
  be64: { size: 8, endian: "be" },
};

/** Other spellings the spec's listings use for the same wire types. */
const ALIASES: Record<string, PrimitiveName> = {
  uint8_t: "u8",
  uint16_t: "u16",
  uint32_t: "u32",
  uint64_t: "u64",
  __u8: "u8",
  __u16: "u16",
  __u32: "u32",
  __u64: "u64",
  __le16: "le16",
  __le32: "le32",
  __le64: "le64",
  __be16: "be16",
  __be32: "be32",
  __be64: "be64",
  "unsigned char": "u8",
  u_int8_t: "u8",
};

/** Resolves a type written in a listing. `structRef` is the tag of `struct tag`, if any. */
export function resolveType(baseType: string, pointer: boolean, structRef: string | undefined, knownStructs: Set<string>): TypeRef {
  if (pointer) return { kind: "pointer", target: structRef ? `struct ${structRef}` : baseType, size: 8 };
  if (structRef) return { kind: "struct", name: structRef, resolved: knownStructs.has(structRef) };
  const name = (ALIASES[baseType] ?? baseType) as PrimitiveName;
  const prim = PRIMITIVES[name];
  if (prim) return { kind: "primitive", name, size: prim.size, endian: prim.endian };
  return { kind: "unknown", name: baseType };
}

/** Number of elements an array spec stands for, when fixed. */
export function arrayLength(array: ArrayKind): number | null {
  if (array.kind === "none") return 1;
  if (array.kind === "fixed") return array.length;
  if (array.kind === "expr" && array.length !== undefined) return array.length;
  return null;
}

/**
 * The wire types of the spec's vocabulary: those its introduction defines ("u8, u16, u32, u64", "le16, le32,
 * le64", "be16, be32, be64"), `char` for text, and `le8`, which its listings use for a byte. Anything else a
 * listing writes is diagnosed, even when it can be laid out (`le128`, `void *`, `uint32_t`).
 */
export const SPEC_VOCABULARY: ReadonlySet<string> = new Set(["u8", "u16", "u32", "u64", "le8", "le16", "le32", "le64", "be16", "be32", "be64", "char"]);

/** A layout defect of one field, for the caller to turn into a diagnostic at the field's position. */
export interface LayoutProblem {
  code: "bit-field-overflow" | "bit-field-type";
  field: Field;
  message: string;
}

/** Why a bit-field cannot be packed, or null: it needs an integer storage type of known size. */
function bitUnit(f: Field): { size: number; type: string } | null {
  if (f.type.kind !== "primitive") return null;
  return { size: f.type.size, type: f.type.name };
}

/**
 * Assigns offsets and sizes to fields in place, by the no-padding rule (offsets of nested members are relative
 * to their enclosing field). `structSize` gives the size of a named struct (null when unknown or variable).
 * Returns the struct's fixed size (null when any member is unsized) and its minimum size (bytes up to the
 * first unsized member, plus what that member takes at least when it is an inline struct/union; for a union,
 * its largest member's minimum). Defects (a bit-field wider than its integer, a bit-field of no integer type)
 * go into `problems`.
 */
export function layoutFields(fields: Field[], structSize: (name: string) => number | null, union = false, problems: LayoutProblem[] = []): { size: number | null; minSize: number } {
  let offset: number | null = 0;
  let minSize = 0;
  let unionMax = 0;
  let allFixed = true;
  // The open bit-field storage unit of consecutive C bit-fields: where it starts, its size, bits used.
  let unit: { offset: number | null; size: number; used: number; type: string } | null = null;
  // The nearest variable-length member before the current field, and the bytes since its end.
  let anchor: { field: string; offset: number } | null = null;
  for (const f of fields) {
    delete f.afterVariable;
    if (f.bits !== undefined && f.bitWidth === undefined) f.bitWidth = f.bits;
    if (f.bitWidth !== undefined && !union && f.aggregate === undefined) {
      const u = bitUnit(f);
      if (!u) {
        problems.push({ code: "bit-field-type", field: f, message: `bit-field ${f.name} has no integer type to subdivide (${f.type.kind === "unknown" ? f.type.name : f.type.kind})` });
      } else {
        if (unit && unit.size === u.size && unit.type === u.type && unit.used + f.bitWidth <= u.size * 8) {
          // Shares the open unit: same bytes, next bits.
          f.offset = unit.offset;
          f.bitOffset = unit.used;
          unit.used += f.bitWidth;
          f.elementSize = u.size;
          f.size = u.size;
          if (anchor && f.offset === null) f.afterVariable = { field: anchor.field, offset: anchor.offset - u.size };
          continue;
        }
        if (f.bitWidth > u.size * 8) problems.push({ code: "bit-field-overflow", field: f, message: `bit-field ${f.name} is ${f.bitWidth} bits wide, more than its ${u.type} holds` });
        f.bitOffset = 0;
        unit = { offset, size: u.size, used: f.bitWidth, type: u.type };
      }
    } else {
      unit = null;
    }
    let elem: number | null;
    // Bytes the field takes at least (its size when fixed): what a union with a variable member needs.
    let least = 0;
    if (f.members) {
      if (f.aggregate === "bits") {
        elem = layoutBits(f, problems);
      } else {
        const inner = layoutFields(f.members, structSize, f.aggregate === "union", problems);
        elem = inner.size;
        if (f.array.kind === "none") least = inner.minSize;
      }
    } else if (f.type.kind === "primitive" || f.type.kind === "pointer") {
      elem = f.type.size;
    } else if (f.type.kind === "struct") {
      elem = structSize(f.type.name);
    } else {
      elem = null;
    }
    const n = arrayLength(f.array);
    f.elementSize = elem;
    f.size = elem !== null && n !== null ? elem * n : null;
    if (union) {
      f.offset = 0;
      if (f.bitWidth !== undefined) f.bitOffset = 0;
      if (f.size === null) allFixed = false;
      unionMax = Math.max(unionMax, f.size ?? least);
      continue;
    }
    f.offset = offset;
    if (offset === null && anchor) f.afterVariable = { ...anchor };
    if (offset !== null && f.size !== null) {
      offset += f.size;
      if (allFixed) minSize = offset;
    } else {
      if (allFixed && offset !== null) minSize = offset + least;
      allFixed = false;
      offset = null;
    }
    if (f.size === null) anchor = { field: f.name, offset: 0 };
    else if (anchor) anchor.offset += f.size;
  }
  // A union with a variable member is variable; it takes at least as much as its largest (minimum) member.
  if (union) return { size: allFixed ? unionMax : null, minSize: unionMax };
  return { size: allFixed ? (offset ?? 0) : null, minSize };
}

/**
 * The spec's bit-field notation `le16 { a : 15; b : 1; } x;`: every member shares the bytes of the integer
 * the field's type names, from the least significant bit up. Returns the integer's size.
 */
function layoutBits(f: Field, problems: LayoutProblem[]): number | null {
  const u = bitUnit(f);
  let used = 0;
  for (const m of f.members ?? []) {
    m.offset = 0;
    m.bitOffset = used;
    if (m.bits !== undefined && m.bitWidth === undefined) m.bitWidth = m.bits;
    used += m.bitWidth ?? 0;
    m.elementSize = u?.size ?? null;
    m.size = u?.size ?? null;
  }
  if (!u) {
    problems.push({ code: "bit-field-type", field: f, message: `bit-fields of ${f.name} subdivide no integer type` });
    return null;
  }
  if (used > u.size * 8) problems.push({ code: "bit-field-overflow", field: f, message: `bit-fields of ${f.name} take ${used} bits, more than its ${u.type} holds` });
  return u.size;
}
