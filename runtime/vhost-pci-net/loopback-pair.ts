/**
 * Both guests of a vhost-pci pair in one thread, stepped explicitly: the deterministic harness of the unit
 * tests and of the conformance checks (the worker-thread pair in pair.ts runs the same guests concurrently).
 *
 * @module
 */
import { GuestA } from "../virtio-net/guest-a.js";
import type { GuestAOptions } from "../virtio-net/guest-a.js";
import { GuestB } from "./guest-b.js";
import type { GuestBOptions } from "./guest-b.js";
import { DirtyPageLog } from "./dirty-log.js";
import { VhostPciNetError } from "./errors.js";
import { GuestInterrupts } from "./interrupts.js";
import { createLoopbackLink } from "./peer-link.js";
import type { PeerLinkEndpoint } from "./peer-link.js";

/** Options of {@link LoopbackPair}: everything but memory, interrupts and the link has a default. */
export interface LoopbackPairOptions {
  /** Bytes of each guest's RAM (default 2 MiB). */
  ramSize?: number;
  /** Guest A overrides. */
  a?: Partial<Omit<GuestAOptions, "ram" | "interrupts" | "link">>;
  /** Guest B overrides. */
  b?: Partial<Omit<GuestBOptions, "ram" | "interrupts" | "link">>;
  /** Wraps the link end guest A uses (to observe or tamper with what B sends it). */
  wrapLinkA?: (end: PeerLinkEndpoint) => PeerLinkEndpoint;
  /** Wraps the link end guest B uses. */
  wrapLinkB?: (end: PeerLinkEndpoint) => PeerLinkEndpoint;
}

/** The pair; see the module comment. */
export class LoopbackPair {
  /** Guest A (virtio-net). */
  readonly a: GuestA;
  /** Guest B (vhost-pci-net). */
  readonly b: GuestB;
  /** Guest A's RAM. */
  readonly ramA: SharedArrayBuffer;
  /** Guest B's RAM. */
  readonly ramB: SharedArrayBuffer;
  /** The dirty-page log of guest A's memory, provided to B's device. */
  readonly dirtyLog: DirtyPageLog;

  constructor(options: LoopbackPairOptions = {}) {
    const ramSize = options.ramSize ?? 2 * 1024 * 1024;
    this.ramA = new SharedArrayBuffer(ramSize);
    this.ramB = new SharedArrayBuffer(ramSize);
    this.dirtyLog = new DirtyPageLog(0, ramSize);
    const [endA, endB] = createLoopbackLink();
    this.a = new GuestA({
      ram: this.ramA,
      interrupts: new GuestInterrupts(3),
      link: options.wrapLinkA ? options.wrapLinkA(endA) : endA,
      environment: { pvInterrupt: true, dirtyLogging: true },
      mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56),
      uuidHi: 0xa0a0n,
      uuidLo: 0xa1a1n,
      ...options.a,
    });
    this.b = new GuestB({
      ram: this.ramB,
      interrupts: new GuestInterrupts(4),
      link: options.wrapLinkB ? options.wrapLinkB(endB) : endB,
      environment: { pvInterrupt: true },
      vhostPciId: 7n,
      uuidHi: 0xb0b0n,
      uuidLo: 0xb1b1n,
      dirtyLog: this.dirtyLog,
      ...options.b,
    });
  }

  /** Boots both drivers. */
  start(): void {
    this.b.start();
    this.a.start();
  }

  /** One turn of each guest. @returns whether anything happened */
  step(): boolean {
    const b = this.b.poll();
    const a = this.a.poll();
    return a || b;
  }

  /**
   * Steps until `done()` holds. @returns the number of steps taken
   * @throws VhostPciNetError `timeout` after `maxSteps` steps
   */
  runUntil(done: () => boolean, maxSteps = 10_000): number {
    for (let i = 0; i < maxSteps; i++) {
      if (done()) return i;
      this.step();
    }
    if (done()) return maxSteps;
    throw new VhostPciNetError("timeout", `condition not reached after ${maxSteps} steps`);
  }

  /** Boots both guests and steps until both drivers see the connection. */
  connect(maxSteps = 1000): void {
    this.start();
    this.runUntil(() => this.a.driver.connected && this.b.driver.connected, maxSteps);
  }
}
