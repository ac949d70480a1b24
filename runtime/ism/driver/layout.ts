/**
 * Where the driver puts things in the guest memory it manages: the controlq ring, the eventq ring (legacy
 * contiguous layout, 4096-byte aligned as `vring_init` does), and after them the DMA pool for every buffer.
 *
 * @module
 */
import { contiguousRing, ringBytes } from "../../virtqueue/index.js";
import type { RingAddresses, RingLayout } from "../../virtqueue/index.js";
import { DMA_ALIGNMENT } from "./dma-pool.js";
import { IsmDriverError } from "./errors.js";
import type { IsmDriverRam } from "./transport.js";

/** Alignment of each ring (and of the pool that follows them). */
export const RING_ALIGNMENT = 4096;

/** The driver's use of its guest memory. */
export interface IsmDriverLayout {
  /** Controlq ring. */
  readonly controlq: RingAddresses;
  /** Eventq ring. */
  readonly eventq: RingAddresses;
  /** First byte of the DMA pool. */
  readonly poolBase: number;
  /** Bytes of the DMA pool. */
  readonly poolLength: number;
}

/**
 * Lays out both rings at the start of `ram` and gives the rest to the pool.
 *
 * @param ram - the range the transport lets the driver use
 * @param controlqSize - controlq ring size (a power of two <= 32768)
 * @param eventqSize - eventq ring size
 * @param layout - split (the legacy contiguous `vring_init` layout) or packed (descriptor ring, then the driver
 *   and device event suppression structures), as the features negotiated
 * @throws IsmDriverError `invalid-argument` (bad sizes, misaligned range) or `out-of-memory` (the rings and a
 *   minimal pool do not fit)
 */
export function layoutDriverMemory(ram: IsmDriverRam, controlqSize: number, eventqSize: number, layout: RingLayout = "split"): IsmDriverLayout {
  if (!Number.isSafeInteger(ram.base) || ram.base < 0 || ram.base % RING_ALIGNMENT !== 0) {
    throw new IsmDriverError("invalid-argument", `driver memory must start on a ${RING_ALIGNMENT}-byte boundary, got ${String(ram.base)}`);
  }
  if (!Number.isSafeInteger(ram.length) || ram.length <= 0 || !Number.isSafeInteger(ram.base + ram.length)) {
    throw new IsmDriverError("invalid-argument", `driver memory length must be a positive safe integer, got ${String(ram.length)}`);
  }
  let controlBytes: number;
  let eventBytes: number;
  try {
    controlBytes = ringBytes(layout, controlqSize, RING_ALIGNMENT);
    eventBytes = ringBytes(layout, eventqSize, RING_ALIGNMENT);
  } catch (cause) {
    throw new IsmDriverError("invalid-argument", `bad queue size: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const round = (n: number): number => Math.ceil(n / RING_ALIGNMENT) * RING_ALIGNMENT;
  const eventBase = ram.base + round(controlBytes);
  const poolBase = eventBase + round(eventBytes);
  const end = ram.base + ram.length;
  const poolLength = Math.floor((end - poolBase) / DMA_ALIGNMENT) * DMA_ALIGNMENT;
  if (poolLength < RING_ALIGNMENT) {
    throw new IsmDriverError("out-of-memory", `${ram.length} bytes of driver memory cannot hold both rings and a buffer pool`);
  }
  return {
    controlq: contiguousRing(layout, controlqSize, ram.base, RING_ALIGNMENT),
    eventq: contiguousRing(layout, eventqSize, eventBase, RING_ALIGNMENT),
    poolBase,
    poolLength,
  };
}
