/**
 * The ISM notify area (`VIRTIO_ISM_SHM_ID_NOTIFY`): each region has a notify address of `notify_size` bytes, and
 * a driver write anywhere inside it kicks that region's doorbell.
 *
 * @module
 */
import type { Doorbell } from "./doorbell.js";
import type { DoorbellBank } from "./doorbell-bank.js";
import { NotifyError } from "./errors.js";

/** Maps notify-area offsets to the doorbells of a {@link DoorbellBank}: offset `o` → doorbell `floor(o / notifySize)`. */
export class NotifyArea {
  /** The doorbells, one per notify address. */
  readonly bank: DoorbellBank;
  /** Size of one notify address in bytes (the ISM `notify_size` config field). */
  readonly notifySize: number;
  /** `bank.count * notifySize`. */
  readonly byteLength: number;

  /** @throws NotifyError `invalid-option` when `notifySize` is not an integer >= 1 or the area is not addressable */
  constructor(bank: DoorbellBank, notifySize: number) {
    const byteLength = bank.count * notifySize;
    if (!Number.isSafeInteger(notifySize) || notifySize < 1 || !Number.isSafeInteger(byteLength)) {
      throw new NotifyError("invalid-option", `notify size must be an integer >= 1, got ${String(notifySize)}`);
    }
    this.bank = bank;
    this.notifySize = notifySize;
    this.byteLength = byteLength;
  }

  /**
   * @returns the doorbell whose notify address contains `offset`
   * @throws NotifyError `invalid-offset`
   */
  doorbellAt(offset: number): Doorbell {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.byteLength) {
      throw new NotifyError("invalid-offset", `notify offset ${String(offset)} is outside the ${this.byteLength}-byte notify area`);
    }
    return this.bank.doorbell(Math.floor(offset / this.notifySize));
  }

  /** @returns the notify-area offset of doorbell `index` (the address a driver writes to kick it) */
  offsetOf(index: number): number {
    this.bank.doorbell(index);
    return index * this.notifySize;
  }

  /**
   * A driver write at `offset`: rings the corresponding doorbell.
   *
   * @returns the doorbell's counter after the ring
   * @throws NotifyError `invalid-offset` (nothing rung)
   */
  kick(offset: number): number {
    return this.doorbellAt(offset).ring();
  }
}
