/**
 * Raw grammar nodes → the public listing AST, with file positions and problems.
 *
 * @module
 */

import type {
  CommentItem,
  DefineItem,
  EnumItem,
  EnumMember,
  FieldMember,
  ListingItem,
  ListingParse,
  ListingProblem,
  Member,
  NestedMember,
  OpaqueReason,
  ProblemReason,
  StructItem,
  TypedefItem,
} from "./types.js";
import type {
  RawBodyClose,
  RawDefine,
  RawEnum,
  RawEnumMember,
  RawField,
  RawItem,
  RawMember,
  RawMemberTail,
  RawNested,
  RawNestedClose,
  RawStruct,
  RawTypedef,
  RawTypedefStruct,
} from "./raw.js";
import type { ListingPositions } from "./positions.js";
import { breaksBetween, groupComments, groupSpans, type CommentRun, type GroupedItem, type GroupedMember } from "./runs.js";
import { expectedAt, type ExpectedInfo, type StrictRule } from "./expected.js";
import {
  arraySpec,
  commentText,
  isCIdentifier,
  splitAttributes,
  splitDefineRest,
  splitValueAnnotation,
  structRefOf,
  typeWordsText,
} from "./lexical.js";
import { parseIntegerLiteral } from "./eval.js";
import { classifyOpaque } from "./opaque.js";

/** A problem before its offsets become a file position. */
interface PendingProblem {
  reason: ProblemReason;
  message: string;
  s: number;
  e: number;
  expected?: string;
}

/**
 * Problems of one listing that get peggy's "expected" information (each costs a re-parse); later
 * ones, which only hostile or badly broken text produces, are reported without it.
 */
export const MAX_EXPECTED_REPORTS = 100;

/** The body members are converted for: its name goes into `insideStruct` and messages. */
interface BodyContext {
  owner: string;
}

/** Converts one parsed listing. */
export function convertListing(body: string, raw: readonly RawItem[], positions: ListingPositions): ListingParse {
  return new ListingConverter(body, positions).convert(raw);
}

class ListingConverter {
  private readonly problems: PendingProblem[] = [];
  private reparses = 0;

  constructor(
    private readonly body: string,
    private readonly positions: ListingPositions,
  ) {}

  convert(raw: readonly RawItem[]): ListingParse {
    // Other preprocessor lines are C code at top level; make them spans so code runs can take them in.
    const spans = raw.map((node): RawItem => (node.t === "directive" ? { t: "code", s: node.s, e: node.e } : node));
    const grouped = groupSpans(this.body, groupComments(this.body, spans));
    const items: ListingItem[] = [];
    for (let i = 0; i < grouped.length; i++) {
      const node = grouped[i] as GroupedItem;
      const next = grouped[i + 1];
      // A comment directly above a struct/enum (no blank line) is its leading comment, not an item;
      // one that starts on the line the previous item ends on trails that item instead.
      const previous = grouped[i - 1];
      const ownLine = previous === undefined || breaksBetween(this.body, previous.e, node.s) !== 0;
      if (node.t === "commentRun" && ownLine && next !== undefined && (next.t === "struct" || next.t === "enum") && breaksBetween(this.body, node.e, next.s) <= 1) {
        this.reportUnterminated(node);
        const converted = next.t === "struct" ? this.struct(next) : this.enumeration(next);
        const head = converted[0] as StructItem | EnumItem;
        head.leadingComment = this.runText(node);
        items.push(...converted);
        i++;
        continue;
      }
      items.push(...this.item(node));
    }
    const problems: ListingProblem[] = this.problems
      .sort((a, b) => a.s - b.s || a.e - b.e)
      .map((p) => ({ message: p.message, pos: this.positions.pos(p.s, p.e), reason: p.reason, ...(p.expected !== undefined ? { expected: p.expected } : {}) }));
    return { items, problems };
  }

