/**
 * The virtiokit intermediate representation (IR).
 *
 * One `SpecIR` describes one parsed specification tree (a base tree with a proposal applied, or a plain
 * .tex file). It is plain JSON: no classes, no Maps, no bigint, no undefined-vs-missing distinctions that
 * JSON would lose. Arrays are in document order, so serialising the same input twice gives the same bytes.
 *
 * Everything the generator, lint and conformance stages need comes from here; nothing downstream reads
 * LaTeX again.
 *
 * @module
 */

import type { DiagnosticCode } from "../diagnostics/codes.js";
export { DIAGNOSTIC_CODES, type DiagnosticCode, type DiagnosticCodeInfo, type SpecDiagnosticCode } from "../diagnostics/codes.js";
export type { IngestErrorCode, IngestNoteCode } from "../ingest/errors.js";

/** Bumped on any change a consumer of the JSON could notice (major: breaking, minor: additive). */
export const IR_VERSION = "1.3.0";

/** Where a node came from: a 1-based position in a file of the post-patch tree. */
export interface SourceSpan {
  /** Path relative to the tree root, with `/` separators (e.g. `virtio-ism.tex`). */
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /**
   * Where the input was a mail or patch: the 1-based line of the mail that carried this line, and whether the
   * patch added it (true) or only quoted it as context (false).
   */
  mail?: { file: string; line: number; added: boolean };
}

/** How bad a finding is: `error` makes lint exit 1, `warning` and `note` do not. */
export type Severity = "error" | "warning" | "note";

/** A compiler-style finding about the spec text (not about virtiokit). */
export interface Diagnostic {
  severity: Severity;
  /** Stable kebab-case class of defect, e.g. `undefined-identifier`, `unknown-macro`, `duplicate-label`. */
  code: DiagnosticCode;
  message: string;
  source: SourceSpan;
  /** A likely fix, e.g. the intended name of a misspelled identifier. */
  hint?: string;
}

/** What the IR was built from. */
export interface InputInfo {
  kind: "mail" | "patch" | "tex" | "tree";
  /** The input path as given on the command line / in the manifest (relative to the manifest when known). */
  path: string;
  /** sha256 of the input bytes (hex); for a tree, of the sorted file list and contents. */
  sha256: string;
  /** The base tree a patch was applied onto, when there was one. */
  base?: string;
}

/** A sectioning command (\chapter … \subparagraph) or a normative block heading. */
export interface Section {
  /** The \label, or when the section has none a stand-in from titles: `anon:<nearest labelled ancestor>/<title slugs>[~n]`. */
  label: string;
  title: string;
  /** 0 chapter, 1 section, 2 subsection, 3 subsubsection, 4 paragraph, 5 subparagraph. */
  level: number;
  /** Label of the enclosing section, if any. */
  parent?: string;
  /** Set for \devicenormative / \drivernormative / \conformance headings. */
  normative?: "device" | "driver" | "conformance";
  source: SourceSpan;
}

/** Primitive wire types of the spec. Sizes in bytes. */
export type PrimitiveName =
  | "u8" | "u16" | "u32" | "u64"
  | "le8" | "le16" | "le32" | "le64" | "le128"
  | "be16" | "be32" | "be64"
  | "char";

/** The type of a struct field as the listing writes it, resolved against the spec's primitive types and structs. */
export type TypeRef =
  | { kind: "primitive"; name: PrimitiveName; size: number; endian: "le" | "be" | "none" }
  /** `void *` or any `T *` in a wire struct: a 64-bit little-endian guest address. */
  | { kind: "pointer"; target: string; size: 8 }
  /** `struct name` used as a field type. `resolved` is false when no struct of that name is in the IR. */
  | { kind: "struct"; name: string; resolved: boolean }
  /** A type name the spec never defines (diagnosed). */
  | { kind: "unknown"; name: string };

