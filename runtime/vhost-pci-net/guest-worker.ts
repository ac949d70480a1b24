/**
 * The body of a guest worker_thread: builds guest A or guest B from its {@link GuestWorkerData}, then runs
 * the guest loop — commands from the management thread, one poll of device and driver, and, when nothing
 * happened, sleep on the guest's CPU line until an interrupt, a peer-link message or a command rings it.
 *
 * No lost wake-ups: the line's counter is read before the driver re-enables notifications and re-checks its
 * rings (`prepareToSleep`), and the guest sleeps only while the counter still has that value.
 *
 * @module
 */
import { receiveMessageOnPort } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { Doorbell } from "../notify/index.js";
import { GuestA } from "../virtio-net/guest-a.js";
import { TestFrameSink, TestFrameSource } from "../virtio-net/test-traffic.js";
import { DirtyPageLog } from "./dirty-log.js";
import { GuestB } from "./guest-b.js";
import { GuestInterrupts } from "./interrupts.js";
import type { GuestCommand, GuestEvent, GuestReport, GuestWorkerData } from "./pair-protocol.js";
import { PortPeerLink } from "./peer-link.js";

/** Idle polls in a row after which a `report` considers the guest drained. */
const DRAIN_IDLE_POLLS = 64;

/** Test and tool hooks into a guest worker. */
export interface GuestWorkerHooks {
  /** Called once, when the driver first sees the connection (e.g. to make the guest misbehave). */
  onConnected?(guest: GuestA | GuestB): void;
}

