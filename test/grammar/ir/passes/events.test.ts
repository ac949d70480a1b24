/**
 * Which constants are event types: the text announces a struct for a value of a field ("If \field{type} is A,
 * the corresponding structure is struct S"); a status the device sets ("the device MUST set the \field{status}
 * field to X"), or a condition on a field of another struct, is not an event. Made-up device, no real names.
 */
import { describe, expect, it } from "vitest";
import { irOf } from "./helpers.js";

const TEX = String.raw`
\chapter{Device Types}\label{sec:Device Types}
\section{Zork Device}\label{sec:Device Types / Zork Device}
\subsection{Device ID}\label{sec:Device Types / Zork Device / Device ID}
78
\subsection{Device Operation}\label{sec:Device Types / Zork Device / Device Operation}

\begin{lstlisting}
struct virtio_zork_resp_head {
        u8 status;
        u8 reserved[7];
};
\end{lstlisting}

The device sets the \field{status} field to one of the following values:

\begin{lstlisting}
#define VIRTIO_ZORK_S_OK     0
#define VIRTIO_ZORK_S_EINVAL 4
\end{lstlisting}

For \field{struct virtio_zork_resp_head}, the device MUST set the \field{status} field to VIRTIO_ZORK_S_OK if
the device executed the request, which is what the driver expects.

The driver MUST interpret the fields other than the \field{struct virtio_zork_resp_head} field \field{status}
only when \field{status} is VIRTIO_ZORK_S_OK.

\subsection{Events}\label{sec:Device Types / Zork Device / Events}

\begin{lstlisting}
struct virtio_zork_event {
        le32 type;
        le32 value;
};

struct virtio_zork_event_moved {
        le32 type;
        le32 x;
        le32 y;
};
\end{lstlisting}

\begin{lstlisting}
#define VIRTIO_ZORK_EVT_MOVED  1
#define VIRTIO_ZORK_EVT_GONE   2
\end{lstlisting}

If \field{type} is VIRTIO_ZORK_EVT_MOVED, the corresponding structure is struct virtio_zork_event_moved.
`;

describe("event types from the text's wording", () => {
  const { ir } = irOf(TEX);

  it("takes a value the text gives a struct for as an event, with that struct", () => {
    expect(ir.events.find((e) => e.name === "VIRTIO_ZORK_EVT_MOVED")?.struct).toBe("virtio_zork_event_moved");
  });

  it("does not take the status values a device sets, or a condition on another struct's field, as events", () => {
    expect(ir.events.filter((e) => e.name.startsWith("VIRTIO_ZORK_S_")).map((e) => e.name)).toEqual([]);
  });
});
