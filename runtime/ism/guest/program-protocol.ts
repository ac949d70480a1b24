/**
 * Messages between a host-side {@link GuestProgramClient} and the generic guest program
 * (`ism-guest.worker.ts`): commands that drive the guest's ISM driver, their answers, and the notices the guest
 * sends on its own (events, progress).
 *
 * @module
 */
import type { IsmDriverOptions } from "../driver/index.js";

/** What the guest program gets in `workerData.data`. */
export interface GuestProgramData {
  /** Options of the guest's driver. */
  readonly driver?: IsmDriverOptions;
}

/** Default layout of the channels in a region used for ping-pong and streaming. */
export const CHANNEL_MAILBOX_OFFSET = 0;
/** Byte offset of the stream ring in such a region. */
export const CHANNEL_RING_OFFSET = 4096;
/** Largest ping-pong message. */
export const CHANNEL_MAX_MESSAGE = 1024;

/** Commands and their arguments. */
export interface GuestCommands {
  /** Device and driver facts. */
  info: Record<string, never>;
  /** `driver.alloc(size)`. */
  alloc: { readonly size: number };
  /** `driver.attach(token, access)`. */
  attach: { readonly token: bigint; readonly read: boolean; readonly write: boolean };
  /** `driver.query(token)`. */
  query: { readonly token: bigint };
  /** `driver.grant(token, bits)`. */
  grant: { readonly token: bigint; readonly permissions: number };
  /** `driver.grantDevice(token, devid, bits)`. */
  grantDevice: { readonly token: bigint; readonly devid: bigint; readonly permissions: number };
  /** `driver.bindVector(token, vector)`. */
  bindVector: { readonly token: bigint; readonly vector: number | null };
  /** `region.write(offset, data)`. */
  write: { readonly token: bigint; readonly offset: number; readonly data: Uint8Array };
  /** `region.read(offset, length)`. */
  read: { readonly token: bigint; readonly offset: number; readonly length: number };
  /** `region.kick()`. */
  kick: { readonly token: bigint };
  /** `driver.detach(token)`. */
  detach: { readonly token: bigint };
  /** Resolves with the first event (already received or future) matching the filter. */
  waitEvent: { readonly type: string; readonly devid?: bigint; readonly timeoutMs: number };
  /** Ping-pong of `messageBytes` messages through the region's mailbox. */
  pingpong: {
    readonly token: bigint;
    readonly role: "initiator" | "responder";
    /** Round trips (the initiator may stop earlier, see `maxSeconds`; the responder follows it). */
    readonly rounds: number;
    /** Initiator: stop after this many seconds even if fewer rounds were made (default: no limit). */
    readonly maxSeconds?: number;
    readonly messageBytes: number;
    readonly spinNanoseconds: number;
    /** Nap phase between spinning and sleeping (default the channel's; 0: sleep right after the spin). */
    readonly napNanoseconds?: number;
    readonly progressEvery?: number;
    readonly timeoutMs?: number;
  };
  /** Streaming through the region's byte ring. */
  stream: {
    readonly token: bigint;
    readonly role: "producer" | "consumer";
    readonly bytes: number;
    readonly chunkBytes: number;
    /** Nap phase between spinning and sleeping (default the channel's; 0: sleep right after the spin). */
    readonly napNanoseconds?: number;
    /** Consumer: copy the bytes out (`copy`, default, like a socket read) or look at them where they lie (`in-place`). */
    readonly consume?: "copy" | "in-place";
    /** Bytes streamed first and not timed (both sides must agree), so that the timed part runs JIT-compiled code. */
    readonly warmupBytes?: number;
    readonly spinNanoseconds: number;
    readonly progressEvery?: number;
    readonly timeoutMs?: number;
  };
  /** Driver counters and memory accounting. */
  stats: Record<string, never>;
  /** Detaches everything (if asked), closes the driver and ends the worker. */
  close: { readonly detachAll: boolean };
}

/** A command name. */
export type GuestCommandName = keyof GuestCommands;

/** Host → guest. */
export interface GuestCommandMessage<K extends GuestCommandName = GuestCommandName> {
  /** Request id. */
  readonly id: number;
  /** Command. */
  readonly cmd: K;
  /** Arguments. */
  readonly args: GuestCommands[K];
}

/** A driver error as it crosses threads. */
export interface SerializedError {
  /** `IsmAckError`, `IsmDriverError` or another error name. */
  readonly name: string;
  /** Message. */
  readonly message: string;
  /** Driver error reason, if any. */
  readonly reason?: string;
  /** Ack spec name, for an ack error. */
  readonly ackName?: string;
  /** Ack value, for an ack error. */
  readonly ack?: number;
  /** Command spec name, for an ack error. */
  readonly command?: string;
}

/** An event as it crosses threads. */
export interface SerializedEvent {
  /** UPDATE, ATTACH, DETACH, BUFFER_FREE. */
  readonly type: string;
  /** Region token, when the driver holds the region. */
  readonly token?: bigint;
  /** Region offset in the receiver's device. */
  readonly offset?: number;
  /** Attacher/detacher or kicker. */
  readonly devid?: bigint;
  /** Peer count after an ATTACH/DETACH. */
  readonly peers?: number;
  /** Freed buffer. */
  readonly buffer?: number;
}

/** Guest → host. */
export type GuestNotice =
  | { readonly kind: "ready"; readonly devid: bigint; readonly devMem: boolean; readonly chunkSize: number; readonly notifySize: number }
  | { readonly kind: "boot-failed"; readonly error: SerializedError }
  | { readonly kind: "reply"; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: "reply"; readonly id: number; readonly ok: false; readonly error: SerializedError }
  | { readonly kind: "event"; readonly event: SerializedEvent }
  | { readonly kind: "progress"; readonly phase: string; readonly done: number; readonly total: number };

/** What `alloc` and `attach` answer. */
export interface RegionSummary {
  /** Token. */
  readonly token: bigint;
  /** Size in bytes. */
  readonly size: number;
  /** Chunk offsets in this device. */
  readonly chunks: readonly number[];
  /** Offset of the notify address. */
  readonly notifyOffset: number;
  /** Access now. */
  readonly access: { readonly read: boolean; readonly write: boolean };
}

/** What the ping-pong initiator answers (the responder answers `rounds` only). */
export interface PingPongResult {
  /** Round trips made. */
  readonly rounds: number;
  /** Round-trip time of each round, in microseconds (initiator only). */
  readonly samplesUs?: Float64Array;
  /** Waits of this side that ended while spinning. */
  readonly spun: number;
  /** Waits of this side that ended while napping (no kick needed). */
  readonly napped: number;
  /** Waits of this side that slept (woken by a kick). */
  readonly slept: number;
}

/** What a streaming side answers. */
export interface StreamResult {
  /** Bytes moved and timed (warm-up bytes excluded). */
  readonly bytes: number;
  /** Seconds from the first byte moved to the last. */
  readonly seconds: number;
  /** Sampled bytes that did not match the pattern (consumer only; 0 = intact). */
  readonly mismatches: number;
  /** Waits of this side that ended while spinning. */
  readonly spun: number;
  /** Waits of this side that ended while napping (no kick needed). */
  readonly napped: number;
  /** Waits of this side that slept (woken by a kick). */
  readonly slept: number;
}
