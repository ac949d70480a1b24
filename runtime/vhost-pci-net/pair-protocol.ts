/**
 * What the management thread (pair.ts) and the two guest workers say to each other: the worker data each
 * guest boots from, the commands it accepts and the events it reports. Everything is structured-clone safe.
 *
 * @module
 */
import type { MessagePort } from "node:worker_threads";
import type { DoorbellDescriptor } from "../notify/index.js";
import type { FrameCheckStats } from "../virtio-net/test-frames.js";
import type { DirtyPageLogDescriptor } from "./dirty-log.js";
import type { Refusal } from "./errors.js";
import type { GuestInterruptsDescriptor } from "./interrupts.js";

/** Configuration of guest A (virtio-net). */
export interface GuestAConfig {
  /** The VMM implements the PV-interrupt hypercall. Default true. */
  readonly pvInterrupt?: boolean;
  /** The VMM can log dirty pages (offers VHOST_F_LOG_ALL toward the backend). Default true. */
  readonly dirtyLogging?: boolean;
  /** Peer feature bits the device could offer. */
  readonly deviceNetFeatures?: bigint;
  /** virtio-net feature bits the driver accepts. */
  readonly driverNetFeatures?: bigint;
}

/** Configuration of guest B (vhost-pci-net). */
export interface GuestBConfig {
  /** The VMM implements the PV-interrupt hypercall. Default true. */
  readonly pvInterrupt?: boolean;
  /** need_map of PEER_MEM_INFO. Default "Y". */
  readonly needMap?: "N" | "Y";
  /** Peer feature bits the device serves. */
  readonly devicePeerFeatures?: bigint;
  /** Peer feature bits the driver accepts. */
  readonly driverPeerFeatures?: bigint;
}

/** What a guest worker boots from. */
export interface GuestWorkerData {
  /** Which guest. */
  readonly role: "a" | "b";
  /** Its RAM. */
  readonly ram: SharedArrayBuffer;
  /** Its interrupt controller. */
  readonly interrupts: GuestInterruptsDescriptor;
  /** The other guest's CPU line (rung after posting on the peer link). */
  readonly peerLine: DoorbellDescriptor;
  /** Its end of the peer link. */
  readonly link: MessagePort;
  /** Its end of the management channel (commands in, events out). */
  readonly control: MessagePort;
  /** Guest A's configuration (role a). */
  readonly a?: GuestAConfig;
  /** Guest B's configuration (role b). */
  readonly b?: GuestBConfig;
  /** The dirty log of guest A's memory (role b). */
  readonly dirtyLog?: DirtyPageLogDescriptor;
  /** Longest sleep before the guest polls again even without a wake-up, in ms (a fallback, e.g. without PV interrupts). */
  readonly idleTimeoutMs: number;
}

/**
 * One guest's part of a traffic run, as the demo and tests describe it ({@link PeerPair.traffic} turns it into a
 * `receive` and a `send` command, in that order for both guests, so no frame reaches a guest before its sink).
 */
export interface TrafficPlanOptions {
  /** Frames to send (-1: until `stop-traffic`; 0: receive only). */
  readonly count: number;
  /** Frame sizes, used in turn. */
  readonly sizes: readonly number[];
  /** Integrity data per frame. */
  readonly mode: "full" | "light";
  /** Frames this guest expects to receive before it reports `traffic-done` (-1: never). */
  readonly expect: number;
}

/** Installs a fresh frame sink (checker) for stream `mode`; the guest answers with `receiving`. */
export interface ReceiveCommand {
  readonly cmd: "receive";
  /** Integrity data the frames carry. */
  readonly mode: "full" | "light";
  /** Frames to receive before reporting `traffic-done` (-1: never). */
  readonly expect: number;
}

/** Starts the guest's frame source. */
export interface SendCommand {
  readonly cmd: "send";
  /** Frames to send (-1: until `stop-traffic`). */
  readonly count: number;
  /** Frame sizes, used in turn. */
  readonly sizes: readonly number[];
  /** Integrity data per frame. */
  readonly mode: "full" | "light";
}

/** A command from the management thread. */
export type GuestCommand =
  | ReceiveCommand
  | SendCommand
  | { readonly cmd: "stop-traffic" }
  | { readonly cmd: "disconnect" }
  | { readonly cmd: "dirty-logging"; readonly on: boolean }
  | { readonly cmd: "report" }
  | { readonly cmd: "exit" };

/** A guest's counters and findings. */
export interface GuestReport {
  /** Which guest. */
  readonly role: "a" | "b";
  /** Driver state. */
  readonly driverState: string;
  /** Device state (negotiation with the peer). */
  readonly deviceState: string;
  /** Whether the driver sees the connection. */
  readonly connected: boolean;
  /** Frames the traffic source produced. */
  readonly produced: number;
  /** What the traffic sink saw. */
  readonly received: FrameCheckStats;
  /**
   * Guest A: `sent` (put on its TX ring), `completed` (TX chains it got back as used), `received`.
   * Guest B: `copiedFromPeer` (peer TX chains copied and marked used), `sentToPeer` (peer RX chains filled and
   * marked used), `delivered`, `dropped`.
   */
  readonly counters: Readonly<Record<string, number>>;
  /** Refusals of the device and the driver. */
  readonly refusals: { readonly device: readonly Refusal[]; readonly driver: readonly Refusal[] };
  /** Peer feature bits in force. */
  readonly peerFeatures: bigint;
  /** PV interrupts injected into the peer. */
  readonly pvInjected: number;
  /** Milliseconds between the traffic command and the last expected frame (or the report). */
  readonly trafficMs: number;
  /**
   * Receive-side timing for throughput: the first and the last moment the guest saw its received count grow
   * (worker clock, ms) and the count then. Rate = (last.count - first.count) / (last.ms - first.ms).
   */
  readonly rxFirst: { readonly ms: number; readonly count: number; readonly bytes: number };
  /** See {@link GuestReport.rxFirst}. */
  readonly rxLast: { readonly ms: number; readonly count: number; readonly bytes: number };
}

/** An event from a guest worker. */
export type GuestEvent =
  | { readonly ev: "ready" }
  | { readonly ev: "connected" }
  | { readonly ev: "receiving" }
  | { readonly ev: "disconnected" }
  | { readonly ev: "traffic-done"; readonly report: GuestReport }
  | { readonly ev: "report"; readonly report: GuestReport }
  | { readonly ev: "error"; readonly message: string };