  private item(node: GroupedItem): ListingItem[] {
    switch (node.t) {
      case "commentRun":
        return [this.comment(node)];
      case "ellipsis":
        return [{ kind: "comment", text: node.text, pos: this.pos(node.s, node.e), ellipsis: true }];
      case "define":
        return [this.define(node)];
      case "directive":
      case "code":
        return [{ kind: "code", text: this.body.slice(node.s, node.e), pos: this.pos(node.s, node.e) }];
      case "opaque": {
        const text = this.body.slice(node.s, node.e);
        const reason: OpaqueReason = classifyOpaque(text);
        return [{ kind: "opaque", text, pos: this.pos(node.s, node.e), reason }];
      }
      case "stray":
        this.problem("unbalanced-brace", "`}` without an open struct, union or enum body", node.s, node.e);
        return [];
      case "budget":
        this.problem("too-complex", "the listing's code-like text costs too much to parse; lines after the budget ran out are not read as C", 0, this.body.length);
        return [];
      case "recursion":
        this.problem("nesting-too-deep", "operators or statements nest too deeply (prefix operators, casts, else-if or ?: chains); the parser stopped following them, so some lines may not be read as C", 0, this.body.length);
        return [];
      case "struct":
        return this.struct(node);
      case "enum":
        return this.enumeration(node);
      case "typedef":
        return [this.typedef(node)];
      case "typedefStruct":
        return this.typedefStruct(node);
    }
  }

  // --- comments ---------------------------------------------------------------------------------

  private comment(run: CommentRun): CommentItem {
    this.reportUnterminated(run);
    return { kind: "comment", text: this.runText(run), pos: this.pos(run.s, run.e) };
  }

  private runText(run: CommentRun): string {
    return run.parts.map((part) => commentText(part.style, part.body)).join("\n");
  }

  private reportUnterminated(run: CommentRun): void {
    for (const part of run.parts) if (part.unterminated) this.unterminated(part.s, part.e);
  }

  private unterminated(s: number, e: number): void {
    this.problem("unterminated-comment", "`/*` comment without `*/`; taken to end at the end of its line", s, e, '"*/"');
  }

  /** Text of trailing comments (and a prose annotation) after a member, or undefined. */
  private tailText(tail: RawMemberTail, ownerName: string): string | undefined {
    const texts = tail.comments.map((c) => {
      if (c.unterminated) this.unterminated(c.s, c.e);
      return commentText(c.style, c.body);
    });
    if (tail.annotation !== null) {
      this.problem("non-c-annotation", `non-C annotation ${tail.annotation.text} after \`${ownerName}\`; kept as its comment`, tail.annotation.s, tail.annotation.e);
      texts.push(tail.annotation.text);
    }
    return joinText(texts);
  }

  // --- #define ----------------------------------------------------------------------------------

  private define(node: RawDefine, insideStruct?: string): DefineItem {
    const rest = splitDefineRest(node.rest);
    for (const u of rest.unterminated) this.unterminated(node.restS + u.s, node.restS + u.e);
    let valueText = rest.valueText;
    const comments = [...rest.comments];
    const annotated = splitValueAnnotation(valueText);
    const end = rest.valueText === "" ? (node.params !== null ? this.paramsEnd(node) : node.nameE) : node.restS + rest.valueEnd;
    if (annotated !== null) {
      this.problem("non-c-annotation", `non-C annotation ${annotated.annotation} after the value of \`${node.name}\`; kept as its comment`, node.s, end);
      valueText = annotated.value;
      comments.unshift(annotated.annotation);
    }
    if (valueText.endsWith(";")) {
      this.problem("define-trailing-semicolon", `value of \`${node.name}\` ends with \`;\`, which becomes part of every use`, node.s, end);
    }
    const comment = joinText(comments);
    return {
      kind: "define",
      name: node.name,
      valueText,
      ...(node.params !== null ? { params: node.params } : {}),
      indent: this.positions.visualIndent(node.s),
      ...(comment !== undefined ? { comment } : {}),
      pos: this.pos(node.s, end),
      ...(insideStruct !== undefined ? { insideStruct } : {}),
    };
  }

  private paramsEnd(node: RawDefine): number {
    const close = this.body.indexOf(")", node.nameE);
    return close < 0 || close > node.restS ? node.restS : close + 1;
  }

  // --- struct / union ---------------------------------------------------------------------------

