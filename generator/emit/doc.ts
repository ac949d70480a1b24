/**
 * TSDoc text for generated code: escaping spec prose so TSDoc/typedoc read it as text, source references,
 * and deterministic word wrapping.
 *
 * @module
 */
import type CodeBlockWriter from "code-block-writer";
import type { SourceSpan } from "../../grammar/ir/types.js";
import { labelPath, sourceRef } from "../plan/context.js";

const WIDTH = 110;

/** Escapes spec text for TSDoc: characters TSDoc gives meaning to (`@ { } < > \` and backquote) and `*\/`. */
export function escapeDoc(text: string): string {
  return text
    .replace(/[\\@{}<>`]/g, (c) => `\\${c}`)
    .replace(/\*\//g, "*\\/")
    .replace(/\s+/g, " ")
    .trim();
}

/** "Spec: `Device Types / ISM Device / Event`, virtio-ism.tex:161 (mail …:297)." */
export function specRef(section: string, source: SourceSpan): string {
  return `Spec: \`${labelPath(section).replace(/`/g, "'")}\`, ${sourceRef(source)}.`;
}

const GLUE = "\u0000";

/** Word-wraps a paragraph; never breaks inside a code span or an inline tag (TSDoc reads those per line). */
function wrap(paragraph: string): string[] {
  const glued = paragraph.replace(/`[^`]*`|\{@link [^}]*\}/g, (m) => m.replace(/ /g, GLUE));
  const words = glued.split(" ");
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > WIDTH) {
      lines.push(line);
      line = w;
    } else {
      line = line ? `${line} ${w}` : w;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => l.split(GLUE).join(" "));
}

/**
 * Writes a `/** … *\/` block. Each entry is a paragraph (already escaped where it holds spec text); entries
 * starting with `@` are block tags and `- ` list items, written on their own lines. Undefined entries are
 * skipped.
 */
export function writeDoc(w: CodeBlockWriter, paragraphs: readonly (string | undefined)[]): void {
  // Block tags go last: TSDoc attaches any paragraph after a tag to that tag.
  const given = paragraphs.filter((p): p is string => p !== undefined && p.trim() !== "");
  const paras = [...given.filter((p) => !p.startsWith("@")), ...given.filter((p) => p.startsWith("@"))];
  if (!paras.length) return;
  const lines: string[] = [];
  paras.forEach((p, i) => {
    const isList = p.startsWith("- ");
    const prevList = i > 0 && paras[i - 1]!.startsWith("- ");
    const firstTag = p.startsWith("@") && (i === 0 || !paras[i - 1]!.startsWith("@"));
    if (i > 0 && !(isList && prevList) && (!p.startsWith("@") || firstTag)) lines.push("");
    const wrapped = wrap(p.replace(/\s+/g, " ").trim());
    lines.push(...wrapped.map((l, j) => (isList && j > 0 ? `  ${l}` : l)));
  });
  w.writeLine("/**");
  for (const l of lines) w.writeLine(l ? ` * ${l}` : " *");
  w.writeLine(" */");
}
