/**
 * Host-side driver of one generic guest program (`ism-guest.worker.ts`): sends commands, awaits answers,
 * collects the events and progress the guest reports.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { IsmAckError, IsmDriverError } from "../driver/index.js";
import type { IsmDriverErrorReason } from "../driver/index.js";
import type { IsmHost, IsmHostedGuest, IsmSpawnOptions } from "./host.js";
import type { GuestCommandName, GuestCommands, GuestNotice, GuestProgramData, SerializedError, SerializedEvent } from "./program-protocol.js";

/** URL of the compiled generic guest program (next to this module in `dist/`). */
export const GUEST_PROGRAM_URL = new URL("./ism-guest.worker.js", import.meta.url);

/** What the guest reported when its driver came up. */
export interface GuestReady {
  /** Device id. */
  readonly devid: bigint;
  /** Whether DEV_MEM was negotiated. */
  readonly devMem: boolean;
  /** Config chunk size. */
  readonly chunkSize: number;
  /** Config notify size. */
  readonly notifySize: number;
}

/** Events of a {@link GuestProgramClient}. */
export interface GuestProgramEvents {
  /** A driver event (UPDATEs are not reported one by one). */
  event: [SerializedEvent];
  /** Progress of a long command. */
  progress: [{ readonly phase: string; readonly done: number; readonly total: number }];
}

/** @returns the error a guest reported, rebuilt with its class and reason */
export function reviveError(e: SerializedError): Error {
  if (e.name === "IsmAckError" && e.command !== undefined && e.ack !== undefined && e.ackName !== undefined) return new IsmAckError(e.command, e.ack, e.ackName);
  if (e.name === "IsmDriverError" && e.reason !== undefined) return new IsmDriverError(e.reason as IsmDriverErrorReason, e.message);
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}

/** A running guest program; see the module comment. */
export class GuestProgramClient extends EventEmitter<GuestProgramEvents> {
  /** The hosted guest (worker and device). */
  readonly guest: IsmHostedGuest;
  /** Resolves once the guest's driver is up (rejects if it could not come up or the worker died first). */
  readonly ready: Promise<GuestReady>;
  /** Events received so far. */
  readonly events: SerializedEvent[] = [];
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;

  /** Internal: use {@link GuestProgramClient.spawn}. */
  constructor(guest: IsmHostedGuest) {
    super();
    this.guest = guest;
    let settle: { resolve: (r: GuestReady) => void; reject: (e: Error) => void } | undefined;
    this.ready = new Promise<GuestReady>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // A boot failure is reported through `ready`; keep an unobserved rejection from being fatal.
    this.ready.catch(() => {});
    guest.worker.on("message", (m: GuestNotice) => {
      switch (m.kind) {
        case "ready":
          settle?.resolve({ devid: m.devid, devMem: m.devMem, chunkSize: m.chunkSize, notifySize: m.notifySize });
          return;
        case "boot-failed":
          settle?.reject(reviveError(m.error));
          return;
        case "event":
          this.events.push(m.event);
          this.emit("event", m.event);
          return;
        case "progress":
          this.emit("progress", { phase: m.phase, done: m.done, total: m.total });
          return;
        case "reply": {
          const p = this.#pending.get(m.id);
          if (p === undefined) return;
          this.#pending.delete(m.id);
          if (m.ok) p.resolve(m.result);
          else p.reject(reviveError(m.error));
          return;
        }
      }
    });
    void guest.exited.then((code) => {
      const error = new IsmDriverError("closed", `guest ${guest.name} exited (code ${code})`);
      settle?.reject(error);
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    });
  }

  /**
   * Starts the generic guest program in `host`.
   *
   * @param options - spawn options; `program` is handed to the guest program; `entry` overrides where the
   *   compiled program is (tests running from sources point it at `dist/`)
   */
  static spawn(host: IsmHost, options: Omit<IsmSpawnOptions, "data"> & { readonly program?: GuestProgramData; readonly entry?: URL }): GuestProgramClient {
    const { program, entry, ...spawn } = options;
    return new GuestProgramClient(host.spawn(entry ?? GUEST_PROGRAM_URL, { ...spawn, data: program ?? {} }));
  }

  /** Guest name. */
  get name(): string {
    return this.guest.name;
  }

  /**
   * Runs a command in the guest.
   *
   * @throws the guest's error, rebuilt (IsmAckError, IsmDriverError, ...); IsmDriverError `closed` if the guest
   *   exits first
   */
  call<K extends GuestCommandName>(cmd: K, args: GuestCommands[K]): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.guest.worker.postMessage({ id, cmd, args });
    });
  }

  /** @returns the first event (received or future) of `type` (from `devid` if given) */
  waitForEvent(type: string, options: { readonly devid?: bigint; readonly timeoutMs?: number } = {}): Promise<SerializedEvent> {
    return this.call("waitEvent", { type, timeoutMs: options.timeoutMs ?? 10_000, ...(options.devid === undefined ? {} : { devid: options.devid }) }) as Promise<SerializedEvent>;
  }
}
