/**
 * The management side of a vhost-pci pair on worker_threads: allocates both guests' RAM, interrupt
 * controllers and the dirty-page log as SharedArrayBuffers, connects the two devices with a MessageChannel
 * (the peer link), starts guest A and guest B in their own workers, and then drives them with commands and
 * collects their events.
 *
 * Worker entry files are compiled JavaScript (Node 20 cannot load TypeScript in a Worker): callers pass the
 * URLs of the compiled `guest-a.worker.js` / `guest-b.worker.js` (or of test workers that wrap them).
 *
 * @module
 */
import { MessageChannel, Worker } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { DirtyPageLog } from "./dirty-log.js";
import { VhostPciNetError } from "./errors.js";
import { GuestInterrupts } from "./interrupts.js";
import type { GuestAConfig, GuestBConfig, GuestCommand, GuestEvent, GuestReport, GuestWorkerData, TrafficPlanOptions } from "./pair-protocol.js";

/** Which guest. */
export type GuestRole = "a" | "b";

/** Options of {@link PeerPair.start}. */
export interface PeerPairOptions {
  /** Compiled worker entry files. */
  readonly workers: { readonly a: URL; readonly b: URL };
  /** Bytes of each guest's RAM (default 4 MiB). */
  readonly ramSize?: number;
  /** Guest A's configuration. */
  readonly a?: GuestAConfig;
  /** Guest B's configuration. */
  readonly b?: GuestBConfig;
  /** Longest sleep of an idle guest before it polls anyway, in ms (default 20). */
  readonly idleTimeoutMs?: number;
}

interface Side {
  readonly worker: Worker;
  /** Management end of the guest's control channel. */
  readonly control: MessagePort;
  readonly interrupts: GuestInterrupts;
  /** Settles when the worker has exited (for whatever reason). */
  readonly exited: Promise<void>;
  readonly events: GuestEvent[];
  waiters: Array<() => void>;
  failure: Error | null;
}

/** A running pair; see the module comment. */
export class PeerPair {
  /** Guest A's RAM. */
  readonly ramA: SharedArrayBuffer;
  /** Guest B's RAM. */
  readonly ramB: SharedArrayBuffer;
  /** Dirty-page log of guest A's memory (written by guest B while logging is on). */
  readonly dirtyLog: DirtyPageLog;
  readonly #sides: Record<GuestRole, Side>;
  #closed = false;

