/**
 * The `buffer` a driver lends with alloc and attach when `VIRTIO_ISM_F_DEV_MEM` is not negotiated.
 *
 * @module
 */
import { U64_MAX } from "../wire/le64.js";
import type { IsmDeviceState } from "./context.js";

/**
 * Checks a lent buffer of `length` bytes ("the driver MUST provide the buffer ... The size of the buffer MUST
 * equal to the size of the ism region"): the device cannot see the buffer's size, only its address, so it
 * checks what it can — an address is present (non-zero), `[buffer, buffer + length)` does not wrap past 2^64,
 * and the device's buffer validator (guest memory bounds, set by the virtqueue glue) accepts the range.
 *
 * @returns why the buffer is refused, or `undefined` when it is acceptable (always under DEV_MEM)
 */
export function lentBufferProblem(device: IsmDeviceState, buffer: bigint | undefined, length: bigint): string | undefined {
  if (device.devMem) return undefined;
  if (buffer === undefined || buffer === 0n) return "VIRTIO_ISM_F_DEV_MEM is not negotiated and no buffer was given";
  if (buffer + length - 1n > U64_MAX) return `buffer 0x${buffer.toString(16)}+${length} wraps past 2^64`;
  if (device.bufferValidator !== undefined && !device.bufferValidator(buffer, length)) {
    return `buffer 0x${buffer.toString(16)}+${length} is not in guest memory`;
  }
  return undefined;
}
