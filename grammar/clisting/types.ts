/**
 * Public AST of a parsed `lstlisting` body: the C (and not-C) the virtio specification writes in its
 * listings. Produced by `parseListing` in `grammar/clisting.ts`, which re-exports these types.
 *
 * Positions are file positions: the caller says where the listing body starts in its file.
 *
 * @module
 */

/**
 * A source range in the file the listing came from. Lines and columns are 1-based; a tab counts as
 * one column. The end is exclusive: `endColumn` is the column just after the last character, so an
 * item ending at the end of a 10-character line has `endColumn` 11. A zero-width range (start equal
 * to end) marks a point, e.g. where a missing `;` belongs.
 */
export interface Pos {
  /** Line of the first character. */
  line: number;
  /** Column of the first character. */
  column: number;
  /** Line of the end (exclusive) position. */
  endLine: number;
  /** Column just after the last character. */
  endColumn: number;
}

/** One array dimension of a declarator: `[]`, `[8]`, or anything else (`[num_queues]`, `[ /* Queue Size *\/ ]`). */
export type ArraySpec =
  | { kind: "empty" }
  | { kind: "literal"; value: number; text: string }
  | { kind: "expr"; text: string };

/**
 * A `#define`, at top level or inside a struct/union body.
 *
 * Each `#define` appears exactly once: a top-level one in {@link ListingParse.items}; one written
 * inside a struct/union body (the spec does this to list a field's values next to it) among that
 * body's members, at its position, with `insideStruct` set. A `#define` inside an enum body (enum
 * members cannot hold it) is an item right after the enum, also with `insideStruct`.
 */
export interface DefineItem {
  kind: "define";
  /** Macro name. */
  name: string;
  /** Replacement text with comments removed, `\`-continuations joined by one space, trimmed. */
  valueText: string;
  /** Parameter names of a function-like macro (`#define OP(service, op) ...`). */
  params?: string[];
  /** Visual indent of the `#` (tabs expanded to the next multiple of 8), to recognise sub-values. */
  indent: number;
  /** Comments on the directive's line(s), trimmed and joined by a space. */
  comment?: string;
  /** From `#` to the end of the value (trailing comment excluded). */
  pos: Pos;
  /** Name (tag) of the innermost named struct/union (or enum) whose body the directive is written in. */
  insideStruct?: string;
}

/** A comment on its own line(s), or an elision (`...`, `$\ldots$`) where the spec left text out. */
export interface CommentItem {
  kind: "comment";
  /** Comment text without delimiters; block comments lose their ` * ` margins; lines joined by "\n". */
  text: string;
  pos: Pos;
  /** Set when this is an elision line (`...`, `$\ldots$`) rather than a comment: `text` is the elision as written. */
  ellipsis?: true;
}

/** One declarator of a member declaration (`le32 a, b;` gives two fields). */
export interface FieldMember {
  kind: "field";
  /** Type as written, normalised: `"le16"`, `"struct virtq_desc"`, `"void *"`, `"unsigned int"`. */
  typeText: string;
  /** The type without pointer stars: `"le16"`, `"struct virtq_desc"`, `"void"`. */
  baseType: string;
  /** Whether the declarator has at least one `*`. */
  pointer: boolean;
  /** Tag of a `struct`/`union` type (`"virtq_desc"` for `struct virtq_desc desc[]`). */
  structRef?: string;
  /** Member name. */
  name: string;
  /** Array dimensions in order (`u8 data[][512]` has two). */
  arrays: ArraySpec[];
  /** Bit-field width (`u8 x : 3`, or a field of the spec's `le16 { a : 15; b : 1; }` notation). */
  bits?: number;
  /** Trailing comment(s) on the member's line, trimmed; also non-C annotations like `(Only if ...)`. */
  comment?: string;
  /** The whole declaration, type to `;` (shared by all declarators of one declaration). */
  pos: Pos;
}

/**
 * A struct or union written inside a body, named (`struct { ... } flags;`) or anonymous
 * (`union { ... };`), or the spec's bit-field group `le16 { a : 15; b : 1; } x;` (see `bitfieldBase`).
 */
export interface NestedMember {
  kind: "nested";
  keyword: "struct" | "union";
  /** Tag after the keyword (`struct virtio_blk_geometry { ... } geometry;`), if any. */
  tag: string | null;
  members: Member[];
  /** Member name after the closing brace; null for an anonymous struct/union. */
  name: string | null;
  arrays: ArraySpec[];
  /** Comment(s) after the closing `;` on the same line. */
  comment?: string;
  pos: Pos;
  /**
   * Set for the spec's bit-field notation (introduction.tex, "Bit-fields"): the members are
   * bit-fields that subdivide one integer of this type (`"le16"`, `"be16"`); `keyword` is "struct".
   */
  bitfieldBase?: string;
}

/** A member of a struct/union body, in source order. */
export type Member = FieldMember | NestedMember | DefineItem | CommentItem;

/** A top-level `struct` or `union` definition. */
export interface StructItem {
  kind: "struct";
  keyword: "struct" | "union";
  /** Tag; null for an anonymous top-level struct. */
  name: string | null;
  members: Member[];
  /** From the keyword to the `;` (or to what ends the declaration when the `;` is missing). */
  pos: Pos;
  /** The closing `}` is not followed by `;` (a real defect of some listings): the caller warns. */
  missingSemicolon?: boolean;
  /** `__attribute__((...))` contents, one entry per attribute (`"packed"`, `"aligned(8)"`). */
  attributes?: string[];
  /** Comment on the line(s) directly above the keyword (no blank line between). */
  leadingComment?: string;
}