/** Whether a field is an array, and how its length is known. */
export type ArrayKind =
  | { kind: "none" }
  | { kind: "fixed"; length: number }
  /** `[expr]` whose value is not a literal, e.g. `[VIRTIO_NET_MAX]` or `[num_queues]`. */
  | { kind: "expr"; expr: string; length?: number; countField?: string }
  /** `[]`: takes its length from `countField` when the text says so, else the rest of the buffer. */
  | { kind: "flexible"; countField?: string };

/** When a field is on the wire only under a negotiated feature. */
export interface Presence {
  feature: string;
  /** true: present only if negotiated; false: present only if NOT negotiated. */
  negotiated: boolean;
  /** The sentence or comment the condition was read from. */
  text: string;
}

/** One member of a wire struct, laid out by the no-padding rule. */
export interface Field {
  name: string;
  type: TypeRef;
  /** Byte offset by the no-padding rule; null after a flexible array or an unsized member. */
  offset: number | null;
  /** Size of one element in bytes (null when unknown). */
  elementSize: number | null;
  /** Total size of the field in bytes; null for flexible or unknown-size arrays. */
  size: number | null;
  array: ArrayKind;
  presence?: Presence;
  /** Trailing comment text, e.g. `read-write`. */
  comment?: string;
  /** Access from the driver's point of view when the comment says so. */
  access?: "read-write" | "read-only" | "write-only";
  /** Bit-field width (`u8 x:3`), when present (the same as {@link Field.bitWidth}; kept for 1.0 readers). */
  bits?: number;
  /**
   * Bit-fields only: width in bits. The field's `offset`, `elementSize` and `size` are those of the integer
   * it subdivides (its storage unit), so `(unit >> bitOffset) & ((1 << bitWidth) - 1)` reads it.
   */
  bitWidth?: number;
  /** Bit-fields only: position of the field's least significant bit in its storage unit (the spec lists bit-fields from the least significant bit up). */
  bitOffset?: number;
  /**
   * Inline nested members, for `struct { ... } name;`, `union { ... } name;` and the spec's bit-field notation
   * `le16 { a : 15; b : 1; } name;`. Their offsets are relative to the start of this field.
   */
  members?: Field[];
  /**
   * How `members` share this field's bytes: `struct` one after another, `union` all at offset 0 (the field is
   * as large as its largest member), `bits` bit-fields of the one integer that `type` names.
   */
  aggregate?: "struct" | "union" | "bits";
  /**
   * Set for a nested struct/union written without a member name (C11 anonymous member: its members are read as
   * members of the enclosing struct). `name` is then `anon_` and the first member's name.
   */
  anonymous?: true;
  /**
   * For a field after a variable-length member (whose `offset` is therefore null): the nearest such member
   * before it and this field's byte offset from that member's end, so a codec that knows the member's length
   * knows where this field is.
   */
  afterVariable?: { field: string; offset: number };
  /**
   * The field's own description from the spec's prose (since IR 1.2): the body of the `\item[\field{name}]` of
   * the description list that describes the struct's fields, as plain text, and where that item is.
   */
  description?: { text: string; source: SourceSpan };
  source: SourceSpan;
}

/** A C struct or union from an `lstlisting`, with its no-padding layout. */
export interface Struct {
  name: string;
  kind: "struct" | "union";
  fields: Field[];
  /** Total size when every field is fixed; otherwise null. */
  size: number | null;
  /** Bytes before the first flexible/unsized member (equals size for fixed structs). */
  minSize: number;
  /** Label of the section whose listing defines it. */
  section: string;
  /** Device slug whose section encloses the definition, if any. */
  device?: string;
  /** Other definitions of the same name (e.g. a later revision of virtio_pci_common_cfg). */
  redefinitions?: SourceSpan[];
  source: SourceSpan;
}

/** One member of a C enum with its evaluated value. */
export interface EnumMember {
  name: string;
  value: number | null;
  valueText: string;
  source: SourceSpan;
}

