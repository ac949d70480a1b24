/**
 * Shared by the virtqueue cross-thread stress test and its two workers (virtqueue-driver.worker.ts,
 * virtqueue-device.worker.ts): memory layout, control-word indices and the payload checksum.
 *
 * Signalling is self-contained on purpose (a separate control SharedArrayBuffer with counters the threads
 * Atomics.wait on), so the test exercises the ring's own notification suppression without depending on
 * runtime/notify.
 */

import type { SplitRingAddresses } from "../../runtime/virtqueue/index.js";

/** Queue size used by the stress test. */
export const STRESS_QUEUE_SIZE = 256;

/** Ring placement inside guest memory. */
export const STRESS_RING: SplitRingAddresses = {
  size: STRESS_QUEUE_SIZE,
  descAddress: 0x0,
  availAddress: 0x1000,
  usedAddress: 0x2000,
};

/** Start of the per-slot data area: slot s has 16 readable bytes at DATA_BASE + 64s, 16 writable at + 32. */
export const DATA_BASE = 0x10000;
/** Bytes of data per slot. */
export const SLOT_BYTES = 64;
/** Start of the per-slot indirect tables. */
export const TABLE_BASE = 0x20000;
/** Bytes per indirect table (2 entries). */
export const TABLE_BYTES = 32;
/** Guest memory size the test allocates. */
export const GUEST_BYTES = 0x30000;

/** Bytes the device reports as written per chain (it writes 12 of the 16 writable bytes). */
export const USED_LENGTH = 12;

/** Kick counter: bumped by the driver when needsKick(); the device waits on it. */
export const CTL_KICKS = 0;
/** Interrupt counter: bumped by the device when needsInterrupt(); the driver waits on it. */
export const CTL_IRQS = 1;
/** Set to 1 once the driver has initialised the ring. */
export const CTL_READY = 2;
/** Size of the control SharedArrayBuffer in 32-bit words. */
export const CTL_WORDS = 4;

/** How long a thread sleeps before concluding a notification was lost (counted). */
export const WAIT_TIMEOUT_MS = 3000;
/** After this many lost notifications a worker stops and reports, so a suppression bug fails fast. */
export const MAX_TIMEOUTS = 3;

/** Parameters passed to both workers. */
export interface StressParams {
  /** Guest memory (GUEST_BYTES). */
  guest: SharedArrayBuffer;
  /** Control words (CTL_WORDS × 4 bytes). */
  control: SharedArrayBuffer;
  /** Chains to exchange. */
  total: number;
  /** Negotiate VIRTIO_RING_F_EVENT_IDX. */
  eventIdx: boolean;
  /** Every n-th chain goes through an indirect table (0: never, and INDIRECT_DESC is not negotiated). */
  indirectEvery: number;
}

/** What the driver worker reports. */
export interface DriverReport {
  /** Completions collected. */
  completed: number;
  /** Completions for a sequence number already completed. */
  duplicates: number;
  /** Completions with a wrong length or reply payload. */
  mismatches: number;
  /** Sum of completed sequence numbers. */
  seqSum: number;
  /** Kicks sent (needsKick() was true). */
  kicks: number;
  /** Times the driver slept waiting for an interrupt. */
  sleeps: number;
  /** Sleeps that ended by timeout (a lost interrupt). */
  timeouts: number;
  /** brokenReason at the end. */
  broken: string | null;
}

/** What the device worker reports. */
export interface DeviceReport {
  /** Chains served. */
  processed: number;
  /** Chains with an unexpected shape or a request failing its checksum. */
  badInput: number;
  /** Sum of the sequence numbers served. */
  seqSum: number;
  /** Interrupts sent (needsInterrupt() was true). */
  interrupts: number;
  /** Times the device slept waiting for a kick. */
  sleeps: number;
  /** Sleeps that ended by timeout (a lost kick). */
  timeouts: number;
  /** brokenReason at the end. */
  broken: string | null;
}

/** 32-bit mix of a sequence number: the payload checksum both sides recompute. */
export function payloadHash(seq: number): number {
  let h = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
