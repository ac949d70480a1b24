import { describe, expect, it } from "vitest";
import { irOf } from "./helpers.js";

const TEX = String.raw`
\chapter{Device Types}\label{sec:Device Types}
\begin{tabular}{|l|c|}
Device ID & Virtio Device \\
1 & network card \\
18 & Input device \\
99 & reserved for a future device \\
\end{tabular}
\section{Input Device}\label{sec:Device Types / Input Device}
\subsection{Device ID}\label{sec:Device Types / Input Device / Device ID}
18
\subsection{Device configuration layout}\label{sec:Device Types / Input Device / Device configuration layout}
\begin{lstlisting}
struct virtio_input_absinfo {
        le32 min;
        le32 max;
};

struct virtio_input_devids {
        le16 bustype;
};

struct virtio_input_config {
        u8 select;
        u8 subsel;
        u8 size;
        u8 reserved[5];
        union {
                char string[128];
                struct virtio_input_absinfo abs;
                struct virtio_input_devids ids;
        } u;
};
\end{lstlisting}
`;

describe("devices pass", () => {
  it("takes as config struct the one no other struct of the layout section contains", () => {
    const { ir } = irOf(TEX);
    expect(ir.devices.map((d) => [d.slug, d.deviceId, d.configStruct])).toEqual([["input", 18, "virtio_input_config"]]);
  });
});

describe("device IDs pass", () => {
  it("keeps every row of the device ID table, linked to the chapter of that ID when there is one", () => {
    const { ir } = irOf(TEX);
    expect(ir.deviceIds!.map((e) => [e.id, e.name, e.device ?? null])).toEqual([
      [1, "network card", null],
      [18, "Input device", "input"],
      [99, "reserved for a future device", null],
    ]);
  });
});