  private constructor(options: PeerPairOptions) {
    const ramSize = options.ramSize ?? 4 * 1024 * 1024;
    this.ramA = new SharedArrayBuffer(ramSize);
    this.ramB = new SharedArrayBuffer(ramSize);
    this.dirtyLog = new DirtyPageLog(0, ramSize);
    const link = new MessageChannel();
    const interruptsA = new GuestInterrupts(3);
    const interruptsB = new GuestInterrupts(4);
    const idleTimeoutMs = options.idleTimeoutMs ?? 20;
    const spawn = (role: GuestRole, interrupts: GuestInterrupts, peer: GuestInterrupts): Side => {
      const control = new MessageChannel();
      const data: GuestWorkerData = {
        role,
        ram: role === "a" ? this.ramA : this.ramB,
        interrupts: interrupts.toDescriptor(),
        peerLine: peer.line.toDescriptor(),
        link: role === "a" ? link.port1 : link.port2,
        control: control.port2,
        idleTimeoutMs,
        ...(role === "a" && options.a !== undefined ? { a: options.a } : {}),
        ...(role === "b" && options.b !== undefined ? { b: options.b } : {}),
        ...(role === "b" ? { dirtyLog: this.dirtyLog.toDescriptor() } : {}),
      };
      const worker = new Worker(role === "a" ? options.workers.a : options.workers.b, {
        workerData: data,
        transferList: [data.link, data.control],
      });
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      const side: Side = { worker, control: control.port1, interrupts, exited, events: [], waiters: [], failure: null };
      const wakeWaiters = (): void => {
        const waiters = side.waiters;
        side.waiters = [];
        for (const w of waiters) w();
      };
      control.port1.on("message", (event: GuestEvent) => {
        if (event.ev === "error") side.failure = new VhostPciNetError("invalid-state", `guest ${role} failed: ${event.message}`);
        side.events.push(event);
        wakeWaiters();
      });
      worker.on("error", (err) => {
        side.failure = err instanceof Error ? err : new Error(String(err));
        wakeWaiters();
      });
      worker.on("exit", (code) => {
        if (!this.#closed) side.failure ??= new VhostPciNetError("invalid-state", `guest ${role} exited with code ${code}`);
        wakeWaiters();
      });
      // Keep the control port from holding the main thread's event loop open after close().
      control.port1.unref();
      return side;
    };
    this.#sides = { a: spawn("a", interruptsA, interruptsB), b: spawn("b", interruptsB, interruptsA) };
  }

  /** Starts both guests and waits until both drivers see the connection. */
  static async start(options: PeerPairOptions, timeoutMs = 10_000): Promise<PeerPair> {
    const pair = new PeerPair(options);
    try {
      await Promise.all([pair.waitFor("a", "connected", timeoutMs), pair.waitFor("b", "connected", timeoutMs)]);
    } catch (err) {
      // Say where each guest got stuck: that is what makes a failed connection debuggable.
      const states = await Promise.all((["a", "b"] as const).map((r) => pair.report(r, 2000).then(describeReport, () => `guest ${r}: no report`)));
      await pair.close();
      throw new VhostPciNetError(err instanceof VhostPciNetError ? err.reason : "invalid-state", `${err instanceof Error ? err.message : String(err)}; ${states.join("; ")}`);
    }
    return pair;
  }

  /** Sends `command` to a guest and wakes it. */
  send(role: GuestRole, command: GuestCommand): void {
    const side = this.#sides[role];
    side.control.postMessage(command);
    side.interrupts.wake();
  }

  /**
   * Waits for the next event `ev` of a guest (events before it are consumed).
   * @throws VhostPciNetError `timeout`, or the guest's failure
   */
  async waitFor<E extends GuestEvent["ev"]>(role: GuestRole, ev: E, timeoutMs = 30_000): Promise<Extract<GuestEvent, { ev: E }>> {
    const side = this.#sides[role];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (side.events.length > 0) {
        const event = side.events.shift()!;
        if (event.ev === ev) return event as Extract<GuestEvent, { ev: E }>;
      }
      if (side.failure !== null) throw side.failure;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new VhostPciNetError("timeout", `guest ${role} did not report ${ev} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        side.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Asks a guest to drain and report its counters. */
  async report(role: GuestRole, timeoutMs = 30_000): Promise<GuestReport> {
    this.send(role, { cmd: "report" });
    return (await this.waitFor(role, "report", timeoutMs)).report;
  }

  /**
   * Starts a traffic run: each planned guest first gets a fresh sink (`receive`, acknowledged with
   * `receiving`), and only then do the guests start sending (`send`), so no frame reaches a guest before the
   * sink that checks it. A guest without a plan keeps its sink and source.
   */
  async traffic(plans: Partial<Record<GuestRole, TrafficPlanOptions>>, timeoutMs = 10_000): Promise<void> {
    const roles = (["a", "b"] as const).filter((r) => plans[r] !== undefined);
    for (const role of roles) {
      const p = plans[role]!;
      this.send(role, { cmd: "receive", mode: p.mode, expect: p.expect });
    }
    await Promise.all(roles.map((role) => this.waitFor(role, "receiving", timeoutMs)));
    for (const role of roles) {
      const p = plans[role]!;
      if (p.count !== 0) this.send(role, { cmd: "send", count: p.count, sizes: p.sizes, mode: p.mode });
    }
  }

  /** Stops both workers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const role of ["a", "b"] as const) {
      this.send(role, { cmd: "exit" });
    }
    await Promise.all(
      (["a", "b"] as const).map(async (role) => {
        const side = this.#sides[role];
        // A guest stuck in a long wait is terminated after a grace period.
        const timer = setTimeout(() => void side.worker.terminate(), 2000);
        await side.exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** One line about a guest's state, for error messages. */
function describeReport(r: GuestReport): string {
  const refusals = [...r.refusals.device, ...r.refusals.driver].map((x) => `${x.reason} (${x.detail})`);
  return `guest ${r.role}: driver ${r.driverState}, device ${r.deviceState}, connected ${r.connected}${refusals.length > 0 ? `, refused ${refusals.join(", ")}` : ""}`;
}
