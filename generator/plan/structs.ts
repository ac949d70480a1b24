/**
 * Struct planning: decides, from the IR alone, how each struct is laid out on the wire and whether it can
 * have a codec, and with which degradations.
 *
 * Rules (each from an IR field, never from a struct's name):
 * - offsets are the IR's no-padding offsets; a field after a feature-conditional or variable-length field
 *   has no static offset (the codec keeps a cursor);
 * - `array.countField` makes a counted array (`[a][6]`-style expressions multiply the count by the other
 *   dimensions); a trailing `[]` with no count takes the rest of the buffer;
 * - a struct with an uncounted `[]` that is not its last field cannot be decoded as one run of bytes: it is a
 *   framing struct, split into a driver-written part (up to and including that array) and a device-written
 *   part (the rest), each with its own codec;
 * - an array of structs with no fixed size (e.g. `struct virtq vq[]`) is carried as raw bytes when it is the
 *   last field (with a warning); anything else the generator cannot express makes the struct uncodable
 *   (with a warning) and is left out.
 *
 * @module
 */
import type { Field, Struct } from "../../grammar/ir/types.js";
import type { ArraySchema, WireType } from "../../runtime/codec/schema.js";
import { fieldKey, NameRegistry, pascal } from "../names.js";
import { PlanContext } from "./context.js";

/** How one field is encoded. */
export interface FieldPlan {
  /** The IR field. */
  field: Field;
  /** Spec name. */
  name: string;
  /** Property key in the TypeScript value. */
  key: string;
  /** The type as the spec writes it. */
  specType: string;
  wire: WireType;
  /** Bytes of one element. */
  elementSize: number;
  array: ArraySchema;
  /** Offset from the struct start when static. */
  staticOffset: number | null;
  /** Total bytes when fixed (null for counted/rest arrays). */
  size: number | null;
  /** Feature condition, resolved to a bit. */
  presence?: { feature: string; bit: number; negotiated: boolean; text: string };
  /** The nested struct, when `wire` is `struct`. */
  nested?: StructPlan;
  /** Key of the array whose element count this field holds. */
  countOf?: string;
  /**
   * A bit-field: `width` bits at bit `offset` of its storage integer (`wire`, at `staticOffset`). `first` and
   * `last` mark the members that open and close one storage unit (encode writes the unit once, at `last`).
   */
  bits?: { offset: number; width: number; first: boolean; last: boolean };
  /** Why the field is degraded, for its TSDoc. */
  note?: string;
}

/** How one struct (or one part of a framing struct) is encoded. */
export interface StructPlan {
  /** Schema name: the spec name, or `<name> (driver-written)` / `<name> (device-written)` for parts. */
  name: string;
  /** The IR struct (for a part: the framing struct). */
  struct: Struct;
  /** Set for the two parts of a framing struct. */
  part?: "driver" | "device";
  /** TypeScript name of the decoded value type (also the stem of function names). */
  typeName: string;
  /** TypeScript name of what encode accepts (differs when the struct has count fields, which are optional). */
  inputName: string;
  fields: FieldPlan[];
  size: number | null;
  minSize: number;
  maxSize: number | null;
  /** Bytes from the start that every encoding holds at static offsets (one bounds check covers them). */
  staticPrefix: number;
  /** Degradations, for the TSDoc. */
  notes: string[];
  /** A union: every field at offset 0; decode reads them all, encode takes exactly one. */
  union?: boolean;
}

/** A framing struct split into its driver-written and device-written parts. */
export interface FramingPlan {
  struct: Struct;
  typeName: string;
  driver: StructPlan;
  device: StructPlan;
}

/** The outcome of planning one struct name. */
export type PlannedStruct =
  | { kind: "codec"; plan: StructPlan }
  | { kind: "framing"; framing: FramingPlan }
  | { kind: "uncodable"; struct: Struct; reason: string };

/** Multi-byte wire types the codec runtime reads and writes. */
const MULTI_BYTE_WIRES = new Set<WireType>(["le16", "le32", "le64", "le128", "be16", "be32", "be64"]);

/**
 * The wire type of a primitive, from the IR's own layout of it (size and byte order, grammar/ir/layout.ts), so the
 * generator has no second table of type names to keep in step: one byte is `u8` (`u8`, `le8`, `char`), the rest
 * `le<bits>` or `be<bits>` (native-endian `u16/u32/u64` of pre-1.0 drafts are read as little-endian).
 */
