import { describe, expect, it } from "vitest";
import { definedInText, lint, namesInTables, normativeLabelChecks } from "../../../grammar/lint/lint.js";
import { irOf } from "../ir/passes/helpers.js";

describe("names the spec defines outside listings", () => {
  const TEX = String.raw`
\section{Admin}\label{sec:Admin}
\begin{tabular}{|l|l|}
opcode & Name \\
0x0001 & VIRTIO_ADMIN_CMD_LIST_USE \\
\end{tabular}
\begin{itemize}
\item VIRTIO_ADMIN_CMD_DRIVER_CAP_SET
\item VIRTIO_ADMIN_CMD_OTHER_THING is mentioned in a sentence.
\end{itemize}
\begin{description}
\item VIRTIO_CRYPTO_F_REVISION_1 (0) revision 1.
\item [VIRTIO_CONSOLE_DEVICE_ADD (1)] Sent by the device.
\item[VIRTIO_ISM_PERM_DENY_DEFAULT] described, never defined.
\end{description}
For the command VIRTIO_ADMIN_CMD_DEVICE_CAP_GET, \field{opcode} is set to 0x8.
`;
  it("reads tables, item lists and opcode sentences; a bare \\item[NAME] is not a definition", () => {
    const { doc } = irOf(TEX);
    expect([...namesInTables(doc)]).toEqual(["VIRTIO_ADMIN_CMD_LIST_USE"]);
    expect([...definedInText(doc)].sort()).toEqual([
      "VIRTIO_ADMIN_CMD_DEVICE_CAP_GET",
      "VIRTIO_ADMIN_CMD_DRIVER_CAP_SET",
      "VIRTIO_CONSOLE_DEVICE_ADD",
      "VIRTIO_CRYPTO_F_REVISION_1",
    ]);
  });
});

describe("macros", () => {
  it("\\urldef defines the macro after it; a missing generated \\input explains the tree's own family only", () => {
    const TEX = String.raw`\input{setup-generated.tex}
\newcommand{\virtioversion}{Version \virtiorev}
\urldef \virtiourlhtml\url{https://example.org}
\section{S}\label{sec:S}
See \virtiourlhtml, \virtiorev and \nothere.
`;
    const { doc, ir } = irOf(TEX);
    const ds = lint(doc, ir);
    expect(ds.filter((d) => d.code === "unknown-macro").map((d) => d.message)).toEqual(["unknown macro \\nothere"]);
    expect(ds.filter((d) => d.code === "macro-from-missing-input").map((d) => d.message)).toEqual([
      "\\virtiorev is defined nowhere in the tree; taken to come from the file the build generates, \\input{setup-generated.tex}",
    ]);
  });

  it("a lstlisting [label=…] is a label \\ref can point at", () => {
    const TEX = "\\section{S}\\label{sec:S}\n\\begin{lstlisting}[label={lst:S / x}]\nstruct x { u8 a; };\n\\end{lstlisting}\nSee \\ref{lst:S / x}.\n";
    const { doc, ir } = irOf(TEX);
    expect(lint(doc, ir).filter((d) => d.code === "dangling-ref")).toEqual([]);
  });
});

describe("normative labels", () => {
  const TEX = String.raw`
\chapter{Device Types}\label{sec:Device Types}
\section{PMEM Device}\label{sec:Device Types / PMEM Driver}
\devicenormative{\subsection}{Virtqueue flush}{Device Types / PMEM Device / Virtqueue flush}
The device MUST flush.
\section{Memory Device}\label{sec:Device Types / Memory Device}
\drivernormative{\subsection}{UNPLUG request}{Device Types / Memory Device / UNPLUG ALL request}
The driver MUST unplug.
\devicenormative{\subsection}{PLUG request}{Device Types / Memory Device / PLUG request}
The device MUST plug.
`;
  it("flag a label filed under another device (error) and a title that names another topic than its label (warning)", () => {
    const { doc } = irOf(TEX);
    expect(normativeLabelChecks(doc).map((d) => [d.severity, d.code, d.source.line])).toEqual([
      ["error", "normative-label-misplaced", 4],
      ["warning", "normative-label-mismatch", 7],
    ]);
  });
});

describe("struct types of another specification", () => {
  const TEX = String.raw`\section{Zed Device}\label{sec:Zed}
The zed device carries ZEDPROTO messages; their layout is defined by ZEDPROTO.
\begin{lstlisting}
struct virtio_zed_req {
        struct zedproto_header hdr;
        struct virtio_zed_missing more;
        struct otherproto_thing x;
};
\end{lstlisting}
`;
  it("is a warning naming that specification when the text names it and the spec defines no struct of its family", () => {
    const { doc, ir } = irOf(TEX);
    const found = lint(doc, ir).filter((d) => d.code === "external-type" || d.code === "undefined-type").map((d) => [d.code, d.message]);
    expect(found).toEqual([
      ["external-type", "virtio_zed_req.hdr: struct zedproto_header is not defined in this spec; the text names ZEDPROTO, whose struct it is taken to be"],
      // A struct of the spec's own family, or of a specification the text never names, stays undefined.
      ["undefined-type", "virtio_zed_req.more: struct virtio_zed_missing is used but not defined in this spec"],
      ["undefined-type", "virtio_zed_req.x: struct otherproto_thing is used but not defined in this spec"],
    ]);
  });
});
