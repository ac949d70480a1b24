/**
 * A popped descriptor chain as a reusable scatter-gather list.
 *
 * The device fills one of these per pop instead of allocating segment objects: segments live in
 * preallocated typed arrays sized for the longest chain the device accepts. Readable segments come first
 * (indices `0 .. readableCount - 1`), then writable ones (`readableCount .. count - 1`): the device refuses
 * any other order, so a single array pair suffices.
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";

/** One chain's scatter-gather list; see the module comment. Reuse it across pops. */
export class DescriptorChain {
  /** Head descriptor index: what the device gives back in the used ring. */
  head = 0;
  /** Number of segments (readable + writable). */
  count = 0;
  /** Number of device-readable segments (they come first). */
  readableCount = 0;
  /** Sum of readable segment lengths. */
  readableBytes = 0;
  /** Sum of writable segment lengths (the upper bound on the used length). */
  writableBytes = 0;
  /** True when the chain went through an indirect table. */
  indirect = false;
  /** Guest-physical address of each segment. */
  readonly addresses: Float64Array;
  /** Length of each segment. */
  readonly lengths: Uint32Array;

  /** @param capacity - most segments this chain can hold; pop refuses chains built with less than the device's limit. */
  constructor(capacity: number) {
    this.addresses = new Float64Array(capacity);
    this.lengths = new Uint32Array(capacity);
  }

  /** Most segments this object can hold. */
  get capacity(): number {
    return this.lengths.length;
  }

  /** Number of device-writable segments. */
  get writableCount(): number {
    return this.count - this.readableCount;
  }

  /** Forgets the previous chain (pop calls this). */
  clear(): void {
    this.head = 0;
    this.count = 0;
    this.readableCount = 0;
    this.readableBytes = 0;
    this.writableBytes = 0;
    this.indirect = false;
  }
}

/**
 * Copies the chain's device-readable bytes, in order, into `dest` (as many as fit); returns how many were
 * copied. The segments were range-checked at pop time; a GuestMemoryError can therefore only mean the caller
 * passed a different memory than the device's.
 */
export function gatherReadable(memory: GuestMemory, chain: DescriptorChain, dest: Uint8Array): number {
  let done = 0;
  for (let i = 0; i < chain.readableCount && done < dest.length; i++) {
    const n = Math.min(chain.lengths[i]!, dest.length - done);
    memory.read(chain.addresses[i]!, dest.subarray(done, done + n));
    done += n;
  }
  return done;
}

/**
 * Copies `src` into the chain's device-writable segments, in order (as much as fits); returns how many bytes
 * were written — the value to report as the used length.
 */
export function scatterWritable(memory: GuestMemory, chain: DescriptorChain, src: Uint8Array): number {
  let done = 0;
  for (let i = chain.readableCount; i < chain.count && done < src.length; i++) {
    const n = Math.min(chain.lengths[i]!, src.length - done);
    memory.write(chain.addresses[i]!, src.subarray(done, done + n));
    done += n;
  }
  return done;
}
