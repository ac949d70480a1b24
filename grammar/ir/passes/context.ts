/**
 * What the IR passes share: a listing item placed in the document, a prose sentence, spans.
 *
 * @module
 */
import type { ListingItem } from "../../clisting/clisting.js";
import type { Block, Document, Prose } from "../../document/document.js";
import type { Diagnostic, SourceSpan } from "../types.js";

/** Maps a file line to the mail line that carried it (when the input was a mail). */
export type MailFor = (file: string, line: number) => SourceSpan["mail"];

/** A parsed listing item with where it sits in the document. */
export interface PlacedItem {
  item: ListingItem;
  section: number;
  /** Index of the listing block within its section, and of the item within the listing. */
  block: number;
  order: number;
  /** The prose paragraph right before the listing in the same section (its introduction). */
  intro?: string;
  span: SourceSpan;
}

/** One sentence of the document's prose, with the section and prose block it sits in. */
export interface Sentence {
  section: number;
  prose: Prose;
  text: string;
  offset: number;
}

/** Every pass appends its findings to one sink, in pass order (the final sort is stable). */
export type DiagnosticSink = Diagnostic[];

export function toSpan(file: string, pos: { line: number; column: number; endLine: number; endColumn: number }, doc: Document, mailFor: MailFor): SourceSpan {
  const span: SourceSpan = { file, line: pos.line, column: pos.column, endLine: pos.endLine, endColumn: pos.endColumn };
  const mail = mailFor(file, pos.line);
  if (mail) span.mail = mail;
  void doc;
  return span;
}

export function fmt(s: SourceSpan): string {
  return `${s.file}:${s.line}:${s.column}`;
}

/**
 * Orders spans by file, line, column. Strings compare by UTF-16 code units, not `localeCompare`: the order must
 * not depend on the machine's locale (IR and diagnostics are deterministic), and ICU collation was a visible
 * cost in cold-run profiles.
 */
export function cmpSpan(a: SourceSpan, b: SourceSpan): number {
  return compareCodeUnits(a.file, b.file) || a.line - b.line || a.column - b.column;
}

/** Locale-independent string order (UTF-16 code units), for deterministic sorting. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function prosesOf(blocks: Block[]): Prose[] {
  const out: Prose[] = [];
  for (const b of blocks) {
    if (b.kind === "prose") out.push(b.prose);
    else if (b.kind === "list") for (const it of b.items) out.push(it.body);
  }
  return out;
}

export function listItems(blocks: Block[]) {
  return blocks.flatMap((b) => (b.kind === "list" ? b.items : []));
}

/** Appends to the list under `key`, creating it. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  (map.get(key) ?? map.set(key, []).get(key)!).push(value);
}