/** One enumerator. */
export interface EnumMember {
  name: string;
  /** Text after `=`, trimmed; absent when the value is implicit (previous + 1). */
  valueText?: string;
  /** Comment after the enumerator on its line. */
  comment?: string;
  /** From the name to the end of the value. */
  pos: Pos;
  /** Comment line(s) directly above the enumerator (group headings such as `/* 3d commands *\/`). */
  leadingComment?: string;
}

/** A top-level `enum` definition. */
export interface EnumItem {
  kind: "enum";
  name: string | null;
  members: EnumMember[];
  pos: Pos;
  /** Comment on the line(s) directly above the keyword (no blank line between). */
  leadingComment?: string;
}

/** A `typedef` (of a simple type, or of a struct body, which also yields a {@link StructItem}). */
export interface TypedefItem {
  kind: "typedef";
  name: string;
  /** The aliased type, normalised (`"le32"`, `"struct foo"`, `"u8 *"`, `"u8[6]"`). */
  typeText: string;
  pos: Pos;
}

/** C that is not a declaration: statements, function definitions, other preprocessor lines. */
export interface CodeItem {
  kind: "code";
  /** Exact source text (consecutive statements and the comments between them form one item). */
  text: string;
  pos: Pos;
}

/**
 * Why a run of text is not C:
 * - `ascii-art`: a diagram drawn with `|`, `+`, `-`;
 * - `asn1`: ASN.1 definitions (`::=`);
 * - `device-tree`: a device-tree node (`name@address { ... }`);
 * - `latex`: LaTeX markup that the listing shows literally;
 * - `not-c`: anything else (prose, pseudo-code such as `(1) unmap(0, 9) -> succeeds`).
 */
export type OpaqueReason = "ascii-art" | "asn1" | "device-tree" | "latex" | "not-c";

/** A run of lines that is not C at all; the caller warns and keeps the text as an illustration. */
export interface OpaqueItem {
  kind: "opaque";
  /** Exact source text of the run. */
  text: string;
  pos: Pos;
  reason: OpaqueReason;
}

/** One top-level construct of a listing, in source order. */
export type ListingItem = StructItem | DefineItem | EnumItem | TypedefItem | CommentItem | CodeItem | OpaqueItem;

/**
 * Problem kinds:
 * - `missing-semicolon`: a member, nested body or enum lacks its `;` (top-level structs use `missingSemicolon` instead);
 * - `bad-member` / `bad-enum-member`: text in a body that is no member; skipped up to `;` or the end of its line;
 * - `unclosed-body`: a `{` without its `}` before the end of the listing;
 * - `unbalanced-brace`: a `}` with no open body;
 * - `unterminated-comment`: `/*` without `*\/`; the comment was ended at the end of its line;
 * - `non-c-annotation`: prose like `(Only if ... negotiated)` where C has none; kept as the comment;
 * - `invalid-identifier`: a member name that is not a C identifier (`command-specific-data`);
 * - `bad-bit-width`: a bit-field width that is not an integer literal;
 * - `define-trailing-semicolon`: a `#define` value ending in `;`;
 * - `missing-enum-comma`: two enumerators without a `,` between them;
 * - `directive-in-body`: a preprocessor line other than `#define` inside a body (not represented);
 * - `declarator-after-body`: `} name;` after a top-level body (the variable is not represented);
 * - `typedef-without-name`: `typedef struct { ... };`;
 * - `nesting-too-deep`: brackets nest beyond `MAX_NESTING` (the whole listing is returned as one opaque
 *   item), or operators/statements nest beyond the grammar's recursion bound (the parser stopped
 *   following them; such lines usually come back opaque);
 * - `too-complex`: hostile code-like text exhausted the parser's work budget; later lines came back as opaque;
 * - `internal`: the parser itself failed (a bug); the listing is returned as one opaque item.
 */
export type ProblemReason =
  | "missing-semicolon"
  | "bad-member"
  | "bad-enum-member"
  | "unclosed-body"
  | "unbalanced-brace"
  | "unterminated-comment"
  | "non-c-annotation"
  | "invalid-identifier"
  | "bad-bit-width"
  | "define-trailing-semicolon"
  | "missing-enum-comma"
  | "directive-in-body"
  | "declarator-after-body"
  | "typedef-without-name"
  | "nesting-too-deep"
  | "too-complex"
  | "internal";

/** A defect found (and recovered from) while parsing. */
export interface ListingProblem {
  /** Human-readable description, naming the construct. */
  message: string;
  /** Where: the failure point or the skipped text. */
  pos: Pos;
  /** What the grammar expected there, as peggy describes it (`";", "[", or ":"`). */
  expected?: string;
  /** Machine-readable kind. */
  reason: ProblemReason;
}

/** Result of `parseListing`: never thrown, always complete. */
export interface ListingParse {
  items: ListingItem[];
  problems: ListingProblem[];
}

/** Where a listing body starts in its file (1-based), as given to `parseListing`. */
export interface ListingStart {
  line: number;
  column: number;
}

/** Optional knobs of `parseListing`. */
export interface ListingOptions {
  /**
   * Characters the caller stripped from the start of every body line after the first (3 for a
   * mail's `> +` quote of a patch, 1 for a patch's `+`); added to their columns so that positions
   * point into the original file. Default 0.
   */
  linePrefixWidth?: number;
}