function primitiveWire(t: Extract<Field["type"], { kind: "primitive" }>): { wire: WireType; size: number } | undefined {
  if (t.size === 1) return { wire: "u8", size: 1 };
  const wire = `${t.endian === "be" ? "be" : "le"}${t.size * 8}` as WireType;
  return MULTI_BYTE_WIRES.has(wire) ? { wire, size: t.size } : undefined;
}

/** Wire types a count field may have. */
const COUNT_WIRES = new Set<WireType>(["u8", "le16", "le32", "le64", "be16", "be32", "be64"]);

class Unsupported extends Error {}

/**
 * A struct generated in another folder (a split tree's common part, or another device's folder): its plan as
 * that folder made it, and the module specifier its symbols are imported from.
 */
export interface ExternalStruct {
  planned: PlannedStruct;
  /** Import specifier relative to the importing folder (e.g. `../common/structs.js`). */
  module: string;
}

/** Plans structs on demand, memoised, recursing into nested struct types. */
export class StructPlanner {
  private readonly memo = new Map<string, PlannedStruct>();
  private readonly inProgress = new Set<string>();
  private readonly typeNames = new NameRegistry();

  /**
   * @param ctx - the planning run
   * @param external - structs defined in other folders, by IR name: planned there, referenced here, never emitted
   *   twice (their type names are reserved so that no struct of this folder takes them)
   */
  constructor(
    private readonly ctx: PlanContext,
    private readonly external: ReadonlyMap<string, ExternalStruct> = new Map(),
  ) {
    for (const e of external.values()) for (const t of plannedTypeNames(e.planned)) this.typeNames.claim(t);
  }

  /** Every struct planned so far by this folder, in the order first planned (nested structs before their users). */
  planned(): PlannedStruct[] {
    return [...this.memo.values()];
  }

  /** The module an external struct is imported from, or undefined for this folder's own structs. */
  moduleOf(name: string): string | undefined {
    return this.external.get(name)?.module;
  }

  /** Plans the struct named `name` (memoised); an external struct's plan is the one its own folder made. */
  plan(name: string): PlannedStruct | undefined {
    const ext = this.external.get(name);
    if (ext) return ext.planned;
    const done = this.memo.get(name);
    if (done) return done;
    const struct = this.ctx.struct(name);
    if (!struct) return undefined;
    if (this.inProgress.has(name)) return { kind: "uncodable", struct, reason: "it contains itself" };
    this.inProgress.add(name);
    let result: PlannedStruct;
    try {
      result = this.planStruct(struct);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      result = { kind: "uncodable", struct, reason: err.message };
    }
    this.inProgress.delete(name);
    if (result.kind === "uncodable") this.ctx.warn(`struct ${name}: no codec generated (${result.reason})`);
    this.memo.set(name, result);
    return result;
  }

  private planStruct(struct: Struct): PlannedStruct {
    if (struct.fields.length === 0) throw new Unsupported("it has no fields");
    const fields = struct.fields.map((f) => this.planField(struct, f));
    if (struct.kind === "union") {
      const plan = this.layoutUnion(struct, this.typeNames.claim(pascal(struct.name)), fields);
      return { kind: "codec", plan };
    }
    // A rest-of-buffer array that is not last ends the driver-written part of a framing struct.
    const split = fields.findIndex((f, i) => f.array.kind === "rest" && i < fields.length - 1);
    const base = pascal(struct.name);
    if (split < 0) {
      const plan = this.layout(struct.name, struct, this.typeNames.claim(base), fields);
      return { kind: "codec", plan };
    }
    const deviceFields = fields.slice(split + 1);
    if (deviceFields.slice(0, -1).some((f) => f.array.kind === "rest")) {
      throw new Unsupported("more than one variable-length run before its last field");
    }
    const driver = this.layout(`${struct.name} (driver-written)`, struct, this.typeNames.claim(`${base}DriverPart`), fields.slice(0, split + 1), "driver");
    const device = this.layout(`${struct.name} (device-written)`, struct, this.typeNames.claim(`${base}DevicePart`), deviceFields, "device");
    return { kind: "framing", framing: { struct, typeName: this.typeNames.claim(base), driver, device } };
  }