  private struct(node: RawStruct): ListingItem[] {
    const context: BodyContext = { owner: node.name ?? `(anonymous ${node.keyword})` };
    const members = this.members(node.members, context, null);
    const item: StructItem = { kind: "struct", keyword: node.keyword, name: node.name, members, pos: this.pos(node.s, this.closeEnd(node.s, node.close)) };
    const attributes = [...node.attrs, ...node.close.attrs].flatMap(splitAttributes);
    if (attributes.length > 0) item.attributes = attributes;
    this.closeTopLevel(node.s, node.close, `${node.keyword} ${context.owner}`, "MemberOrClose", (missing) => {
      if (missing) item.missingSemicolon = true;
    });
    return [item];
  }

  /** Problems of a top-level body's end; `onSemicolon(true)` when only the `;` is missing. */
  private closeTopLevel(start: number, close: RawBodyClose, what: string, rule: StrictRule, onSemicolon: (missing: boolean) => void): void {
    if (close.kind === "unclosed") {
      this.unclosed(what, rule, start, close);
      return;
    }
    for (const d of close.decls) {
      this.problem("declarator-after-body", `\`${what}\` is followed by the declarator \`${d.name}\`; that variable is not represented`, d.s, d.e);
    }
    onSemicolon(!close.semi);
  }

  /**
   * Where a body's declaration ends: its close's end, except that an unclosed body (which runs to
   * the end of the listing or to the next top-level definition) does not take the blank space before it.
   */
  private closeEnd(start: number, close: RawBodyClose | RawNestedClose): number {
    if (close.kind === "closed") return close.end;
    return start + this.body.slice(start, close.end).trimEnd().length;
  }

  /**
   * An unclosed body: the problem sits after its last member, where the `}` was expected. At the end
   * of the listing peggy says what else could have come; before the next definition only `}` could.
   */
  private unclosed(what: string, rule: StrictRule, start: number, close: RawBodyClose | RawNestedClose): void {
    const at = this.closeEnd(start, close);
    if (close.end >= this.body.length) {
      const info = this.expected(this.body.length, rule);
      this.problem("unclosed-body", `\`${what}\` has no closing \`}\` before the end of the listing`, at, at, info?.expected);
    } else {
      this.problem("unclosed-body", `\`${what}\` has no closing \`}\` before the next definition`, at, at, '"}"');
    }
  }

  private members(raw: readonly RawMember[], context: BodyContext, bitfieldBase: string | null): Member[] {
    const out: Member[] = [];
    for (const node of groupComments(this.body, raw) as GroupedMember[]) {
      switch (node.t) {
        case "commentRun":
          out.push(this.comment(node));
          break;
        case "ellipsis":
          out.push({ kind: "comment", text: node.text, pos: this.pos(node.s, node.e), ellipsis: true });
          break;
        case "define":
          out.push(this.define(node, context.owner));
          break;
        case "directive":
          this.problem("directive-in-body", `preprocessor line \`#${node.directive}\` inside \`${context.owner}\` is not represented`, node.s, node.e);
          break;
        case "field":
          out.push(...this.field(node));
          break;
        case "bitfield":
          out.push(this.typelessBitfield(node, bitfieldBase ?? ""));
          break;
        case "nested":
          out.push(this.nested(node, context));
          break;
        case "bad":
          this.skipped("bad-member", `not a member of \`${context.owner}\``, node.s, node.e, "StrictMember");
          break;
      }
    }
    return out;
  }

  /** Reports text skipped by recovery, with what the strict rule expected there. */
  private skipped(reason: ProblemReason, what: string, s: number, e: number, rule: StrictRule): void {
    const info = this.expected(s, rule);
    const from = info !== undefined && info.at >= s && info.at < e ? info.at : s;
    const text = this.body.slice(s, e).trim();
    this.problem(reason, `${what}: skipped ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`, from, e, info?.expected);
  }

