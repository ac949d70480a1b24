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
