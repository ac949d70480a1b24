/**
 * Shapes of the raw nodes that grammar/clisting/clisting.peggy returns (the generated parser is untyped).
 * Every node carries `s`/`e`: start and end (exclusive) offsets into the listing body. These types
 * are the contract between the grammar actions and grammar/clisting.convert.ts; keep them in step.
 *
 * @module
 */

/** A `[...]` array dimension as written (`text` is what is between the brackets). */
export interface RawArrayDim {
  text: string;
  s: number;
  e: number;
}

/** A bit-field width as written (after `:`). */
export interface RawBits {
  text: string;
  s: number;
  e: number;
}

/** `/* ... *\/` or `// ...`; `unterminated` when no `*\/` followed (the node ends at its line's end). */
export interface RawComment {
  t: "comment";
  s: number;
  e: number;
  style: "block" | "line";
  body: string;
  unterminated: boolean;
}

/** `#define NAME(params) rest`; `rest` still holds comments and `\`-continuations. */
export interface RawDefine {
  t: "define";
  s: number;
  e: number;
  name: string;
  nameS: number;
  nameE: number;
  params: string[] | null;
  rest: string;
  restS: number;
}

/** Any other preprocessor line (`#if`, `#endif`, `#include`, ...). */
export interface RawDirective {
  t: "directive";
  s: number;
  e: number;
  directive: string;
  rest: string;
}

/** `...` or `$\ldots$` on its own. */
export interface RawEllipsis {
  t: "ellipsis";
  s: number;
  e: number;
  text: string;
}

/** A type word: a plain identifier, or `struct|union|enum tag`. */
export type RawTypeWord = string | { keyword: "struct" | "union" | "enum"; tag: string };

/** One declarator: `**name[..][..] : bits`. */
export interface RawDeclarator {
  stars: string;
  name: string;
  nameS: number;
  nameE: number;
  arrays: RawArrayDim[];
  bits: RawBits | null;
  s: number;
  e: number;
}

/** A declarator after a closing brace: `} *name[..]`. */
export interface RawNestedDeclarator {
  stars: string;
  name: string;
  arrays: RawArrayDim[];
  s: number;
  e: number;
}

/** A parenthesised prose annotation after a member (`(Only if ... negotiated)`). */
export interface RawAnnotation {
  text: string;
  s: number;
  e: number;
}

/** What follows a member's `;` on its line. */
export interface RawMemberTail {
  comments: RawComment[];
  annotation: RawAnnotation | null;
}

/** A member declaration; `end` is where it ends before its trailing comments (after `;` when present). */
export interface RawField {
  t: "field";
  s: number;
  e: number;
  head: RawTypeWord[];
  decls: { comment: RawComment[] | null; decl: RawDeclarator }[];
  end: number;
  missingSemi: boolean;
  tail: RawMemberTail;
}

/** The end of a nested body: `} attrs name[..];` plus its trailing comments. */
export interface RawNestedClose {
  kind: "closed" | "unclosed";
  attrs: string[];
  decl: RawNestedDeclarator | null;
  semi: boolean;
  end: number;
  tail: RawMemberTail;
}

/** A nested struct/union, or (with `bitfieldBase`) the spec's `le16 { a : 15; ... } x;` group. */
export interface RawNested {
  t: "nested";
  s: number;
  e: number;
  keyword: "struct" | "union";
  tag: string | null;
  members: RawMember[];
  close: RawNestedClose;
  bitfieldBase: string | null;
}

/** `name : bits` inside a bit-field group (no type of its own). */
export interface RawBitfield {
  t: "bitfield";
  s: number;
  e: number;
  name: string;
  bits: RawBits;
  end: number;
  comments: RawComment[];
}

/** Text skipped by recovery inside a body. */
export interface RawBad {
  t: "bad";
  s: number;
  e: number;
  text: string;
}

/** A member of a struct/union body as the grammar returns it. */
export type RawMember = RawComment | RawDefine | RawDirective | RawEllipsis | RawField | RawNested | RawBitfield | RawBad;

/** The end of a top-level body: `} attrs decls;` (`end` after the `;` or the last part present). */
export interface RawBodyClose {
  kind: "closed" | "unclosed";
  attrs: string[];
  decls: RawNestedDeclarator[];
  semi: boolean;
  end: number;
}

/** A top-level struct/union. */
export interface RawStruct {
  t: "struct";
  s: number;
  e: number;
  keyword: "struct" | "union";
  name: string | null;
  attrs: string[];
  members: RawMember[];
  close: RawBodyClose;
}

/** One enumerator; `value` is the text after `=`. */
export interface RawEnumMember {
  t: "enumMember";
  s: number;
  e: number;
  name: string;
  nameE: number;
  value: { text: string; s: number; e: number } | null;
  comma: boolean;
  comments: RawComment[];
}

/** A top-level enum. */
export interface RawEnum {
  t: "enum";
  s: number;
  e: number;
  name: string | null;
  members: (RawComment | RawDefine | RawDirective | RawEnumMember | RawBad)[];
  close: RawBodyClose;
}

/** `typedef struct tag { ... } name;` */
export interface RawTypedefStruct {
  t: "typedefStruct";
  s: number;
  e: number;
  keyword: "struct" | "union";
  tag: string | null;
  members: RawMember[];
  close: RawNestedClose;
}

/** `typedef type declarator;` */
export interface RawTypedef {
  t: "typedef";
  s: number;
  e: number;
  head: RawTypeWord[];
  decl: RawDeclarator;
  end: number;
}

/** A node that only has a range: C statements, not-C lines, a stray `}`. */
export interface RawSpan {
  t: "code" | "opaque" | "stray";
  s: number;
  e: number;
}

/**
 * Appended (at the end of the body) when one of the grammar's limits was hit: `budget`, its work
 * budget for expressions; `recursion`, its bound on recursion outside brackets.
 */
export interface RawLimit {
  t: "budget" | "recursion";
  s: number;
  e: number;
}

/** A top-level node as the grammar returns it. */
export type RawItem =
  | RawLimit
  | RawComment
  | RawDefine
  | RawDirective
  | RawEllipsis
  | RawStruct
  | RawEnum
  | RawTypedefStruct
  | RawTypedef
  | RawSpan;