/** A C enum from an `lstlisting`. */
export interface Enum {
  name: string;
  members: EnumMember[];
  section: string;
  device?: string;
  source: SourceSpan;
}

/** A `#define` from an `lstlisting`, evaluated where it is an integer constant expression. */
export interface Constant {
  name: string;
  /** Evaluated value; null when the expression cannot be evaluated. Safe integers only. */
  value: number | null;
  /** The expression as written, e.g. `(1 << 2)`. */
  valueText: string;
  /** Id of the ConstantGroup it belongs to. */
  group: string;
  /** For a command constant indented under its class: the class constant's name. */
  parent?: string;
  presence?: Presence;
  comment?: string;
  section: string;
  device?: string;
  source: SourceSpan;
}

/** Role of a group of constants, as read from the document's structure and wording. */
export type ConstantGroupKind =
  | "ack" | "class" | "command" | "request" | "permission" | "event" | "shm-id" | "status" | "flags" | "generic";

/** Constants the spec writes together (one listing, or one heading comment), with the role the text gives them. */
export interface ConstantGroup {
  id: string;
  /** Human name: the preceding comment (e.g. `ack values`) or the section title. */
  title: string;
  kind: ConstantGroupKind;
  constants: string[];
  section: string;
  device?: string;
  source: SourceSpan;
}

/** A feature bit from a "Feature bits" description list: `NAME (bit)`. */
export interface FeatureBit {
  name: string;
  bit: number;
  description: string;
  /** Device slug, or undefined for device-independent (reserved) bits. */
  device?: string;
  /** Sub-group from the document, e.g. `Device feature bits`, `Peer feature bits`. */
  group?: string;
  /** Listed under a "Legacy Interface" heading: offered by transitional devices only. */
  legacy?: true;
  /** A bit the spec holds back rather than defines (written `UNUSED (30)`, `RESERVED (n)`). */
  reserved?: true;
  section: string;
  source: SourceSpan;
}

/** One row of the spec's device ID table. */
export interface DeviceIdEntry {
  id: number;
  /** The table's name for the device, e.g. `network card`. */
  name: string;
  /** Slug of the device chapter with this ID, when the spec has one. */
  device?: string;
  source: SourceSpan;
}

/** One entry of a device's "Virtqueues" list. */
export interface Virtqueue {
  /** Index as written (`0`, `2(N-1)`, …) and its numeric value when it is a literal. */
  indexText: string;
  index: number | null;
  name: string;
  source: SourceSpan;
}

/** A device type: a section with a "Device ID" subsection. */
export interface Device {
  /** Section title, e.g. `ISM Device`. */
  name: string;
  /** Slug used in file names and exports, e.g. `ism`, `vhost-pci-net`. */
  slug: string;
  /** Device ID, or null when the text gives none (e.g. `TBD`). */
  deviceId: number | null;
  section: string;
  virtqueues: Virtqueue[];
  features: FeatureBit[];
  /** Name of the device configuration struct, if the layout section defines one. */
  configStruct?: string;
  structs: string[];
  enums: string[];
  constantGroups: string[];
  source: SourceSpan;
}

/** A driver-to-device command sent on a control virtqueue. */
export interface Command {
  name: string;
  value: number | null;
  /** Class constant name for class+command framing; undefined for single-level request codes. */
  class?: string;
  classValue?: number | null;
  /** Struct the driver sends as command-specific data. */
  request?: string;
  /** Struct the device writes as command-specific reply. */
  reply?: string;
  /** Framing struct of the control queue (e.g. `virtio_ism_ctrl`, `vhost_pci_ctrl`). */
  framing?: string;
  /**
   * The struct that carries the code (its `codeField`), when the command's own request struct embeds it or
   * every request of the device starts with it (`virtio_gpu_ctrl_hdr`, `virtio_mem_req`, `virtio_admin_cmd`).
   */
  header?: string;
  /** The field of `header` (or of the request struct) that holds the code: `type`, `opcode`, `code`. */
  codeField?: string;
  /** Every struct the text ties to the command, with the rule and the sentence or listing that says so. */
  links?: CommandLink[];
  section: string;
  device?: string;
  source: SourceSpan;
}

