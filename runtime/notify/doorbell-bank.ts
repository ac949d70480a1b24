/**
 * A bank of doorbells in one SharedArrayBuffer (one per virtqueue or per notify address), each on its own
 * 64-byte cache line so that doorbells rung by different threads do not share a line (no false sharing).
 *
 * @module
 */
import { Doorbell } from "./doorbell.js";
import { NotifyError } from "./errors.js";

/** Tag of a serialised {@link DoorbellBank}. */
export const DOORBELL_BANK_DESCRIPTOR_KIND = "virtiokit/doorbell-bank";
/** Distance between two doorbells of a bank, in 32-bit words (64 bytes: one cache line on common CPUs). */
export const DOORBELL_STRIDE_WORDS = 16;
/** Largest bank size accepted (the MSI-X and virtqueue-count limits are far below). */
export const MAX_BANK_DOORBELLS = 1 << 16;

/** Structured-clone-safe form of a {@link DoorbellBank}. */
export interface DoorbellBankDescriptor {
  /** Always {@link DOORBELL_BANK_DESCRIPTOR_KIND}. */
  readonly kind: typeof DOORBELL_BANK_DESCRIPTOR_KIND;
  /** Format version, 1. */
  readonly version: 1;
  /** Buffer holding the counters. */
  readonly buffer: SharedArrayBuffer;
  /** Number of doorbells. */
  readonly count: number;
}

/** `count` doorbells sharing one buffer; doorbell `i` is the word at `i * DOORBELL_STRIDE_WORDS`. */
export class DoorbellBank {
  /** Number of doorbells. */
  readonly count: number;
  /** Buffer holding the counters. */
  readonly buffer: SharedArrayBuffer;
  readonly #doorbells: Doorbell[];

  /**
   * @param count - number of doorbells, 1..{@link MAX_BANK_DOORBELLS}
   * @param buffer - existing buffer to use (from a descriptor); a fresh one by default
   * @throws NotifyError `invalid-index` for a bad count, `invalid-descriptor` for a buffer that is too small
   */
  constructor(count: number, buffer?: SharedArrayBuffer) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_BANK_DOORBELLS) {
      throw new NotifyError("invalid-index", `a bank holds 1..${MAX_BANK_DOORBELLS} doorbells, got ${String(count)}`);
    }
    const bytes = count * DOORBELL_STRIDE_WORDS * 4;
    const shared = buffer ?? new SharedArrayBuffer(bytes);
    if (Object.prototype.toString.call(shared) !== "[object SharedArrayBuffer]" || shared.byteLength < bytes) {
      throw new NotifyError("invalid-descriptor", `a bank of ${count} doorbells needs a SharedArrayBuffer of ${bytes} bytes`);
    }
    this.count = count;
    this.buffer = shared;
    this.#doorbells = Array.from({ length: count }, (_, i) => new Doorbell(shared, i * DOORBELL_STRIDE_WORDS));
  }

  /**
   * Rebuilds a bank from a descriptor received from another thread.
   *
   * @throws NotifyError `invalid-descriptor` or `invalid-index`
   */
  static fromDescriptor(descriptor: unknown): DoorbellBank {
    if (typeof descriptor !== "object" || descriptor === null) {
      throw new NotifyError("invalid-descriptor", "doorbell bank descriptor must be an object");
    }
    const d = descriptor as Partial<Record<keyof DoorbellBankDescriptor, unknown>>;
    if (d.kind !== DOORBELL_BANK_DESCRIPTOR_KIND || d.version !== 1 || typeof d.count !== "number") {
      throw new NotifyError("invalid-descriptor", "not a version-1 doorbell bank descriptor");
    }
    return new DoorbellBank(d.count, d.buffer as SharedArrayBuffer);
  }

  /** @returns the structured-clone-safe descriptor of this bank */
  toDescriptor(): DoorbellBankDescriptor {
    return { kind: DOORBELL_BANK_DESCRIPTOR_KIND, version: 1, buffer: this.buffer, count: this.count };
  }

  /**
   * @returns doorbell `index` (the same object on every call, so its listeners persist)
   * @throws NotifyError `invalid-index`
   */
  doorbell(index: number): Doorbell {
    const d = Number.isInteger(index) ? this.#doorbells[index] : undefined;
    if (d === undefined) throw new NotifyError("invalid-index", `doorbell ${String(index)} is outside a bank of ${this.count}`);
    return d;
  }
}