  private field(node: RawField): FieldMember[] {
    const baseType = typeWordsText(node.head);
    const structRef = structRefOf(node.head);
    const trailing = this.tailText(node.tail, node.decls.map((d) => d.decl.name).join(", "));
    const fields = node.decls.map(({ comment, decl }): FieldMember => {
      if (!isCIdentifier(decl.name)) {
        this.problem("invalid-identifier", `member name \`${decl.name}\` is not a C identifier`, decl.nameS, decl.nameE);
      }
      // A comment after a declarator's comma is its own; the trailing comment belongs to the last
      // declarator and to every earlier one that has none of its own.
      const own = joinText((comment ?? []).map((c) => commentText(c.style, c.body)));
      const text = own ?? trailing;
      const field: FieldMember = {
        kind: "field",
        typeText: decl.stars === "" ? baseType : `${baseType} ${decl.stars}`,
        baseType,
        pointer: decl.stars !== "",
        name: decl.name,
        arrays: decl.arrays.map((a) => arraySpec(a.text)),
        pos: this.pos(node.s, node.end),
      };
      if (structRef !== undefined) field.structRef = structRef;
      if (decl.bits !== null) {
        const bits = this.bitWidth(decl.bits.text, decl.bits.s, decl.bits.e, decl.name);
        if (bits !== undefined) field.bits = bits;
      }
      if (text !== undefined) field.comment = text;
      return field;
    });
    if (node.missingSemi) {
      const info = this.expected(node.s, "StrictMember");
      this.problem("missing-semicolon", `missing \`;\` after member \`${node.decls.map((d) => d.decl.name).join(", ")}\``, node.end, node.end, info?.expected ?? '";"');
    }
    return fields;
  }

  private typelessBitfield(node: Extract<RawMember, { t: "bitfield" }>, base: string): FieldMember {
    if (!isCIdentifier(node.name)) this.problem("invalid-identifier", `bit-field name \`${node.name}\` is not a C identifier`, node.s, node.s + node.name.length);
    const field: FieldMember = { kind: "field", typeText: base, baseType: base, pointer: false, name: node.name, arrays: [], pos: this.pos(node.s, node.end) };
    const bits = this.bitWidth(node.bits.text, node.bits.s, node.bits.e, node.name);
    if (bits !== undefined) field.bits = bits;
    const comment = joinText(node.comments.map((c) => commentText(c.style, c.body)));
    if (comment !== undefined) field.comment = comment;
    return field;
  }

  private bitWidth(text: string, s: number, e: number, name: string): number | undefined {
    const bits = parseIntegerLiteral(text);
    if (bits === null) {
      this.problem("bad-bit-width", `bit-field width \`${text.trim()}\` of \`${name}\` is not an integer literal`, s, e);
      return undefined;
    }
    return bits;
  }

  private nested(node: RawNested, context: BodyContext): NestedMember {
    const inner: BodyContext = { owner: node.tag ?? context.owner };
    const members = this.members(node.members, inner, node.bitfieldBase);
    const name = node.close.decl?.name ?? null;
    const nested: NestedMember = {
      kind: "nested",
      keyword: node.keyword,
      tag: node.tag,
      members,
      name,
      arrays: (node.close.decl?.arrays ?? []).map((a) => arraySpec(a.text)),
      pos: this.pos(node.s, this.closeEnd(node.s, node.close)),
    };
    if (node.bitfieldBase !== null) nested.bitfieldBase = node.bitfieldBase;
    const what = node.bitfieldBase !== null ? `${node.bitfieldBase} { ... }${name !== null ? ` ${name}` : ""}` : `${node.keyword}${node.tag !== null ? ` ${node.tag}` : ""} { ... }${name !== null ? ` ${name}` : ""}`;
    this.closeNested(node.s, node.close, what);
    const comment = this.tailText(node.close.tail, name ?? what);
    if (comment !== undefined) nested.comment = comment;
    return nested;
  }

  private closeNested(start: number, close: RawNestedClose, what: string): void {
    if (close.kind === "unclosed") this.unclosed(what, "MemberOrClose", start, close);
    else if (!close.semi) this.problem("missing-semicolon", `missing \`;\` after \`${what}\``, close.end, close.end, '";"');
  }

  // --- enum -------------------------------------------------------------------------------------

