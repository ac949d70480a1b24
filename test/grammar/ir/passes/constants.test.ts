import { describe, expect, it } from "vitest";
import { anonymousEnumName } from "../../../../grammar/ir/passes/constants.js";
import { irOf } from "./helpers.js";

describe("anonymous enum names", () => {
  it("come from the words the members share, never from a line number", () => {
    expect(anonymousEnumName(["VIRTIO_SND_D_OUTPUT", "VIRTIO_SND_D_INPUT"], new Set())).toBe("virtio_snd_d");
    expect(anonymousEnumName(["VIRTIO_SND_JACK_F_REMAP"], new Set())).toBe("virtio_snd_jack_f");
    expect(anonymousEnumName(["VIRTIO_SND_R_JACK_INFO", "VIRTIO_SND_EVT_PCM_XRUN"], new Set())).toBe("virtio_snd");
    expect(anonymousEnumName(["VIRTIO_SND_R_JACK_INFO", "VIRTIO_SND_EVT_PCM_XRUN"], new Set(["virtio_snd"]))).toBe("virtio_snd_r");
    expect(anonymousEnumName(["A_B", "A_C"], new Set(["a", "a_b"]))).toBe("a_b_2");
  });

  it("do not change when lines are added above the enum", () => {
    const body = "\\section{S}\\label{sec:S}\n\\begin{lstlisting}\nenum {\n  VIRTIO_X_A = 1,\n  VIRTIO_X_B\n};\n\\end{lstlisting}\n";
    const a = irOf(body).ir.enums.map((e) => e.name);
    const b = irOf("\n\n\n" + body).ir.enums.map((e) => e.name);
    expect(a).toEqual(["virtio_x"]);
    expect(b).toEqual(a);
  });
});

describe("calls of function-like macros", () => {
  const tex = String.raw`\section{S}\label{sec:S}
\begin{lstlisting}
#define VIRTIO_Q_MAKE(svc, op) (((svc) << 8) | (op))
#define VIRTIO_Q_ONE VIRTIO_Q_MAKE(1, 2)
#define VIRTIO_Q_TWO VIRTIO_Q_MAEK(1, 3)
#define VIRTIO_Q_EXT _IOWR('V', 4, struct v4l2_format)
\end{lstlisting}
`;
  const { ir } = irOf(tex);
  const value = (n: string) => ir.constants.find((c) => c.name === n)?.value;
  const diags = ir.diagnostics.map((d) => [d.code, d.message]);

  it("are expanded and evaluated", () => {
    expect(value("VIRTIO_Q_ONE")).toBe(0x102);
  });

  it("of a near miss of a macro the spec defines are an error naming it; the macro itself is no unevaluable constant", () => {
    expect(value("VIRTIO_Q_TWO")).toBeNull();
    expect(diags).toContainEqual(["undefined-function-macro", "VIRTIO_Q_TWO: its value calls VIRTIO_Q_MAEK(…), which the spec does not define (it defines VIRTIO_Q_MAKE)"]);
    expect(diags.filter(([, m]) => m.startsWith("VIRTIO_Q_MAKE"))).toEqual([]);
  });

  it("of a macro from another header stay a constant-value warning", () => {
    expect(diags.filter(([, m]) => m.startsWith("VIRTIO_Q_EXT")).map(([c]) => c)).toEqual(["constant-value"]);
  });
});
