/**
 * Which struct a command carries, from the text's structure and wording only: a made-up device laid out as the
 * block chapter is (a listing after "Each request is of form:", codes named in parentheses, a note, a legacy
 * request struct introduced by the words the text gives its codes), with no name of a real device; and the
 * v1.4 sound chapter, whose PCM control commands share the header their section introduces.
 */
import { describe, expect, it } from "vitest";
import { irOf } from "./helpers.js";

const TEX = String.raw`
\chapter{Device Types}\label{sec:Device Types}
\section{Frob Device}\label{sec:Device Types / Frob Device}
\subsection{Device ID}\label{sec:Device Types / Frob Device / Device ID}
77
\subsection{Device Operation}\label{sec:Device Types / Frob Device / Device Operation}

The driver queues requests to the virtqueue. Each request is of form:

\begin{lstlisting}
struct virtio_frob_req {
        le32 type;
        le32 reserved;
        u8 data[];
        u8 status;
};

struct virtio_frob_extent {
        le64 start;
        le32 count;
        le32 flags;
};
\end{lstlisting}

The type of the request is either a read (VIRTIO_FROB_T_IN), a write
(VIRTIO_FROB_T_OUT) or a flush (VIRTIO_FROB_T_FLUSH).

\begin{lstlisting}
#define VIRTIO_FROB_T_IN       0
#define VIRTIO_FROB_T_OUT      1
#define VIRTIO_FROB_T_FLUSH    4
#define VIRTIO_FROB_T_BARRIER  0x80000000
#define VIRTIO_FROB_T_ZAP      9
\end{lstlisting}

The high bit (VIRTIO_FROB_T_BARRIER) indicates that this request acts as a barrier.
The device MUST set the BARRIER_CAP flag in \field{struct virtio_frob_resp_caps.flags} if it supports barriers.

\begin{note} A barrier does not flush caches. Only a VIRTIO_FROB_T_FLUSH request does that.
\end{note}

If the device has the legacy feature, it can also support raw packet command requests, each of these
requests is of form:

\begin{lstlisting}
struct virtio_frob_raw_req {
        u32 type;
        u8 cmd[];
        u8 status;
};
\end{lstlisting}

A request type can also be a raw packet command (VIRTIO_FROB_T_RAW or VIRTIO_FROB_T_RAW_OUT):

\begin{lstlisting}
#define VIRTIO_FROB_T_RAW      2
#define VIRTIO_FROB_T_RAW_OUT  3
\end{lstlisting}

\subsection{Zapping}\label{sec:Device Types / Frob Device / Zapping}

Zapping clears what the device holds.

\begin{lstlisting}
struct virtio_frob_cmd_zap {
        le32 type;
        le32 what;
};
\end{lstlisting}

When it is done, the device writes:

\begin{lstlisting}
struct virtio_frob_resp_zap {
        u8 status;
};
\end{lstlisting}

\subsection{Capabilities}\label{sec:Device Types / Frob Device / Capabilities}

The device reports what it supports in:

\begin{lstlisting}
struct virtio_frob_resp_caps {
        le32 flags;
};
\end{lstlisting}
`;

describe("command links from the text's structure", () => {
  const { ir } = irOf(TEX);
  const request = (name: string): string | undefined => ir.commands.find((c) => c.name === name)?.request;

  it("takes the first struct of the listing after 'Each request is of form:', not a later one beside it", () => {
    expect(ir.commands.map((c) => c.name).sort()).toEqual(
      ["VIRTIO_FROB_T_BARRIER", "VIRTIO_FROB_T_FLUSH", "VIRTIO_FROB_T_IN", "VIRTIO_FROB_T_OUT", "VIRTIO_FROB_T_RAW", "VIRTIO_FROB_T_RAW_OUT", "VIRTIO_FROB_T_ZAP"],
    );
    expect(request("VIRTIO_FROB_T_IN")).toBe("virtio_frob_req");
    expect(request("VIRTIO_FROB_T_OUT")).toBe("virtio_frob_req");
  });

  it("reads 'struct X.field' as a field of X, not as the message a command carries", () => {
    expect(ir.commands.find((c) => c.name === "VIRTIO_FROB_T_BARRIER")?.reply).toBeUndefined();
  });

  it("does not carry a command named in a note to the text after the note", () => {
    expect(request("VIRTIO_FROB_T_FLUSH")).toBe("virtio_frob_req");
    expect(request("VIRTIO_FROB_T_BARRIER")).toBe("virtio_frob_req");
  });

  it("links the codes the text names by its own words ('a raw packet command (A or B)') to the struct those words introduce", () => {
    expect(request("VIRTIO_FROB_T_RAW")).toBe("virtio_frob_raw_req");
    expect(request("VIRTIO_FROB_T_RAW_OUT")).toBe("virtio_frob_raw_req");
  });

  it("ties a struct named as the code is, with a role word between (virtio_frob_cmd_zap, virtio_frob_resp_zap), where no sentence does", () => {
    const zap = ir.commands.find((c) => c.name === "VIRTIO_FROB_T_ZAP")!;
    expect([zap.request, zap.reply]).toEqual(["virtio_frob_cmd_zap", "virtio_frob_resp_zap"]);
    expect(zap.links?.filter((l) => l.struct.endsWith("_zap")).map((l) => `${l.role} ${l.rule}`)).toEqual(["request name", "reply name"]);
  });
});


describe("a section's common request header, on the v1.4 sound chapter", () => {
  it("is the request of the commands titled in that section ('A PCM control request has, or consists of, a common header')", async () => {
    const { runFrontEnd } = await import("../../../../grammar/pipeline.js");
    const ir = runFrontEnd("../shared/virtio-spec/v1.4/device-types/sound/description.tex").ir;
    const request = (n: string) => ir.commands.find((c) => c.name === n)?.request;
    for (const n of ["PREPARE", "RELEASE", "START", "STOP"]) expect(request(`VIRTIO_SND_R_PCM_${n}`), n).toBe("virtio_snd_pcm_hdr");
    // A command of the section with a struct of its own keeps it.
    expect(request("VIRTIO_SND_R_PCM_SET_PARAMS")).toBe("virtio_snd_pcm_set_params");
  });
});