/** Runs the guest described by `data` until an `exit` command. Never throws: failures are reported as events. */
export function runGuestWorker(data: GuestWorkerData, hooks: GuestWorkerHooks = {}): void {
  const control = data.control;
  const post = (event: GuestEvent): void => control.postMessage(event);
  try {
    new GuestWorker(data, post, hooks).run();
  } catch (err) {
    post({ ev: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
}

class GuestWorker {
  readonly #data: GuestWorkerData;
  readonly #post: (event: GuestEvent) => void;
  readonly #hooks: GuestWorkerHooks;
  #everConnected = false;
  readonly #guest: GuestA | GuestB;
  readonly #line: Doorbell;
  readonly #control: MessagePort;
  #source: TestFrameSource | null = null;
  #sink = new TestFrameSink();
  /** Frames to receive before `traffic-done` (null: no `receive` command yet; -1: never). */
  #expect: number | null = null;
  #trafficStart = 0;
  #trafficEnd = 0;
  #trafficReported = false;
  #connected = false;
  #rxFirst = { ms: 0, count: 0, bytes: 0 };
  #rxLast = { ms: 0, count: 0, bytes: 0 };

  constructor(data: GuestWorkerData, post: (event: GuestEvent) => void, hooks: GuestWorkerHooks) {
    this.#data = data;
    this.#post = post;
    this.#hooks = hooks;
    this.#control = data.control;
    const interrupts = GuestInterrupts.fromDescriptor(data.interrupts);
    this.#line = interrupts.line;
    const link = new PortPeerLink(data.link, Doorbell.fromDescriptor(data.peerLine));
    if (data.role === "a") {
      const a = data.a ?? {};
      this.#guest = new GuestA({
        ram: data.ram,
        interrupts,
        link,
        environment: { pvInterrupt: a.pvInterrupt ?? true, dirtyLogging: a.dirtyLogging ?? true },
        mac: Uint8Array.of(0x52, 0x54, 0, 0, 0, 0xaa),
        uuidHi: 0xaaaa_0000_0000_0001n,
        uuidLo: 0x0000_0000_0000_00aan,
        ...(a.deviceNetFeatures !== undefined ? { deviceNetFeatures: a.deviceNetFeatures } : {}),
        ...(a.driverNetFeatures !== undefined ? { driverNetFeatures: a.driverNetFeatures } : {}),
      });
    } else {
      const b = data.b ?? {};
      this.#guest = new GuestB({
        ram: data.ram,
        interrupts,
        link,
        environment: { pvInterrupt: b.pvInterrupt ?? true },
        needMap: b.needMap ?? "Y",
        vhostPciId: 0x5ca1ab1en,
        uuidHi: 0xbbbb_0000_0000_0001n,
        uuidLo: 0x0000_0000_0000_00bbn,
        ...(data.dirtyLog !== undefined ? { dirtyLog: DirtyPageLog.fromDescriptor(data.dirtyLog) } : {}),
        ...(b.devicePeerFeatures !== undefined ? { devicePeerFeatures: b.devicePeerFeatures } : {}),
        ...(b.driverPeerFeatures !== undefined ? { driverPeerFeatures: b.driverPeerFeatures } : {}),
      });
    }
    this.#guest.driver.sink = this.#sink.sink;
  }

  /** The guest loop; returns on `exit`. */
  run(): void {
    const guest = this.#guest;
    guest.start();
    this.#post({ ev: "ready" });
    for (;;) {
      for (let m = receiveMessageOnPort(this.#control); m !== undefined; m = receiveMessageOnPort(this.#control)) {
        if (!this.#onCommand(m.message as GuestCommand)) return;
      }
      const progress = guest.poll();
      this.#watch();
      if (progress) continue;
      const seen = this.#line.load();
      if (guest.prepareToSleep() || guest.poll()) continue;
      this.#line.wait(seen, { timeoutMs: this.#data.idleTimeoutMs });
    }
  }

  /** @returns false on `exit` */
  #onCommand(c: GuestCommand): boolean {
    const guest = this.#guest;
    switch (c.cmd) {
      case "receive":
        // Guest A receives stream 2 and guest B stream 1. The pair waits for `receiving` before any guest
        // sends, so the first frame already meets this sink (a sink replaced mid-stream reads as lost frames).
        this.#sink = new TestFrameSink({ stream: this.#data.role === "a" ? 2 : 1, mode: c.mode });
        guest.driver.sink = this.#sink.sink;
        this.#expect = c.expect;
        this.#source = null;
        guest.driver.source = null;
        this.#trafficStart = performance.now();
        this.#trafficEnd = 0;
        this.#trafficReported = false;
        this.#rxFirst = { ms: 0, count: 0, bytes: 0 };
        this.#rxLast = { ms: 0, count: 0, bytes: 0 };
        this.#post({ ev: "receiving" });
        return true;
      case "send":
        this.#source = new TestFrameSource({ count: c.count < 0 ? Infinity : c.count, sizes: c.sizes, stream: this.#data.role === "a" ? 1 : 2, mode: c.mode });
        guest.driver.source = this.#source;
        this.#trafficStart = performance.now();
        return true;
      case "stop-traffic":
        this.#source?.stop();
        return true;
      case "disconnect":
        guest.driver.requestDisconnect();
        return true;
      case "dirty-logging":
        if (guest instanceof GuestB) guest.device.setDirtyLogging(c.on);
        return true;
      case "report":
        this.#drain();
        this.#post({ ev: "report", report: this.#report() });
        return true;
      case "exit":
        return false;
    }
  }

  /** Reports connection changes and the end of the traffic. */
  #watch(): void {
    const connected = this.#guest.driver.connected;
    if (connected !== this.#connected) {
      this.#connected = connected;
      if (connected && !this.#everConnected) {
        this.#everConnected = true;
        this.#hooks.onConnected?.(this.#guest);
      }
      this.#post({ ev: connected ? "connected" : "disconnected" });
    }
    const expect = this.#expect;
    if (expect === null) return;
    const received = this.#sink.checker.stats;
    if (received.received !== this.#rxLast.count) {
      // Sampled once per loop turn (a batch), not per frame: the clock read stays off the per-frame path.
      const now = { ms: performance.now(), count: received.received, bytes: received.bytes };
      if (this.#rxFirst.ms === 0) this.#rxFirst = now;
      this.#rxLast = now;
    }
    if (this.#trafficReported) return;
    const heard = received.received + received.corrupted + received.duplicated + received.lost;
    // Guest A is done sending when its peer returned every chain; guest B when its frames are in A's rings,
    // including the last one its source produced (staged until A posts a receive buffer for it).
    const flushed = this.#guest instanceof GuestA ? this.#guest.driver.stats.completed === this.#guest.driver.stats.sent : !this.#guest.driver.hasStagedFrame;
    const sent = this.#source === null || this.#source.done;
    if (expect >= 0 && sent && flushed && heard >= expect) {
      this.#trafficEnd = performance.now();
      this.#trafficReported = true;
      this.#post({ ev: "traffic-done", report: this.#report() });
    }
  }

  /** Polls until the guest has been idle for a while (every published used element collected). */
  #drain(): void {
    let idle = 0;
    while (idle < DRAIN_IDLE_POLLS) {
      if (this.#guest.poll()) idle = 0;
      else idle++;
    }
  }

  #report(): GuestReport {
    const g = this.#guest;
    const driverRefusals = g instanceof GuestB ? g.driver.refusals.list() : [];
    const counters: Record<string, number> = { ...g.driver.stats };
    const end = this.#trafficEnd || performance.now();
    return {
      role: this.#data.role,
      driverState: g.driver.state,
      deviceState: g.device.state,
      connected: g.driver.connected,
      produced: this.#source?.produced ?? 0,
      received: { ...this.#sink.checker.stats },
      counters,
      refusals: { device: g.device.refusals.list(), driver: driverRefusals },
      peerFeatures: g instanceof GuestB ? g.device.peerFeatures : g.driver.features,
      pvInjected: g.device.pv?.injected ?? 0,
      trafficMs: this.#trafficStart === 0 ? 0 : end - this.#trafficStart,
      rxFirst: this.#rxFirst,
      rxLast: this.#rxLast,
    };
  }
}
