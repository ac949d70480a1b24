/**
 * A guest's interrupt controller as the vhost-pci-net model needs it: MSI-X vectors (an
 * {@link InterruptTable}) plus one "CPU line" doorbell that is rung whenever any vector is delivered.
 *
 * Why the line: a guest is one worker_thread, and a thread can block on one word only. Waiting on the line
 * and then looking at which vector counters moved is what a vCPU does with a local APIC (one wake-up, then
 * the pending vectors). Everything that must wake the guest — a delivered vector, a peer-link message, a
 * management command — rings the line, so the guest's loop never misses work while asleep.
 *
 * Vector numbers double as the proposal's "GSI" values: `peer_rx_queue_gsi` names a vector of the peer's
 * controller, and a PV-interrupt hypercall raises it (see pv-interrupt.ts).
 *
 * @module
 */
import { Doorbell, InterruptTable, NotifyError } from "../notify/index.js";
import type { DoorbellDescriptor, InterruptDelivery, InterruptTableDescriptor } from "../notify/index.js";

/** Structured-clone-safe form of a {@link GuestInterrupts}: post it to another thread. */
export interface GuestInterruptsDescriptor {
  /** The vectors. */
  readonly table: InterruptTableDescriptor;
  /** The CPU line. */
  readonly line: DoorbellDescriptor;
}

/** MSI-X vectors plus the CPU line; see the module comment. */
export class GuestInterrupts {
  /** The vectors. */
  readonly table: InterruptTable;
  /** Rung after every delivery, and by anything else that must wake the guest. */
  readonly line: Doorbell;

  /**
   * @param table - the vectors (fresh table of `vectorCount` when a number is given)
   * @param line - the CPU line (fresh when omitted)
   * @throws NotifyError `invalid-vector` for a bad vector count
   */
  constructor(table: InterruptTable | number, line: Doorbell = Doorbell.create()) {
    this.table = typeof table === "number" ? new InterruptTable(table) : table;
    this.line = line;
  }

  /**
   * Rebuilds a controller received from another thread (validated: it may come from a hostile peer).
   * @throws NotifyError `invalid-descriptor` or `invalid-vector`
   */
  static fromDescriptor(descriptor: unknown): GuestInterrupts {
    if (typeof descriptor !== "object" || descriptor === null) {
      throw new NotifyError("invalid-descriptor", "guest interrupts descriptor must be an object");
    }
    const d = descriptor as Partial<Record<keyof GuestInterruptsDescriptor, unknown>>;
    return new GuestInterrupts(InterruptTable.fromDescriptor(d.table), Doorbell.fromDescriptor(d.line));
  }

  /** @returns the structured-clone-safe descriptor */
  toDescriptor(): GuestInterruptsDescriptor {
    return { table: this.table.toDescriptor(), line: this.line.toDescriptor() };
  }

  /** Number of vectors. */
  get vectorCount(): number {
    return this.table.vectorCount;
  }

  /**
   * Raises `vector` (delivered unless masked) and, when delivered, rings the line.
   * @throws NotifyError `invalid-vector` (nothing raised)
   */
  raise(vector: number): InterruptDelivery {
    const delivery = this.table.raise(vector);
    if (delivery === "delivered") this.line.ring();
    return delivery;
  }

  /** Wakes the guest without raising a vector (a message or command is waiting for it). */
  wake(): void {
    this.line.ring();
  }

  /** Current counter of `vector` (how many times it was delivered, modulo 2^32). @throws NotifyError `invalid-vector` */
  count(vector: number): number {
    return this.table.doorbell(vector).load();
  }
}

/** The receiving guest's memory of which deliveries it has already handled, per vector. */
export class InterruptReceiver {
  readonly #interrupts: GuestInterrupts;
  readonly #seen: Int32Array;

  /** @param interrupts - the guest's own controller */
  constructor(interrupts: GuestInterrupts) {
    this.#interrupts = interrupts;
    this.#seen = new Int32Array(interrupts.vectorCount);
    for (let v = 0; v < interrupts.vectorCount; v++) this.#seen[v] = interrupts.count(v);
  }

  /**
   * Deliveries of `vector` since the last call (0 when none), marking them handled. A vector outside the
   * table (including VIRTIO_MSI_NO_VECTOR) never fires.
   */
  take(vector: number): number {
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.#seen.length) return 0;
    const now = this.#interrupts.count(vector);
    const n = (now - this.#seen[vector]!) >>> 0;
    this.#seen[vector] = now;
    return n;
  }
}
