/**
 * Pass 3: every `lstlisting` parsed as C, each item placed in its section with the prose that introduces it.
 *
 * @module
 */
import { parseListing } from "../../clisting/clisting.js";
import type { Block, Document } from "../../document/document.js";
import { squash } from "../text.js";
import type { SourceSpan } from "../types.js";
import { toSpan, type DiagnosticSink, type MailFor, type PlacedItem } from "./context.js";

export function listingsPass(doc: Document, mailFor: MailFor, diagnostics: DiagnosticSink): PlacedItem[] {
  const placed: PlacedItem[] = [];
  for (const s of doc.sections) {
    s.blocks.forEach((b, bi) => {
      if (b.kind !== "listing") return;
      const parsed = parseListing(b.body, { line: b.bodyLine, column: b.bodyColumn });
      for (const p of parsed.problems) {
        diagnostics.push({
          severity: "error",
          code: "listing-syntax",
          message: p.expected ? `${p.message} (expected ${p.expected})` : p.message,
          source: toSpan(b.file, p.pos, doc, mailFor),
        });
      }
      const intro = introOf(s.blocks, bi);
      parsed.items.forEach((item, order) => {
        const span = toSpan(b.file, item.pos, doc, mailFor);
        if (item.kind === "opaque") {
          diagnostics.push({ severity: "warning", code: "listing-not-c", message: `listing is not C (${item.reason}); not read as wire structures`, source: span });
        }
        if (item.kind === "struct" && item.missingSemicolon) {
          const endSpan: SourceSpan = { ...span, line: item.pos.endLine, column: item.pos.endColumn, endLine: item.pos.endLine, endColumn: item.pos.endColumn };
          diagnostics.push({ severity: "error", code: "struct-syntax", message: `struct ${item.name ?? "(anonymous)"}: expected ';' after the closing '}'`, source: endSpan });
        }
        placed.push({ item, section: s.index, block: bi, order, intro, span });
      });
    });
  }
  return placed;
}

function introOf(blocks: Block[], index: number): string | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const b = blocks[i]!;
    if (b.kind === "prose") return squash(b.prose.text);
    if (b.kind === "listing") return undefined;
  }
  return undefined;
}