  /**
   * An inline `struct { … } name;` or `union { … } name;` field: its members planned as a struct of their own,
   * named `<outer>.<field>` when anonymous (a named one that the IR also lists is planned from that definition).
   */
  private inlineOf(struct: Struct, f: Field): PlannedStruct | undefined {
    const t = f.type;
    const named = t.kind === "struct" && !t.name.startsWith("(") ? t.name : undefined;
    if (named && this.ctx.struct(named)) return this.plan(named);
    const name = named ?? `${struct.name}.${f.name}`;
    const done = this.memo.get(name);
    if (done) return done;
    const kind = f.aggregate === "union" || (f.aggregate === undefined && t.kind === "struct" && t.name === "(anonymous union)") ? "union" : "struct";
    const inner: Struct = { name, kind, fields: f.members!, size: f.elementSize, minSize: f.elementSize ?? 0, section: struct.section, source: f.source };
    if (struct.device !== undefined) inner.device = struct.device;
    let result: PlannedStruct;
    try {
      result = this.planStruct(inner);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      result = { kind: "uncodable", struct: inner, reason: err.message };
    }
    this.memo.set(name, result);
    return result;
  }

  private planField(struct: Struct, f: Field): FieldPlan {
    const width = f.bitWidth ?? f.bits;
    if (width !== undefined) return this.planBitField(struct, f, width);
    if (f.members) {
      const planned = this.inlineOf(struct, f);
      if (planned?.kind !== "codec" || planned.plan.size === null) {
        throw new Unsupported(`field ${f.name}: its inline ${f.aggregate ?? "struct/union"} ${planned?.kind === "uncodable" ? `has no codec (${planned.reason})` : "has no fixed size"}`);
      }
      const nested = planned.plan;
      const specType = f.type.kind === "struct" ? (f.type.name.startsWith("(") ? f.type.name.slice(1, -1) : `struct ${f.type.name}`) : f.name;
      const plan: FieldPlan = { field: f, name: f.name, key: fieldKey(f.name), specType, wire: "struct", elementSize: nested.size!, array: this.arrayOf(struct, f), staticOffset: null, size: null, nested };
      return plan;
    }
    let wire: WireType;
    let elementSize: number;
    let specType: string;
    let nested: StructPlan | undefined;
    let note: string | undefined;
    const t = f.type;
    if (t.kind === "primitive") {
      const p = primitiveWire(t);
      if (!p) throw new Unsupported(`field ${f.name} has type ${t.name}`);
      ({ wire, size: elementSize } = p);
      specType = t.name;
    } else if (t.kind === "pointer") {
      wire = "pointer";
      elementSize = 8;
      specType = `${t.target} *`;
    } else if (t.kind === "struct") {
      specType = `struct ${t.name}`;
      const planned = t.resolved ? this.plan(t.name) : undefined;
      const usable = planned?.kind === "codec" && planned.plan.size !== null ? planned.plan : undefined;
      const variableArray = f.array.kind === "flexible" || (f.array.kind === "expr" && f.array.length === undefined);
      if (usable) {
        wire = "struct";
        elementSize = usable.size!;
        nested = usable;
      } else if (variableArray && struct.fields[struct.fields.length - 1] === f) {
        // The spec gives the element no fixed size, so neither a count nor a stride can be checked: carry
        // the trailing run as bytes rather than drop the whole struct.
        const why = planned?.kind === "codec" ? "has no fixed size" : planned ? "has no codec" : "is not defined";
        note = `element type struct ${t.name} ${why}: carried as raw bytes (the rest of the buffer)`;
        this.ctx.warn(`struct ${struct.name}: field ${f.name}: ${note}`);
        return { field: f, name: f.name, key: fieldKey(f.name), specType, wire: "bytes", elementSize: 1, array: { kind: "rest" }, staticOffset: null, size: null, note };
      } else {
        throw new Unsupported(`field ${f.name}: struct ${t.name} ${planned ? "has no fixed-size codec" : "is not defined"}`);
      }
    } else {
      throw new Unsupported(`field ${f.name} has unknown type ${t.name}`);
    }
    const array = this.arrayOf(struct, f);
    const plan: FieldPlan = { field: f, name: f.name, key: fieldKey(f.name), specType, wire, elementSize, array, staticOffset: null, size: null };
    if (nested) plan.nested = nested;
    if (note) plan.note = note;
    if (f.presence) {
      const bit = this.ctx.feature(f.presence.feature);
      if (bit) plan.presence = { feature: f.presence.feature, bit: bit.bit, negotiated: f.presence.negotiated, text: f.presence.text };
      else this.ctx.warn(`struct ${struct.name}: field ${f.name}: feature ${f.presence.feature} of its condition is not defined; treated as always present`);
    }
    return plan;
  }

