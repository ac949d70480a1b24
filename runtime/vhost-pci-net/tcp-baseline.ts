/**
 * The loopback baselines of the vhost-pci-net demo: the same test frames (light mode: header checked on arrival)
 * sent from one worker_thread to another through the host's network stack, which is what two guests would use
 * without vhost-pci, measured in the same run as the vhost-pci path. Three ways, because they measure different
 * things:
 *
 * - `udp`: one datagram per frame on 127.0.0.1. Like for like with a virtqueue, where every frame is its own
 *   buffer and its own used entry. Loopback UDP drops datagrams when the receiver falls behind: the loss is
 *   reported, and the rate counts delivered frames only.
 * - `tcp-per-frame`: one `write` per frame (2-byte length prefix + frame) on a TCP connection with Nagle off.
 *   Each frame is one message for the sender; the stack may still coalesce them into fewer segments.
 * - `tcp-stream`: frames packed into 64 KiB writes. This is a byte stream, not frames: its packets/s counts
 *   frames carved out of coalesced writes, so it is no fair comparison for small frames (kept, labelled as such,
 *   as the upper bound of what a socket moves).
 *
 * Both ends are workers (`workers/tcp-baseline.worker.js`): the main thread only starts them and collects their
 * reports, so neither end shares a thread with the other.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { VhostPciNetError } from "./errors.js";

/** How frames cross the loopback: see the module comment. */
export type LoopbackMode = "udp" | "tcp-per-frame" | "tcp-stream";

/** What a baseline worker is asked to do. */
export type TcpBaselineTask =
  | { readonly role: "receiver"; readonly mode: LoopbackMode }
  | { readonly role: "sender"; readonly mode: LoopbackMode; readonly port: number; readonly frameSize: number; readonly durationMs: number };

/** The receiver's findings (timing sampled per socket read, as the vhost-pci guests sample per loop turn). */
export interface TcpReceiverReport {
  readonly received: number;
  readonly bytes: number;
  readonly corrupted: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly first: { readonly ms: number; readonly count: number; readonly bytes: number };
  readonly last: { readonly ms: number; readonly count: number; readonly bytes: number };
}

/** Result of one baseline run. */
export interface TcpBaselineResult {
  /** Frames delivered per second between the first and the last read. */
  readonly packetsPerSecond: number;
  /** Frame bytes delivered per second (length prefixes not counted). */
  readonly bytesPerSecond: number;
  /** Frames the sender sent. */
  readonly sent: number;
  /** The receiver's report (`lost`: frames that never arrived; only UDP may lose). */
  readonly receiver: TcpReceiverReport;
}

/**
 * Sends `frameSize`-byte frames over the loopback for `durationMs` and measures what arrives.
 * @param workerUrl - the compiled tcp-baseline.worker.js
 * @param mode - how frames cross (default `tcp-stream`, the original baseline)
 * @throws VhostPciNetError `invalid-state` when a worker fails, or a stream that must be lossless (TCP) arrives
 *   damaged; any stream with corrupted or duplicated frames
 */
export async function runTcpBaseline(workerUrl: URL, frameSize: number, durationMs: number, mode: LoopbackMode = "tcp-stream"): Promise<TcpBaselineResult> {
  const receiver = new Worker(workerUrl, { workerData: { role: "receiver", mode } satisfies TcpBaselineTask });
  try {
    const port = await nextMessage<{ port: number }>(receiver);
    const sender = new Worker(workerUrl, { workerData: { role: "sender", mode, port: port.port, frameSize, durationMs } satisfies TcpBaselineTask });
    const [report, sent] = await Promise.all([nextMessage<TcpReceiverReport>(receiver), nextMessage<{ sent: number }>(sender)]);
    await sender.terminate();
    const damaged = report.corrupted + report.duplicated + (mode === "udp" ? 0 : report.lost) > 0;
    if (damaged) throw new VhostPciNetError("invalid-state", `${mode} baseline stream damaged: ${JSON.stringify(report)}`);
    const seconds = (report.last.ms - report.first.ms) / 1000;
    return {
      packetsPerSecond: seconds > 0 ? (report.last.count - report.first.count) / seconds : 0,
      bytesPerSecond: seconds > 0 ? (report.last.bytes - report.first.bytes) / seconds : 0,
      sent: sent.sent,
      receiver: report,
    };
  } finally {
    await receiver.terminate();
  }
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number): void => reject(new VhostPciNetError("invalid-state", `loopback baseline worker exited with code ${code}`));
    worker.once("message", (m: T) => {
      worker.off("exit", onExit);
      resolve(m);
    });
    worker.once("error", reject);
    worker.once("exit", onExit);
  });
}
