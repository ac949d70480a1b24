/**
 * The part of an ISM device's `device_status` the device itself sets — DEVICE_NEEDS_RESET — and its
 * configuration change interrupt, in shared memory so that a driver in another thread reads them.
 *
 * Why a register of its own: the ISM transport is a set of calls (activate, notify, map), not the virtio-pci
 * common configuration, but a device that stops serving a queue must still be able to tell its driver, as
 * virtio 1.x §2.1 requires ("The device SHOULD set DEVICE_NEEDS_RESET when it enters an error state that a
 * reset is needed. If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the device MUST send a device
 * configuration change notification to the driver"). QEMU does both in one place (`virtio_error`); so does
 * {@link IsmDeviceStatus.setNeedsReset}.
 *
 * Layout (Int32 words of one SharedArrayBuffer): 0 the status bits, 1 the configuration change counter
 * (a {@link Doorbell}: the driver compares it with the value it last saw, as it would read ISR bit 1).
 *
 * @module
 */
import { Doorbell } from "../notify/index.js";
import { IsmError } from "./errors.js";

/** `VIRTIO_CONFIG_S_NEEDS_RESET` (virtio 1.x §2.1, Linux `<linux/virtio_config.h>`). */
export const DEVICE_NEEDS_RESET = 64;

/** Tag of an {@link IsmDeviceStatusDescriptor}. */
export const DEVICE_STATUS_DESCRIPTOR_KIND = "virtiokit/ism-device-status";

/** Structured-clone-safe form of an {@link IsmDeviceStatus}. */
export interface IsmDeviceStatusDescriptor {
  /** Always {@link DEVICE_STATUS_DESCRIPTOR_KIND}. */
  readonly kind: typeof DEVICE_STATUS_DESCRIPTOR_KIND;
  /** Format version, 1. */
  readonly version: 1;
  /** The shared words. */
  readonly buffer: SharedArrayBuffer;
}

const STATUS_WORD = 0;
const CONFIG_CHANGE_WORD = 1;
const BYTES = 64;

/** The device-set status bits and the configuration change counter; see the module comment. */
export class IsmDeviceStatus {
  /** The shared words. */
  readonly buffer: SharedArrayBuffer;
  /** Rung for every configuration change notification. */
  readonly configChange: Doorbell;
  readonly #words: Int32Array;

  /** @throws IsmError `invalid-option` for a buffer that is not a SharedArrayBuffer of at least 64 bytes */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(BYTES)) {
    if (Object.prototype.toString.call(buffer) !== "[object SharedArrayBuffer]" || buffer.byteLength < BYTES) {
      throw new IsmError("invalid-option", `a device status register needs a SharedArrayBuffer of ${BYTES} bytes`);
    }
    this.buffer = buffer;
    this.#words = new Int32Array(buffer, 0, BYTES / 4);
    this.configChange = new Doorbell(buffer, CONFIG_CHANGE_WORD);
  }

  /**
   * Rebuilds the register from a descriptor received from another thread (untrusted input).
   *
   * @throws IsmError `invalid-option`
   */
  static fromDescriptor(descriptor: unknown): IsmDeviceStatus {
    if (typeof descriptor !== "object" || descriptor === null) throw new IsmError("invalid-option", "device status descriptor must be an object");
    const d = descriptor as Partial<Record<keyof IsmDeviceStatusDescriptor, unknown>>;
    if (d.kind !== DEVICE_STATUS_DESCRIPTOR_KIND || d.version !== 1) throw new IsmError("invalid-option", "not a version-1 device status descriptor");
    return new IsmDeviceStatus(d.buffer as SharedArrayBuffer);
  }

  /** @returns the structured-clone-safe descriptor */
  toDescriptor(): IsmDeviceStatusDescriptor {
    return { kind: DEVICE_STATUS_DESCRIPTOR_KIND, version: 1, buffer: this.buffer };
  }

  /** The device-set status bits (sequentially consistent read). */
  get bits(): number {
    return Atomics.load(this.#words, STATUS_WORD);
  }

  /** Whether DEVICE_NEEDS_RESET is set. */
  get needsReset(): boolean {
    return (this.bits & DEVICE_NEEDS_RESET) !== 0;
  }

  /**
   * Sets DEVICE_NEEDS_RESET, then sends the configuration change notification (rings {@link configChange}
   * and calls `interrupt`, the transport's way of interrupting the driver). The bit is published before the
   * ring, so a driver woken by it reads the bit.
   *
   * @returns false when the bit was already set (nothing is sent twice)
   */
  setNeedsReset(interrupt?: () => void): boolean {
    const old = Atomics.or(this.#words, STATUS_WORD, DEVICE_NEEDS_RESET);
    if ((old & DEVICE_NEEDS_RESET) !== 0) return false;
    this.configChange.ring();
    interrupt?.();
    return true;
  }

  /** Device reset: every device-set bit back to 0 (the counter keeps counting). */
  clear(): void {
    Atomics.store(this.#words, STATUS_WORD, 0);
  }
}
