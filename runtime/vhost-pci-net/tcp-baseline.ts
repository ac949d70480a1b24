/**
 * The TCP loopback baseline of the vhost-pci-net demo: the same test frames (light mode: header checked on
 * arrival) sent from one worker_thread to another over a TCP connection on 127.0.0.1, each frame preceded by
 * its 2-byte length. This is what two guests would use without vhost-pci (a socket through the host's
 * network stack), measured in the same run as the vhost-pci path.
 *
 * Both ends are workers (`workers/tcp-baseline.worker.js`): the main thread only starts them and collects
 * their reports, so neither end shares a thread with the other.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { VhostPciNetError } from "./errors.js";

/** What a baseline worker is asked to do. */
export type TcpBaselineTask =
  | { readonly role: "receiver" }
  | { readonly role: "sender"; readonly port: number; readonly frameSize: number; readonly durationMs: number };

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
  /** Frames per second between the first and the last read. */
  readonly packetsPerSecond: number;
  /** Frame bytes per second (payload of the TCP stream minus the length prefixes). */
  readonly bytesPerSecond: number;
  /** The receiver's report. */
  readonly receiver: TcpReceiverReport;
}

/**
 * Sends `frameSize`-byte frames over TCP loopback for `durationMs` and measures what arrives.
 * @param workerUrl - the compiled tcp-baseline.worker.js
 * @throws VhostPciNetError `invalid-state` when a worker fails or reports a damaged stream
 */
export async function runTcpBaseline(workerUrl: URL, frameSize: number, durationMs: number): Promise<TcpBaselineResult> {
  const receiver = new Worker(workerUrl, { workerData: { role: "receiver" } satisfies TcpBaselineTask });
  try {
    const port = await nextMessage<{ port: number }>(receiver);
    const sender = new Worker(workerUrl, { workerData: { role: "sender", port: port.port, frameSize, durationMs } satisfies TcpBaselineTask });
    const [report] = await Promise.all([nextMessage<TcpReceiverReport>(receiver), nextMessage<{ sent: number }>(sender)]);
    await sender.terminate();
    if (report.corrupted + report.lost + report.duplicated > 0) {
      throw new VhostPciNetError("invalid-state", `TCP baseline stream damaged: ${JSON.stringify(report)}`);
    }
    const seconds = (report.last.ms - report.first.ms) / 1000;
    return {
      packetsPerSecond: seconds > 0 ? (report.last.count - report.first.count) / seconds : 0,
      bytesPerSecond: seconds > 0 ? (report.last.bytes - report.first.bytes) / seconds : 0,
      receiver: report,
    };
  } finally {
    await receiver.terminate();
  }
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number): void => reject(new VhostPciNetError("invalid-state", `TCP baseline worker exited with code ${code}`));
    worker.once("message", (m: T) => {
      worker.off("exit", onExit);
      resolve(m);
    });
    worker.once("error", reject);
    worker.once("exit", onExit);
  });
}
