import { describe, expect, it } from "vitest";
import { parseTex, TexSyntaxError, type TexNode } from "../../../grammar/latex/latex.js";

function commands(nodes: TexNode[], out: string[] = []): string[] {
  for (const n of nodes) {
    if (n.type === "command") {
      out.push(n.name);
      for (const a of n.args) commands(a.nodes, out);
    } else if (n.type === "group") commands(n.nodes, out);
    else if (n.type === "env") commands(n.body, out);
  }
  return out;
}

function syntaxError(text: string): TexSyntaxError {
  try {
    parseTex(text);
  } catch (e) {
    if (e instanceof TexSyntaxError) return e;
    throw e;
  }
  throw new Error("expected a TexSyntaxError");
}

describe("LaTeX grammar", () => {
  it("reads sectioning, labels and normative headings with positions", () => {
    const nodes = parseTex("\\section{ISM Device}\\label{sec:A / B}\n\n\\devicenormative{\\subsubsection}{Init}{A / B / Init}\n");
    const sec = nodes[0]!;
    expect(sec).toMatchObject({ type: "command", name: "section", loc: { line: 1, column: 1 } });
    const norm = nodes.find((n) => n.type === "command" && n.name === "devicenormative");
    expect(norm).toMatchObject({ loc: { line: 3, column: 1 } });
    expect(norm && norm.type === "command" && norm.args.map((a) => a.raw)).toEqual(["\\subsubsection", "Init", "A / B / Init"]);
  });

  it("skips blanks between the arguments of multi-argument macros", () => {
    const [n] = parseTex("\\drivernormative{\\paragraph}{Title} {Some / Label}");
    expect(n!.type === "command" && n!.args.length).toBe(3);
  });

  it("keeps lstlisting bodies verbatim with the body's start position", () => {
    const src = "text\n\\begin{lstlisting}\nstruct a {\n\tle64 x; // 50% {\n};\n\\end{lstlisting}\n";
    const env = parseTex(src).find((n) => n.type === "env");
    expect(env).toMatchObject({ type: "env", name: "lstlisting", verbatim: true, raw: "\nstruct a {\n\tle64 x; // 50% {\n};\n" });
    expect(env && env.type === "env" && env.rawLoc).toMatchObject({ line: 2, column: 19 });
  });

  it("reads URLs with % and # literally", () => {
    const [n] = parseTex("\\url{http://x/a%20b#frag}");
    expect(n).toMatchObject({ type: "command", name: "url", args: [{ raw: "http://x/a%20b#frag" }] });
  });

  it("keeps definitions raw even when they split an environment across arguments", () => {
    const src = "\\newenvironment{box}[1]\n{\\begin{tabular}{l}}\n{\\end{tabular}}\nafter";
    const nodes = parseTex(src);
    expect(nodes[0]).toMatchObject({ type: "command", name: "newenvironment" });
    expect(nodes[0]!.type === "command" && nodes[0]!.args.map((a) => a.raw)).toEqual(["box", "1", "\\begin{tabular}{l}", "\\end{tabular}"]);
  });

  it("sees unknown and misspelled macros as ordinary commands (lint reports them)", () => {
    expect(commands(parseTex("fill \\filed{chunks} and \\field{num}"))).toEqual(["filed", "field"]);
  });

  it("reports an unclosed brace where it opened, and where the parser gave up", () => {
    const e = syntaxError("\\section{Title\n\nmore text\n");
    expect(e.message).toMatch(/unbalanced braces: this '\{' is never closed .*\(the parser reached 4:1\)/);
    expect([e.line, e.column]).toEqual([1, 9]);
  });

  it("points at the innermost '{' left open, skipping escaped braces, comments and listings", () => {
    const e = syntaxError("a {b} \\{ % { not this\n\\begin{lstlisting}\n{ {\n\\end{lstlisting}\nthen \\textbf{x {y} z\n");
    expect([e.line, e.column]).toEqual([5, 13]);
  });

  it("reports a stray closing brace where it stands", () => {
    const e = syntaxError("a\nb } c\n");
    expect(e.message).toMatch(/closes no group/);
    expect([e.line, e.column]).toEqual([2, 3]);
  });

  it("reports a mismatched \\end with both positions", () => {
    const e = syntaxError("\\begin{itemize}\n\\item x\n\\end{description}\n");
    expect(e.message).toMatch(/\\begin\{itemize\} at 1:1 is closed by \\end\{description\}/);
    expect(e.line).toBe(3);
  });

  it("reports an environment that is never closed", () => {
    const e = syntaxError("\\begin{lstlisting}\nstruct x {};\n");
    expect(e.message).toMatch(/never closed/);
  });
});
