/**
 * Schema objects: a plain description of each generated struct codec (protobuf-es style), for docs, for
 * error messages and for the property tests that drive every codec from its schema.
 *
 * @module
 */

/**
 * How one element of a field is laid out on the wire.
 *
 * `u*`/`le*` are little-endian (native-endian `u16/u32/u64` of pre-1.0 drafts are read as little-endian:
 * virtio is little-endian since 1.0); `be*` big-endian. 64- and 128-bit elements are `bigint` in values,
 * narrower ones `number`. `pointer` is a 64-bit little-endian guest address. `struct` is a nested struct
 * (see {@link FieldSchema.struct}). `bytes` is an opaque run of bytes the spec gives no layout for.
 */
export type WireType =
  | "u8" | "le16" | "le32" | "le64" | "le128" | "be16" | "be32" | "be64"
  | "pointer" | "struct" | "bytes";

/** How many elements a field has. */
export type ArraySchema =
  /** One element. */
  | { kind: "scalar" }
  /** A fixed number of elements. */
  | { kind: "fixed"; length: number }
  /**
   * As many elements as the value of `countField` times `perCount` (e.g. `u8 macs[entries][6]`: count
   * `entries`, 6 per count). Encode fills the count field in; decode checks it against the buffer.
   */
  | { kind: "counted"; countField: string; perCount: number }
  /** Whatever bytes remain (a trailing `[]` with no count): a whole number of elements. */
  | { kind: "rest" };

/** One field of a {@link StructSchema}. */
export interface FieldSchema {
  /** Name in the spec (e.g. `command-specific-data`). */
  name: string;
  /** Property name in the generated TypeScript value (the spec name made a valid identifier). */
  key: string;
  /** The type as the spec writes it (e.g. `le64`, `void *`, `struct virtq`). */
  specType: string;
  /** Wire layout of one element. */
  wire: WireType;
  /** Size of one element in bytes. */
  elementSize: number;
  /** How many elements. */
  array: ArraySchema;
  /** Byte offset from the start of the struct when it does not depend on features or earlier fields. */
  offset: number | null;
  /** Total size in bytes when fixed. */
  size: number | null;
  /** On the wire only when `feature` (bit `bit`) is negotiated (`negotiated: true`) or not (`false`). */
  presence?: { feature: string; bit: number; negotiated: boolean };
  /** Spec name of the nested struct when `wire` is `struct`. */
  struct?: string;
  /**
   * A bit-field: `width` bits at bit `offset` (from the least significant bit) of the storage integer `wire` at
   * `offset`; fields packed into one integer share its byte offset.
   */
  bits?: { offset: number; width: number };
  /** Where the spec declares the field: `file:line`, plus ` (mail file:line)` when it came from a mail. */
  source: string;
}

/** Description of one generated struct codec. */
export interface StructSchema {
  /** Spec name (e.g. `virtio_ism_ctrl_alloc`). */
  name: string;
  /** Size in bytes when every field is fixed and unconditional, else null. */
  size: number | null;
  /** Fewest bytes any valid encoding takes. */
  minSize: number;
  /** Most bytes any valid encoding takes, when bounded. */
  maxSize: number | null;
  /** Label path of the spec section that defines it. */
  section: string;
  /** Where the spec defines it. */
  source: string;
  /** The fields in wire order. */
  fields: readonly FieldSchema[];
  /**
   * `union`: every field at offset 0 and the size of the largest; decode reads every member over the same bytes,
   * encode takes exactly one. Absent for structs.
   */
  kind?: "union";
}

/** Options of encode/decode for structs with feature-conditional fields. */
export interface CodecOptions {
  /**
   * The negotiated feature bits (bit n = feature n). Decides which conditional fields are on the wire.
   * Defaults to `0n` (nothing negotiated).
   */
  features?: bigint;
}

/**
 * Every generated struct exposes this uniform interface (besides its named functions), so generic code
 * (tests, tools) can drive any codec from its schema.
 *
 * @typeParam T - the decoded value
 * @typeParam I - what encode accepts (T, with count fields optional)
 */
export interface StructCodec<T, I = T> {
  /** The struct's layout. */
  readonly schema: StructSchema;
  /** Decodes one struct at `offset`; throws {@link CodecError} when the bytes do not hold one. */
  decode(bytes: Uint8Array, offset?: number, options?: CodecOptions): T;
  /** Encodes `value` at `offset`; returns the number of bytes written. Throws {@link CodecError}. */
  encode(value: I, bytes: Uint8Array, offset?: number, options?: CodecOptions): number;
  /** Bytes `encode` will write for `value`. Throws {@link CodecError} when `value` cannot be encoded. */
  encodedLength(value: I, options?: CodecOptions): number;
  /** Bytes the struct encoded at `offset` occupies (reads count fields; checks bounds). */
  decodedLength(bytes: Uint8Array, offset?: number, options?: CodecOptions): number;
}
