/**
 * MSI-X-style interrupt vectors: a table of doorbells indexed by vector number, each with a mask bit and a
 * pending bit, all in one SharedArrayBuffer so that a device model in one thread can raise interrupts that a
 * driver in another thread waits for, masks and unmasks.
 *
 * Semantics follow MSI-X (PCI Local Bus spec, MSI-X table and pending-bit array): raising an unmasked vector
 * delivers it (rings its doorbell); raising a masked vector sets its pending bit instead; unmasking a vector
 * whose pending bit is set clears the bit and delivers one interrupt. Raising {@link VIRTIO_MSI_NO_VECTOR}
 * delivers nothing (the virtio "no vector" value).
 *
 * Concurrency: mask, pending and the doorbell are updated with sequentially consistent atomics so that a raise
 * racing with an unmask delivers exactly once and is never lost: a masked raise sets pending and then re-reads
 * the mask; whichever of raise and unmask observes both "unmasked" and "pending" takes the pending bit with an
 * atomic exchange and rings. A raise racing with a mask may still be delivered (an interrupt in flight).
 *
 * @module
 */
import { Doorbell } from "./doorbell.js";
import { DOORBELL_STRIDE_WORDS } from "./doorbell-bank.js";
import { NotifyError } from "./errors.js";

/** The virtio "no MSI-X vector" value (`VIRTIO_MSI_NO_VECTOR`). */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;
/** Most vectors an MSI-X table can have. */
export const MAX_INTERRUPT_VECTORS = 2048;
/** Tag of a serialised {@link InterruptTable}. */
export const INTERRUPT_TABLE_DESCRIPTOR_KIND = "virtiokit/interrupt-table";

/** Word offsets inside a vector's cache line. */
const COUNTER = 0;
const MASK = 1;
const PENDING = 2;

/** What {@link InterruptTable.raise} did. */
export type InterruptDelivery = "delivered" | "pending" | "no-vector";

/** Structured-clone-safe form of an {@link InterruptTable}. */
export interface InterruptTableDescriptor {
  /** Always {@link INTERRUPT_TABLE_DESCRIPTOR_KIND}. */
  readonly kind: typeof INTERRUPT_TABLE_DESCRIPTOR_KIND;
  /** Format version, 1. */
  readonly version: 1;
  /** Buffer holding counters, mask and pending bits. */
  readonly buffer: SharedArrayBuffer;
  /** Number of vectors. */
  readonly vectorCount: number;
}

/** Table of `vectorCount` interrupt vectors; vectors start unmasked with nothing pending. */
export class InterruptTable {
  /** Number of vectors. */
  readonly vectorCount: number;
  /** Buffer holding counters, mask and pending bits. */
  readonly buffer: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #doorbells: Doorbell[];

  /**
   * @param vectorCount - 1..{@link MAX_INTERRUPT_VECTORS}
   * @param buffer - existing buffer (from a descriptor); fresh by default
   * @throws NotifyError `invalid-vector` for a bad count, `invalid-descriptor` for a buffer that is too small
   */
  constructor(vectorCount: number, buffer?: SharedArrayBuffer) {
    if (!Number.isInteger(vectorCount) || vectorCount < 1 || vectorCount > MAX_INTERRUPT_VECTORS) {
      throw new NotifyError("invalid-vector", `an interrupt table has 1..${MAX_INTERRUPT_VECTORS} vectors, got ${String(vectorCount)}`);
    }
    const bytes = vectorCount * DOORBELL_STRIDE_WORDS * 4;
    const shared = buffer ?? new SharedArrayBuffer(bytes);
    if (Object.prototype.toString.call(shared) !== "[object SharedArrayBuffer]" || shared.byteLength < bytes) {
      throw new NotifyError("invalid-descriptor", `a table of ${vectorCount} vectors needs a SharedArrayBuffer of ${bytes} bytes`);
    }
    this.vectorCount = vectorCount;
    this.buffer = shared;
    this.#words = new Int32Array(shared, 0, bytes / 4);
    this.#doorbells = Array.from({ length: vectorCount }, (_, v) => new Doorbell(shared, v * DOORBELL_STRIDE_WORDS + COUNTER));
  }