  private planBitField(struct: Struct, f: Field, width: number): FieldPlan {
    const t = f.type;
    const p = t.kind === "primitive" ? primitiveWire(t) : undefined;
    // 64-bit storage goes through bigint masks (no spec struct has one yet); 128-bit storage is refused.
    if (!p || p.size > 8 || t.kind !== "primitive") throw new Unsupported(`field ${f.name}: bit-field storage ${t.kind === "pointer" ? "pointer" : t.name} is not an 8/16/32/64-bit integer`);
    if (f.array.kind !== "none" || f.presence) throw new Unsupported(`field ${f.name}: a bit-field array or a feature-conditional bit-field`);
    if (!Number.isInteger(width) || width < 1 || width > p.size * 8) throw new Unsupported(`field ${f.name}: bit-field width ${width} does not fit ${t.name}`);
    const plan: FieldPlan = { field: f, name: f.name, key: fieldKey(f.name), specType: `${t.name} :${width}`, wire: p.wire, elementSize: p.size, array: { kind: "scalar" }, staticOffset: null, size: p.size };
    plan.bits = { offset: f.bitOffset ?? -1, width, first: false, last: false };
    return plan;
  }

  /** A union: every member at offset 0, the size of the largest; members must all have a fixed size. */
  private layoutUnion(struct: Struct, typeName: string, fields: FieldPlan[]): StructPlan {
    let size = 0;
    for (const f of fields) {
      if (f.presence || f.bits || f.array.kind === "counted" || f.array.kind === "rest") throw new Unsupported(`union member ${f.name} has no fixed size`);
      f.staticOffset = 0;
      f.size = f.array.kind === "fixed" ? f.elementSize * f.array.length : f.elementSize;
      size = Math.max(size, f.size);
    }
    return { name: struct.name, struct, typeName, inputName: `${typeName}Input`, fields, size, minSize: size, maxSize: size, staticPrefix: size, notes: [], union: true };
  }

  private arrayOf(struct: Struct, f: Field): ArraySchema {
    const a = f.array;
    switch (a.kind) {
      case "none":
        return { kind: "scalar" };
      case "fixed":
        return { kind: "fixed", length: a.length };
      case "flexible":
        return a.countField ? { kind: "counted", countField: a.countField, perCount: 1 } : { kind: "rest" };
      case "expr": {
        if (a.length !== undefined) return { kind: "fixed", length: a.length };
        // `u8 macs[entries][6]` reaches the IR as expr `entries][6`: one dimension is the count field,
        // the others must be literals.
        const dims = a.expr.split("][").map((d) => d.trim());
        if (a.countField && dims.filter((d) => d === a.countField).length === 1) {
          let perCount = 1;
          for (const d of dims) {
            if (d === a.countField) continue;
            if (!/^[0-9]+$/.test(d)) throw new Unsupported(`field ${f.name}: array dimension '${d}' is not a literal`);
            perCount *= Number(d);
          }
          return { kind: "counted", countField: a.countField, perCount };
        }
        if (struct.fields[struct.fields.length - 1] === f && f.elementSize !== null) {
          this.ctx.warn(`struct ${struct.name}: field ${f.name}: length '${a.expr}' is not a field or literal; takes the rest of the buffer`);
          return { kind: "rest" };
        }
        throw new Unsupported(`field ${f.name}: array length '${a.expr}' is neither a literal nor a field`);
      }
    }
  }

