import { buildDocument, type Document } from "../../../../grammar/document/document.js";
import { buildIR } from "../../../../grammar/ir/build.js";
import type { SpecIR } from "../../../../grammar/ir/types.js";

/** A one-file tree from LaTeX text, read into the document model and the IR. */
export function irOf(tex: string): { doc: Document; ir: SpecIR } {
  const doc = buildDocument({ files: new Map([["spec.tex", { path: "spec.tex", text: tex }]]), entry: "spec.tex" });
  const ir = buildIR(doc, { kind: "tex", path: "spec.tex", sha256: "0".repeat(64) });
  return { doc, ir };
}
