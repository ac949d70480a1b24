import { describe, expect, it } from "vitest";
import { renderOnce } from "../../../../grammar/ir/passes/features.js";
import { irOf } from "./helpers.js";

const TEX = String.raw`
\chapter{Reserved Feature Bits}\label{sec:Reserved Feature Bits}
\begin{description}
\item[VIRTIO_F_VERSION_1(32)] Compliance, see \ref{sec:Intro}~\nameref{sec:Intro}.
\end{description}
\section{Legacy Interface: Reserved Feature Bits}\label{sec:Reserved Feature Bits / Legacy}
\begin{description}
\item[VIRTIO_F_NOTIFY_ON_EMPTY (24)] Notify when empty.
\item[UNUSED (30)] Used by qemu.
\end{description}
\chapter{Device Types}\label{sec:Device Types}
\section{Crypto Device}\label{sec:Device Types / Crypto Device}
\subsection{Device ID}\label{sec:Device Types / Crypto Device / Device ID}
20
\subsection{Feature bits}\label{sec:Device Types / Crypto Device / Feature bits}
\begin{description}
\item VIRTIO_CRYPTO_F_REVISION_1 (0) revision 1.
\item VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE (1) stateless mode requests are
    supported by the CIPHER service.
\end{description}
`;

describe("features pass", () => {
  it("reads bits written \\item NAME (n) without brackets, with the description after the bit", () => {
    const { ir } = irOf(TEX);
    const crypto = ir.devices.find((d) => d.slug === "crypto")!;
    expect(crypto.features.map((f) => [f.name, f.bit, f.description])).toEqual([
      ["VIRTIO_CRYPTO_F_REVISION_1", 0, "revision 1."],
      ["VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE", 1, "stateless mode requests are supported by the CIPHER service."],
    ]);
  });

  it("keeps legacy reserved bits, marked legacy, and UNUSED marked reserved", () => {
    const { ir } = irOf(TEX);
    expect(ir.featureBits.map((f) => [f.name, f.bit, f.legacy ?? false, f.reserved ?? false])).toEqual([
      ["VIRTIO_F_VERSION_1", 32, false, false],
      ["VIRTIO_F_NOTIFY_ON_EMPTY", 24, true, false],
      ["UNUSED", 30, true, true],
    ]);
  });

  it("renders \\ref{X}~\\nameref{X} once", () => {
    const { ir } = irOf(TEX);
    const v1 = ir.featureBits[0]!;
    expect(v1.description.match(/\[sec:Intro\]/g)).toHaveLength(1);
    expect(renderOnce("see [a] [a] and [b]~[b] but [a] [b]")).toBe("see [a] and [b] but [a] [b]");
  });
});