  /** The enum item followed by the `#define`s written inside it (enumerators have no define kind, see {@link DefineItem}). */
  private enumeration(node: RawEnum): ListingItem[] {
    const owner = node.name ?? "(anonymous enum)";
    const members: EnumMember[] = [];
    let pendingComments: string[] = [];
    let previous: RawEnumMember | null = null;
    const hoisted: DefineItem[] = [];
    for (const entry of groupComments(this.body, node.members)) {
      switch (entry.t) {
        case "commentRun":
          this.reportUnterminated(entry);
          pendingComments.push(this.runText(entry));
          break;
        case "define":
          hoisted.push(this.define(entry, owner));
          break;
        case "directive":
          this.problem("directive-in-body", `preprocessor line \`#${entry.directive}\` inside \`enum ${owner}\` is not represented`, entry.s, entry.e);
          break;
        case "bad":
          this.skipped("bad-enum-member", `not an enumerator of \`enum ${owner}\``, entry.s, entry.e, "StrictEnumEntry");
          break;
        case "enumMember": {
          if (previous !== null && !previous.comma) {
            this.problem("missing-enum-comma", `missing \`,\` between enumerators \`${previous.name}\` and \`${entry.name}\``, previous.e, previous.e, '","');
          }
          members.push(this.enumMember(entry, pendingComments));
          pendingComments = [];
          previous = entry;
          break;
        }
      }
    }
    const item: EnumItem = { kind: "enum", name: node.name, members, pos: this.pos(node.s, this.closeEnd(node.s, node.close)) };
    this.closeTopLevel(node.s, node.close, `enum ${owner}`, "EnumEntryOrClose", (missing) => {
      if (missing) this.problem("missing-semicolon", `missing \`;\` after \`enum ${owner}\``, node.close.end, node.close.end, '";"');
    });
    return [item, ...hoisted];
  }

  private enumMember(node: RawEnumMember, leading: string[]): EnumMember {
    const member: EnumMember = { name: node.name, pos: this.pos(node.s, node.value?.e ?? node.nameE) };
    if (node.value !== null) member.valueText = node.value.text.trim();
    const comment = joinText(node.comments.map((c) => {
      if (c.unterminated) this.unterminated(c.s, c.e);
      return commentText(c.style, c.body);
    }));
    if (comment !== undefined) member.comment = comment;
    const lead = leading.filter((t) => t !== "").join("\n");
    if (lead !== "") member.leadingComment = lead;
    return member;
  }

  // --- typedef ----------------------------------------------------------------------------------

  private typedef(node: RawTypedef): TypedefItem {
    const base = typeWordsText(node.head);
    const arrays = node.decl.arrays.map((a) => `[${a.text.trim()}]`).join("");
    const typeText = `${base}${node.decl.stars !== "" ? ` ${node.decl.stars}` : ""}${arrays}`;
    return { kind: "typedef", name: node.decl.name, typeText, pos: this.pos(node.s, node.end) };
  }

  private typedefStruct(node: RawTypedefStruct): ListingItem[] {
    const alias = node.close.decl?.name ?? null;
    const name = node.tag ?? alias;
    const context: BodyContext = { owner: name ?? `(anonymous ${node.keyword})` };
    const members = this.members(node.members, context, null);
    const struct: StructItem = { kind: "struct", keyword: node.keyword, name, members, pos: this.pos(node.s, this.closeEnd(node.s, node.close)) };
    const attributes = node.close.attrs.flatMap(splitAttributes);
    if (attributes.length > 0) struct.attributes = attributes;
    this.closeNested(node.s, node.close, `typedef ${node.keyword} ${context.owner}`);
    const out: ListingItem[] = [struct];
    if (alias === null) {
      if (node.close.kind === "closed") this.problem("typedef-without-name", `\`typedef ${node.keyword} ${context.owner}\` declares no type name`, node.s, node.close.end);
    } else {
      out.push({ kind: "typedef", name: alias, typeText: `${node.keyword} ${name ?? alias}`, pos: this.pos(node.s, node.close.end) });
    }
    return out;
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** {@link expectedAt}, within the listing's {@link MAX_EXPECTED_REPORTS} allowance. */
  private expected(offset: number, rule: StrictRule): ExpectedInfo | undefined {
    if (this.reparses >= MAX_EXPECTED_REPORTS) return undefined;
    this.reparses++;
    return expectedAt(this.body, offset, rule);
  }

  private pos(s: number, e: number) {
    return this.positions.pos(s, e);
  }

  private problem(reason: ProblemReason, message: string, s: number, e: number, expected?: string): void {
    this.problems.push({ reason, message, s, e, ...(expected !== undefined ? { expected } : {}) });
  }
}

/** Non-empty texts joined by a space, or undefined when there are none. */
function joinText(texts: readonly string[]): string | undefined {
  const kept = texts.filter((t) => t !== "");
  return kept.length > 0 ? kept.join(" ") : undefined;
}