  /** Assigns offsets and sizes, links count fields, and checks the rules a codec relies on. */
  private layout(name: string, struct: Struct, typeName: string, fields: FieldPlan[], part?: "driver" | "device"): StructPlan {
    const plan: StructPlan = { name, struct, typeName, inputName: typeName, fields, size: null, minSize: 0, maxSize: 0, staticPrefix: 0, notes: [] };
    if (part) plan.part = part;
    let cursor: number | null = 0;
    let prefixOpen = true;
    let fixed = true;
    let unit: FieldPlan | undefined; // the open bit-field storage unit: its first member
    let unitUsed = 0;
    let unitLast: FieldPlan | undefined;
    const closeUnit = (): void => {
      if (unitLast?.bits) unitLast.bits.last = true;
      unit = undefined;
      unitLast = undefined;
      unitUsed = 0;
    };
    for (const [i, f] of fields.entries()) {
      if (f.bits) {
        const b = f.bits;
        const storageBits = f.elementSize * 8;
        // A new unit when the type changes, the bits do not fit, or the IR places this field at bit 0 again.
        const irOffset = b.offset >= 0 ? b.offset : undefined;
        if (unit && (unit.wire !== f.wire || (irOffset !== undefined ? irOffset < unitUsed : unitUsed + b.width > storageBits))) closeUnit();
        if (cursor === null) throw new Unsupported(`field ${f.name}: a bit-field after a variable-length part`);
        if (!unit) {
          unit = f;
          b.first = true;
          f.staticOffset = cursor;
          cursor += f.elementSize;
          plan.minSize += f.elementSize;
          if (plan.maxSize !== null) plan.maxSize += f.elementSize;
          if (prefixOpen) plan.staticPrefix += f.elementSize;
        } else {
          f.staticOffset = unit.staticOffset;
        }
        b.offset = irOffset ?? unitUsed;
        // Values are numbers: a bit-field wider than 53 bits would not round-trip (none in the spec so far).
        if (b.width > 53) throw new Unsupported(`field ${f.name}: a ${b.width}-bit bit-field does not fit a number`);
        if (storageBits > 64) throw new Unsupported(`field ${f.name}: bit-fields in ${storageBits}-bit storage`);
        if (b.offset + b.width > storageBits) throw new Unsupported(`field ${f.name}: bits ${b.offset}..${b.offset + b.width - 1} do not fit its ${storageBits}-bit storage`);
        unitUsed = b.offset + b.width;
        unitLast = f;
        continue;
      }
      if (unit) closeUnit();
      f.staticOffset = cursor;
      const a = f.array;
      if (a.kind === "counted") {
        const count = fields.slice(0, i).find((c) => c.name === a.countField);
        if (!count || count.array.kind !== "scalar" || count.presence || !COUNT_WIRES.has(count.wire)) {
          if (i !== fields.length - 1) throw new Unsupported(`field ${f.name}: count field ${a.countField} is not an earlier integer field`);
          this.ctx.warn(`struct ${struct.name}: field ${f.name}: count field ${a.countField} is not an earlier integer field; takes the rest of the buffer`);
          f.array = { kind: "rest" };
        } else {
          count.countOf = f.key;
          plan.inputName = `${typeName}Input`;
        }
      }
      if (f.array.kind === "rest" && i !== fields.length - 1) throw new Unsupported(`field ${f.name}: a rest-of-buffer array must be last`);
      if (f.nested && f.nested.inputName !== f.nested.typeName) plan.inputName = `${typeName}Input`;
      const len = f.array.kind === "scalar" ? 1 : f.array.kind === "fixed" ? f.array.length : null;
      f.size = len === null ? null : f.elementSize * len;
      if (f.size === null) {
        fixed = false;
        cursor = null;
        prefixOpen = false;
        plan.maxSize = null;
      } else {
        if (!f.presence) plan.minSize += f.size;
        if (plan.maxSize !== null) plan.maxSize += f.size;
        if (f.presence) {
          fixed = false;
          prefixOpen = false;
          cursor = null;
        } else {
          if (cursor !== null) cursor += f.size;
          if (prefixOpen) plan.staticPrefix += f.size;
        }
      }
      if (f.note) plan.notes.push(`${f.name}: ${f.note}`);
    }
    if (unit) closeUnit();
    plan.size = fixed ? plan.minSize : null;
    return plan;
  }
}

/** The TypeScript type names a planned struct's codecs are generated under. */
export function plannedTypeNames(p: PlannedStruct): string[] {
  if (p.kind === "codec") return [p.plan.typeName];
  if (p.kind === "framing") return [p.framing.typeName, p.framing.driver.typeName, p.framing.device.typeName];
  return [];
}

/**
 * The codec plan of struct `name` for a command's `what` (`command X: request`), or undefined when it has none:
 * then the degradation (`… has no codec; <consequence>`) is warned and added to `notes` for the TSDoc.
 */
export function commandStructPlan(ctx: PlanContext, planner: StructPlanner, name: string | undefined, what: string, notes: string[], consequence: string): StructPlan | undefined {
  if (!name) return undefined;
  const p = planner.plan(name);
  if (p?.kind === "codec") return p.plan;
  const note = `${what} struct ${name} has no codec; ${consequence}`;
  ctx.warn(note);
  notes.push(note);
  return undefined;
}