/**
 * How a struct was tied to a command, strongest first (see `grammar/ir/passes/command-links.ts`): a sentence
 * naming the command; a sentence whose subject is carried over from the item, section title or previous
 * sentence; a struct defined where the command is described; a struct named as the code is, with a role word
 * (virtio_media_cmd_munmap for VIRTIO_MEDIA_CMD_MUNMAP); "each/all requests"; the code-carrying header.
 */
export type CommandLinkRule = "sentence" | "context" | "scope" | "name" | "quantifier" | "header";

/** One piece of evidence tying a struct to a command. */
export interface CommandLink {
  role: "request" | "reply";
  struct: string;
  rule: CommandLinkRule;
  /** The sentence, listing or definition that ties them. */
  source: SourceSpan;
}

/** An event type constant and the struct that carries it. */
export interface EventType {
  name: string;
  value: number | null;
  struct?: string;
  /** The struct field that holds the type (e.g. `ev_type`). */
  discriminator?: string;
  device?: string;
  source: SourceSpan;
}

/** RFC 2119 keywords as the spec writes them (upper case). */
export type RequirementLevel = "MUST" | "MUST NOT" | "SHOULD" | "SHOULD NOT" | "MAY" | "RECOMMENDED" | "REQUIRED" | "OPTIONAL" | "SHALL" | "SHALL NOT";

/** One normative sentence. */
export interface Requirement {
  /** `<section label>#<n>`, n 1-based in document order within that normative section: stable for ids. */
  id: string;
  role: "device" | "driver";
  /** The strongest keyword in the sentence (MUST NOT beats MUST beats SHOULD …). */
  level: RequirementLevel;
  /** All keywords in the sentence, in order. */
  keywords: RequirementLevel[];
  /** Plain text of the sentence, LaTeX markup reduced (\field{x} → x). */
  text: string;
  /** Label of the normative section (`devicenormative:…`). */
  section: string;
  sectionTitle: string;
  device?: string;
  /** sha256 (hex, first 16) of the normalised text: tells a reworded requirement from a moved one. */
  textHash: string;
  source: SourceSpan;
}

/** A `\devicenormative` or `\drivernormative` block and the requirements read from it. */
export interface NormativeSection {
  label: string;
  role: "device" | "driver";
  title: string;
  device?: string;
  requirements: string[];
  source: SourceSpan;
}

/** One `\ref` in a conformance list, and whether its label exists in the tree. */
export interface ConformanceRef {
  label: string;
  resolved: boolean;
  source: SourceSpan;
}

/** A `\conformance{…}` section listing the normative sections an implementation must meet. */
export interface ConformanceList {
  label: string;
  title: string;
  role: "device" | "driver" | "other";
  refs: ConformanceRef[];
  source: SourceSpan;
}

/** The IR of one spec tree: everything downstream stages need, as plain JSON. */
export interface SpecIR {
  irVersion: string;
  input: InputInfo;
  /** Every file parsed, in \input order. */
  files: string[];
  sections: Section[];
  devices: Device[];
  /** Device-independent feature bits (the Reserved Feature Bits chapter). */
  featureBits: FeatureBit[];
  /** Every row of the device ID table, with or without a device chapter. */
  deviceIds?: DeviceIdEntry[];
  structs: Struct[];
  enums: Enum[];
  constants: Constant[];
  constantGroups: ConstantGroup[];
  commands: Command[];
  events: EventType[];
  normativeSections: NormativeSection[];
  requirements: Requirement[];
  conformance: ConformanceList[];
  diagnostics: Diagnostic[];
}
