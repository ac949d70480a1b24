import { describe, expect, it } from "vitest";
import { irOf } from "./helpers.js";

const TEX = String.raw`
\chapter{Device Types}\label{sec:Device Types}
\section{Clock Device}\label{sec:Device Types / Clock Device}
\subsection{Device Operation}
\subsubsection{Read Requests}
Text.
\subsubsection{Read Requests}
Text again.
\subsection{Feature \field{bits}}
`;

const labels = (tex: string) => irOf(tex).ir.sections.map((s) => s.label);

describe("sections pass: labels of sections without a \\label", () => {
  it("are built from the nearest labelled ancestor and the titles below it, a repeated title numbered", () => {
    expect(labels(TEX)).toEqual([
      "sec:Device Types",
      "sec:Device Types / Clock Device",
      "anon:sec:Device Types / Clock Device/device-operation",
      "anon:sec:Device Types / Clock Device/device-operation/read-requests",
      "anon:sec:Device Types / Clock Device/device-operation/read-requests~2",
      "anon:sec:Device Types / Clock Device/feature-bits",
    ]);
    const ir = irOf(TEX).ir;
    expect(ir.sections[3]!.parent).toBe("anon:sec:Device Types / Clock Device/device-operation");
  });

  it("do not change when lines are added above them (no label follows a line number)", () => {
    const shifted = TEX.replace("\\section{Clock Device}", "% a comment\n\nA new paragraph.\n\n\\section{Clock Device}");
    expect(labels(shifted)).toEqual(labels(TEX));
    expect(labels(TEX).filter((l) => /\d+$/.test(l) && !/~\d+$/.test(l))).toEqual([]);
  });

  it("give a section with no labelled ancestor a root path", () => {
    expect(labels("\\chapter{Introduction}\nText.\n\\section{Terminology}\n")).toEqual(["anon:root/introduction", "anon:root/introduction/terminology"]);
  });
});