  /**
   * Rebuilds a table from a descriptor received from another thread.
   *
   * @throws NotifyError `invalid-descriptor` or `invalid-vector`
   */
  static fromDescriptor(descriptor: unknown): InterruptTable {
    if (typeof descriptor !== "object" || descriptor === null) {
      throw new NotifyError("invalid-descriptor", "interrupt table descriptor must be an object");
    }
    const d = descriptor as Partial<Record<keyof InterruptTableDescriptor, unknown>>;
    if (d.kind !== INTERRUPT_TABLE_DESCRIPTOR_KIND || d.version !== 1 || typeof d.vectorCount !== "number") {
      throw new NotifyError("invalid-descriptor", "not a version-1 interrupt table descriptor");
    }
    return new InterruptTable(d.vectorCount, d.buffer as SharedArrayBuffer);
  }

  /** @returns the structured-clone-safe descriptor of this table */
  toDescriptor(): InterruptTableDescriptor {
    return { kind: INTERRUPT_TABLE_DESCRIPTOR_KIND, version: 1, buffer: this.buffer, vectorCount: this.vectorCount };
  }

  /**
   * @returns the doorbell of `vector`: wait on it to receive that vector's interrupts
   * @throws NotifyError `invalid-vector`
   */
  doorbell(vector: number): Doorbell {
    return this.#doorbells[this.#check(vector)]!;
  }

  /**
   * Raises `vector`: delivers it if unmasked, else marks it pending.
   *
   * @throws NotifyError `invalid-vector` (nothing raised)
   */
  raise(vector: number): InterruptDelivery {
    if (vector === VIRTIO_MSI_NO_VECTOR) return "no-vector";
    const v = this.#check(vector);
    const base = v * DOORBELL_STRIDE_WORDS;
    if (Atomics.load(this.#words, base + MASK) === 0) {
      this.#doorbells[v]!.ring();
      return "delivered";
    }
    Atomics.store(this.#words, base + PENDING, 1);
    // The vector may have been unmasked after the first read; if so, unmask() may have looked at the pending
    // bit before it was set, so deliver here (the exchange makes sure only one of the two rings).
    if (Atomics.load(this.#words, base + MASK) === 0 && Atomics.exchange(this.#words, base + PENDING, 0) === 1) {
      this.#doorbells[v]!.ring();
      return "delivered";
    }
    return "pending";
  }

  /** Masks `vector`: later raises only set its pending bit. @throws NotifyError `invalid-vector` */
  mask(vector: number): void {
    Atomics.store(this.#words, this.#check(vector) * DOORBELL_STRIDE_WORDS + MASK, 1);
  }

  /**
   * Unmasks `vector`, delivering one interrupt if one was pending.
   *
   * @returns whether a pending interrupt was delivered
   * @throws NotifyError `invalid-vector`
   */
  unmask(vector: number): boolean {
    const v = this.#check(vector);
    const base = v * DOORBELL_STRIDE_WORDS;
    Atomics.store(this.#words, base + MASK, 0);
    if (Atomics.exchange(this.#words, base + PENDING, 0) === 1) {
      this.#doorbells[v]!.ring();
      return true;
    }
    return false;
  }

  /** @returns whether `vector` is masked. @throws NotifyError `invalid-vector` */
  isMasked(vector: number): boolean {
    return Atomics.load(this.#words, this.#check(vector) * DOORBELL_STRIDE_WORDS + MASK) !== 0;
  }

  /** @returns whether `vector` has an interrupt pending. @throws NotifyError `invalid-vector` */
  isPending(vector: number): boolean {
    return Atomics.load(this.#words, this.#check(vector) * DOORBELL_STRIDE_WORDS + PENDING) !== 0;
  }

  #check(vector: number): number {
    if (!Number.isInteger(vector) || vector < 0 || vector >= this.vectorCount) {
      throw new NotifyError("invalid-vector", `vector ${String(vector)} is outside a table of ${this.vectorCount}`);
    }
    return vector;
  }
}
