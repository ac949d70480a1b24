/**
 * Wire layout of spec structs by the virtio no-padding rule: a field's offset is the running sum of the sizes
 * of the fields before it, whatever a C compiler would do. Sizes come from the spec's primitive types; a
 * `T *` is a 64-bit guest address; a struct-typed field takes the size of that struct.
 *
 * @module
 */
import type { ArrayKind, Field, PrimitiveName, TypeRef } from "./types.js";

export const PRIMITIVES: Record<PrimitiveName, { size: number; endian: "le" | "be" | "none" }> = {
  u8: { size: 1, endian: "none" },
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
 * Assigns offsets and sizes to fields in place, by the no-padding rule. `structSize` gives the size of a
 * named struct (null when unknown or variable). Returns the struct's fixed size (null when any member is
 * unsized) and its minimum size (bytes before the first unsized member).
 */
export function layoutFields(fields: Field[], structSize: (name: string) => number | null, union = false): { size: number | null; minSize: number } {
  let offset: number | null = 0;
  let minSize = 0;
  let unionMax = 0;
  let allFixed = true;
  for (const f of fields) {
    let elem: number | null;
    if (f.members) {
      const inner = layoutFields(f.members, structSize, false);
      elem = inner.size;
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
      if (f.size === null) allFixed = false;
      else unionMax = Math.max(unionMax, f.size);
      continue;
    }
    f.offset = offset;
    if (offset !== null && f.size !== null) {
      offset += f.size;
      if (allFixed) minSize = offset;
    } else {
      if (allFixed && offset !== null) minSize = offset;
      allFixed = false;
      offset = null;
    }
  }
  if (union) return { size: allFixed ? unionMax : null, minSize: allFixed ? unionMax : 0 };
  return { size: allFixed ? (offset ?? 0) : null, minSize };
}
