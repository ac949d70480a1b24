/**
 * Device side of a split virtqueue: pops available chains written by an untrusted driver, returns used
 * buffers, and decides when to interrupt.
 *
 * Every value read from the ring is hostile until checked. The checks are those of QEMU's
 * `virtqueue_split_pop` and rust-vmm's virtio-queue (see {@link VirtqueueBrokenReason}); the first violation
 * marks the queue broken — the moral equivalent of QEMU's `virtio_error()` setting DEVICE_NEEDS_RESET — and
 * from then on every method reports "broken" instead of throwing, so a device loop can never be derailed by
 * an exception or a loop in guest-controlled data. Each descriptor field is read exactly once (no double
 * fetch), so a driver rewriting descriptors concurrently cannot get a value past a check.
 *
 * Memory ordering across worker_threads: avail.idx is read with `Atomics.load` (acquire) before the ring
 * entry and descriptors it covers are read with plain loads; used elements are written with plain stores
 * before used.idx is published with `Atomics.store` (release). Notification-suppression words are accessed
 * with Atomics, whose sequential consistency provides the full barrier virtio needs between publishing an
 * index and reading the other side's event index.
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";
import { DescriptorChain } from "./chain.js";
import {
  VIRTQUEUE_MAX_SIZE,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
  VRING_MAX_CHAIN_BYTES,
  VRING_MAX_INDIRECT_ENTRIES,
  VRING_USED_F_NO_NOTIFY,
} from "./constants.js";
import { VirtqueueError } from "./errors.js";
import type { VirtqueueBrokenReason } from "./errors.js";
import { vringNeedEvent } from "./event-idx.js";
import type { SplitRingAddresses } from "./layout.js";
import { bindSplitRing } from "./ring-views.js";
import type { SplitRingViews } from "./ring-views.js";
import {
  SPLIT_DESC,
  SPLIT_DESC_U16_FLAGS,
  SPLIT_DESC_U16_NEXT,
  SPLIT_DESC_U32_ADDR,
  SPLIT_DESC_U32_LEN,
  readTableDescriptor,
} from "./descriptor-layout.js";
import type { DescriptorFields } from "./descriptor-layout.js";
import type { PopResult, VirtqueueDevice } from "./queue.js";

const TWO_POW_32 = 4294967296;
/** Reused for every indirect-table read (the walker is not re-entrant). */
const scratch: DescriptorFields = { low: 0, high: 0, len: 0, flags: 0, link: 0 };
/** Largest high half of a descriptor address that still gives a safe integer; anything above is outside memory. */
const MAX_SAFE_HIGH_HALF = 0x1fffff;

/** Negotiated features and limits for a {@link SplitQueueDevice}. */
export interface SplitQueueDeviceOptions {
  /** VIRTIO_RING_F_EVENT_IDX negotiated. Default false. */
  eventIdx?: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. Default false. */
  indirectDesc?: boolean;
  /**
   * Most descriptors one chain may visit, counting the one that points at an indirect table. Default: the
   * queue size, as virtio 1.x §2.7.5.3.1 requires of drivers ("MUST NOT create a descriptor chain longer than
   * the Queue Size"). Raise it (up to queue size + 65536) to accept drivers such as Linux's that put more
   * entries than the queue size in one indirect table.
   */
  maxChainLength?: number;
  /** Where to resume: the next avail index to consume (u16). Default 0. */
  lastAvailIdx?: number;
  /** Where to resume: the next used index to produce (u16). Default 0. */
  usedIdx?: number;
  /**
   * VIRTIO_F_IN_ORDER negotiated: chains must be completed in pop order, and a run of chains used
   * completely (length = writable total) is published as one used element carrying the run's last head
   * (§2.7.9: "the device then skips forward in the ring according to the size of the batch"). Default false.
   */
  inOrder?: boolean;
}

export type { PopResult } from "./queue.js";

/** Device side of one split virtqueue; see the module comment. */
export class SplitQueueDevice implements VirtqueueDevice {
  /** Queue size as configured (meaningful even when the layout was refused). */
  readonly size: number;
  /** VIRTIO_RING_F_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. */
  readonly indirectDesc: boolean;
  /** Most descriptors a chain may visit (see {@link SplitQueueDeviceOptions.maxChainLength}). */
  readonly maxChainLength: number;

  private readonly memory: GuestMemory;
  /** Null exactly when the layout was refused (then `reason` is set). */
  private readonly views: SplitRingViews | null;
  private reason: VirtqueueBrokenReason | null = null;
  private detail = "";
  /** Next avail index to consume. */
  private lastAvail: number;
  /** Last avail.idx read from memory; entries in [lastAvail, availShadow) are known published. */
  private availShadow: number;
  /** Next used index to fill (may be ahead of the published one between addUsed and publishUsed). */
  private usedShadow: number;
  /** Last used.idx value stored to memory. */
  private usedPublished: number;
  /** used.idx at the last interrupt decision (EVENT_IDX), as QEMU's signalled_used. */
  private signalledUsed = 0;
  private signalledUsedValid = false;
  /** Something was published since the last interrupt decision. */
  private publishedSinceDecision = false;
  private kicksEnabled = true;
  /** 1 for each head popped and not yet returned. */
  private readonly inFlight: Uint8Array;
  /** Writable byte total of each in-flight head, to refuse a used length the driver would reject. */
  private readonly inFlightWritable: Uint32Array;
  private inFlightCount = 0;
  private visited = 0;
  /**
   * Guest-physical bounds `[singleLo, singleHi)` of the memory when it is one region (the common case), so
   * the per-buffer range check is two comparisons without a call; `0, -1` otherwise, which sends every check
   * to the general path.
   */
  private readonly singleLo: number;
  private readonly singleHi: number;
  /** VIRTIO_F_IN_ORDER negotiated. */
  readonly inOrder: boolean;
  /** IN_ORDER: popped heads in pop order, and used ones waiting for publishUsed. */
  private readonly order: Uint16Array;
  private orderHead = 0;
  private orderCount = 0;
  private readonly pendingHead: Uint16Array;
  private readonly pendingLen: Uint32Array;
  private readonly pendingWritable: Uint32Array;
  private pendingCount = 0;
  private readonly initialLastAvail: number;
  private readonly initialUsedIdx: number;

  /**
   * Binds the ring. Never throws for a bad layout (that is driver-controlled): the queue is then created
   * broken with reason `ring-size-not-power-of-two`, `ring-size-too-large`, `misaligned-ring` or
   * `ring-outside-memory`.
   * @throws VirtqueueError `invalid-option` for an out-of-range option (options come from trusted code).
   */
  constructor(memory: GuestMemory, addresses: SplitRingAddresses, options: SplitQueueDeviceOptions = {}) {
    this.memory = memory;
    const only = memory.regions.length === 1 ? memory.regions[0]! : null;
    this.singleLo = only === null ? 0 : only.guestAddress;
    this.singleHi = only === null ? -1 : only.end;
    this.size = addresses.size;
    this.eventIdx = options.eventIdx ?? false;
    this.indirectDesc = options.indirectDesc ?? false;
    const bound = bindSplitRing(memory, addresses);
    const queueSize = bound.ok ? addresses.size : 1;
    const maxChain = options.maxChainLength ?? queueSize;
    if (!Number.isInteger(maxChain) || maxChain < 1 || maxChain > VIRTQUEUE_MAX_SIZE + VRING_MAX_INDIRECT_ENTRIES) {
      throw new VirtqueueError("invalid-option", `maxChainLength ${maxChain}`);
    }
    this.maxChainLength = maxChain;
    this.lastAvail = checkU16Option("lastAvailIdx", options.lastAvailIdx ?? 0);
    this.availShadow = this.lastAvail;
    this.usedShadow = checkU16Option("usedIdx", options.usedIdx ?? 0);
    this.usedPublished = this.usedShadow;
    this.inFlight = new Uint8Array(queueSize);
    this.inFlightWritable = new Uint32Array(queueSize);
    this.inOrder = options.inOrder ?? false;
    const orderSize = this.inOrder ? queueSize : 0;
    this.order = new Uint16Array(orderSize);
    this.pendingHead = new Uint16Array(orderSize);
    this.pendingLen = new Uint32Array(orderSize);
    this.pendingWritable = new Uint32Array(orderSize);
    this.initialLastAvail = this.lastAvail;
    this.initialUsedIdx = this.usedShadow;
    if (bound.ok) {
      this.views = bound.views;
    } else {
      this.views = null;
      this.reason = bound.reason;
      this.detail = bound.detail;
    }
  }

  /** True once the driver has violated the protocol; the queue needs a reset (a new device object). */
  get broken(): boolean {
    return this.reason !== null;
  }

  /** Why the queue is broken, or null. */
  get brokenReason(): VirtqueueBrokenReason | null {
    return this.reason;
  }

  /** Specifics of the violation (indices, values), or "" when not broken. */
  get brokenDetail(): string {
    return this.detail;
  }

  /** The next avail index the device will consume. */
  get lastAvailIdx(): number {
    return this.lastAvail;
  }

  /** The next used index the device will fill. */
  get usedIdx(): number {
    return this.usedShadow;
  }

  /** Chains popped and not yet returned with {@link addUsed}. */
  get inFlightChains(): number {
    return this.inFlightCount;
  }

  /** Descriptors read since creation (every table entry visited, including indirect-table pointers). */
  get descriptorsVisited(): number {
    return this.visited;
  }

  /**
   * A chain object able to hold any chain this device accepts. Allocate once and reuse for every pop.
   */
  createChain(): DescriptorChain {
    return new DescriptorChain(this.maxChainLength);
  }

  /**
   * Takes the next available chain into `chain` (overwriting it).
   * @returns `popped` (chain filled), `empty` (nothing available), or `broken` (the queue is, or just became,
   * broken; `chain` content is then meaningless).
   * @throws VirtqueueError `chain-capacity-too-small` when `chain` cannot hold {@link maxChainLength} segments.
   */
  pop(chain: DescriptorChain): PopResult {
    const v = this.views;
    if (v === null || this.reason !== null) return "broken";
    if (chain.capacity < this.maxChainLength) {
      throw new VirtqueueError("chain-capacity-too-small", `capacity ${chain.capacity} < ${this.maxChainLength}`);
    }
    if (this.lastAvail === this.availShadow) {
      // Acquire: pairs with the driver's release-store, making the ring entry and descriptors visible.
      const availIdx = Atomics.load(v.availU16, v.availIdx);
      const pending = (availIdx - this.lastAvail) & 0xffff;
      if (pending > v.size) {
        return this.fail("avail-idx-runaway", `avail.idx ${availIdx} is ${pending} past ${this.lastAvail} (size ${v.size})`);
      }
      if (pending === 0) return "empty";
      this.availShadow = availIdx;
    }
    const slot = this.lastAvail & v.mask;
    const head = v.availU16[v.availRing + slot]!;
    if (head >= v.size) return this.fail("head-out-of-range", `avail.ring[${slot}] = ${head} >= size ${v.size}`);
    if (this.inFlight[head] !== 0) return this.fail("head-in-flight", `head ${head} made available again before being used`);
    chain.clear();
    chain.head = head;
    const problem = this.walk(v, head, chain);
    if (problem !== null) return this.fail(problem, `chain at head ${head}: ${this.detail}`);
    this.inFlight[head] = 1;
    this.inFlightWritable[head] = chain.writableBytes;
    this.inFlightCount++;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (this.inOrder) this.order[(this.orderHead + this.orderCount++) & v.mask] = head;
    return "popped";
  }

  /**
   * Records that the chain with head `head` was used, `length` bytes having been written to its writable
   * part. Not visible to the driver until {@link publishUsed}.
   * @returns false when the queue is broken (nothing recorded).
   * @throws VirtqueueError `invalid-used-head` when `head` is not an in-flight chain, `invalid-used-length`
   * when `length` is not a u32 or exceeds the chain's writable bytes (the driver would mark the queue broken).
   */
  addUsed(head: number, length: number): boolean {
    const v = this.views;
    if (v === null || this.reason !== null) return false;
    if (!Number.isInteger(head) || head < 0 || head >= v.size || this.inFlight[head] === 0) {
      throw new VirtqueueError("invalid-used-head", `head ${head} is not an in-flight chain`);
    }
    if (length >>> 0 !== length || length > this.inFlightWritable[head]!) {
      throw new VirtqueueError(
        "invalid-used-length",
        `length ${length} for head ${head} (writable ${this.inFlightWritable[head]!})`,
      );
    }
    if (this.inOrder) return this.addUsedInOrder(v, head, length);
    const element = v.usedRing + 2 * (this.usedShadow & v.mask);
    v.usedU32[element] = head;
    v.usedU32[element + 1] = length;
    this.usedShadow = (this.usedShadow + 1) & 0xffff;
    this.inFlight[head] = 0;
    this.inFlightCount--;
    return true;
  }

  /** IN_ORDER addUsed: `head` must be the oldest in flight; the element is written by publishUsed. */
  private addUsedInOrder(v: SplitRingViews, head: number, length: number): boolean {
    const oldest = this.order[this.orderHead]!;
    if (oldest !== head) throw new VirtqueueError("invalid-used-head", `IN_ORDER: head ${head} used before ${oldest}`);
    const k = this.pendingCount++;
    this.pendingHead[k] = head;
    this.pendingLen[k] = length;
    this.pendingWritable[k] = this.inFlightWritable[head]!;
    this.orderHead = (this.orderHead + 1) & v.mask;
    this.orderCount--;
    this.inFlight[head] = 0;
    this.inFlightCount--;
    return true;
  }

  /** IN_ORDER: writes one used element per run of completely used chains (ending at a partial one). */
  private writePendingInOrder(v: SplitRingViews): void {
    const n = this.pendingCount;
    let i = 0;
    while (i < n) {
      let j = i;
      while (j < n - 1 && this.pendingLen[j] === this.pendingWritable[j]) j++;
      const element = v.usedRing + 2 * (this.usedShadow & v.mask);
      v.usedU32[element] = this.pendingHead[j]!;
      v.usedU32[element + 1] = this.pendingLen[j]!;
      this.usedShadow = (this.usedShadow + j - i + 1) & 0xffff;
      i = j + 1;
    }
    this.pendingCount = 0;
  }

  /** Publishes every used element added so far with a release-store of used.idx. */
  publishUsed(): void {
    const v = this.views;
    if (v === null || this.reason !== null) return;
    if (this.pendingCount !== 0) this.writePendingInOrder(v);
    if (this.usedPublished === this.usedShadow) return;
    Atomics.store(v.usedU16, v.usedIdx, this.usedShadow);
    this.usedPublished = this.usedShadow;
    this.publishedSinceDecision = true;
  }

  /** {@link addUsed} then {@link publishUsed}. @returns false when the queue is broken. */
  pushUsed(head: number, length: number): boolean {
    if (!this.addUsed(head, length)) return false;
    this.publishUsed();
    return true;
  }

  /**
   * Whether the driver wants a used-buffer notification (interrupt) for what was published since the last
   * call. With EVENT_IDX: `vring_need_event(used_event, used.idx, used.idx at the previous decision)`, always
   * true the first time (as QEMU and vhost do); otherwise: avail.flags lacks VRING_AVAIL_F_NO_INTERRUPT.
   * False when nothing was published since the last call, and on a broken queue.
   */
  needsInterrupt(): boolean {
    const v = this.views;
    if (v === null || this.reason !== null || !this.publishedSinceDecision) return false;
    this.publishedSinceDecision = false;
    if (this.eventIdx) {
      const oldIdx = this.signalledUsed;
      const wasValid = this.signalledUsedValid;
      this.signalledUsed = this.usedPublished;
      this.signalledUsedValid = true;
      // This seq-cst load follows the seq-cst store of used.idx: the full barrier virtio requires here.
      const usedEvent = Atomics.load(v.availU16, v.usedEvent);
      return !wasValid || vringNeedEvent(usedEvent, this.usedPublished, oldIdx);
    }
    return (Atomics.load(v.availU16, v.availFlags) & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /**
   * Asks the driver not to kick (while the device is polling). Without EVENT_IDX this sets
   * VRING_USED_F_NO_NOTIFY; with EVENT_IDX, avail_event simply stops advancing, so the driver kicks at most
   * once more.
   */
  disableKicks(): void {
    const v = this.views;
    if (v === null || this.reason !== null) return;
    this.kicksEnabled = false;
    if (!this.eventIdx) Atomics.store(v.usedU16, v.usedFlags, VRING_USED_F_NO_NOTIFY);
  }

  /**
   * Asks the driver to kick for the next available buffer: clears VRING_USED_F_NO_NOTIFY, or with EVENT_IDX
   * sets avail_event to the next index the device will consume. Then re-reads avail.idx, closing the race
   * with a driver that added buffers just before seeing the request.
   * @returns true when buffers are already pending (keep popping instead of sleeping); false when the queue
   * is empty — or broken — and the device may wait for a kick.
   */
  enableKicks(): boolean {
    const v = this.views;
    if (v === null || this.reason !== null) return false;
    this.kicksEnabled = true;
    if (this.eventIdx) Atomics.store(v.usedU16, v.availEvent, this.lastAvail);
    else Atomics.store(v.usedU16, v.usedFlags, 0);
    return Atomics.load(v.availU16, v.availIdx) !== this.lastAvail;
  }

  /**
   * VIRTIO_F_NOTIFICATION_DATA: how many entries a notification says were made available past the device's
   * position (next_off and next_wrap together are the 16-bit avail index for a split ring), or null when
   * that is more than the ring holds.
   */
  notifiedAvailable(data: number): number | null {
    const pending = ((data >>> 16) - this.lastAvail) & 0xffff;
    return pending > this.size ? null : pending;
  }

  /**
   * VIRTIO_F_RING_RESET: forgets every popped and pending chain and returns to the initial indices (those
   * given as options). A broken state from the ring's contents is cleared; a refused layout stays refused.
   */
  reset(): void {
    if (this.views !== null) {
      this.reason = null;
      this.detail = "";
    }
    this.lastAvail = this.initialLastAvail;
    this.availShadow = this.lastAvail;
    this.usedShadow = this.initialUsedIdx;
    this.usedPublished = this.usedShadow;
    this.signalledUsed = 0;
    this.signalledUsedValid = false;
    this.publishedSinceDecision = false;
    this.kicksEnabled = true;
    this.inFlight.fill(0);
    this.inFlightCount = 0;
    this.orderHead = 0;
    this.orderCount = 0;
    this.pendingCount = 0;
  }

  /** Whether kicks are currently requested (see {@link enableKicks}/{@link disableKicks}). */
  get kicksRequested(): boolean {
    return this.kicksEnabled;
  }

  /**
   * Walks the chain at `head` into `chain`. Returns null on success, or the violated rule (with `this.detail`
   * set to specifics). Terminates after at most `maxChainLength` descriptor reads whatever the ring holds.
   */
  private walk(v: SplitRingViews, head: number, chain: DescriptorChain): VirtqueueBrokenReason | null {
    const memory = this.memory;
    const maxChain = this.maxChainLength;
    const addresses = chain.addresses;
    const lengths = chain.lengths;
    let visited = 0;
    /** Entries in the table being walked; `next` must stay below it. */
    let tableSize = v.size;
    /** Descriptors visited in the current table: more than tableSize can only mean a loop. */
    let tableVisited = 0;
    let index = head;
    // Where descriptors are read: the main table, or an indirect table through the same kind of typed views
    // when it is 4-aligned in its region (every table the drivers here write), else through a DataView.
    let u32 = v.descU32;
    let base32 = v.descU32Base;
    let u16 = v.descU16;
    let base16 = v.descU16Base;
    let inTable = false;
    let unalignedTable: DataView | null = null;
    let unalignedBase = 0;
    const singleLo = this.singleLo;
    const singleHi = this.singleHi;
    let count = 0;
    let readableCount = 0;
    let readableBytes = 0;
    let writableBytes = 0;
    for (;;) {
      if (visited === maxChain || tableVisited === tableSize) {
        this.visited += visited;
        this.detail = `more than ${visited} descriptors (limit ${maxChain}, table of ${tableSize})`;
        return "chain-too-long";
      }
      visited++;
      tableVisited++;
      let low: number;
      let high: number;
      let len: number;
      let flags: number;
      let next: number;
      if (unalignedTable === null) {
        const w = base32 + 4 * index;
        const h = base16 + 8 * index;
        low = u32[w + SPLIT_DESC_U32_ADDR]!;
        high = u32[w + SPLIT_DESC_U32_ADDR + 1]!;
        len = u32[w + SPLIT_DESC_U32_LEN]!;
        flags = u16[h + SPLIT_DESC_U16_FLAGS]!;
        next = u16[h + SPLIT_DESC_U16_NEXT]!;
      } else {
        // The spec asks no alignment of an indirect table: an unaligned one is read through the DataView.
        readTableDescriptor(SPLIT_DESC, unalignedTable, unalignedBase, index, scratch);
        low = scratch.low;
        high = scratch.high;
        len = scratch.len;
        flags = scratch.flags;
        next = scratch.link;
      }
      if ((flags & VRING_DESC_F_INDIRECT) !== 0) {
        // The WRITE flag of a table pointer is ignored, as §2.7.5.3.2 requires of devices.
        const problem = this.indirectProblem(inTable, flags, len, high);
        if (problem !== null) {
          this.visited += visited;
          return problem;
        }
        const tableAddress = high * TWO_POW_32 + low;
        const region = memory.findRegion(tableAddress, len);
        if (region === undefined) {
          this.visited += visited;
          this.detail = `indirect table 0x${tableAddress.toString(16)}+${len} not inside one memory region`;
          return "indirect-outside-memory";
        }
        // Inside one region (checked above), so every index below stays in bounds of the region's views.
        const offset = tableAddress - region.guestAddress;
        inTable = true;
        if ((offset & 3) === 0) {
          u32 = region.u32;
          base32 = offset / 4;
          u16 = region.u16;
          base16 = offset / 2;
        } else {
          unalignedTable = region.view;
          unalignedBase = offset;
        }
        tableSize = len / VRING_DESC_SIZE;
        tableVisited = 0;
        index = 0;
        chain.indirect = true;
        continue;
      }
      if (len === 0) {
        this.visited += visited;
        this.detail = `descriptor ${index} has length 0`;
        return "zero-length-buffer";
      }
      if ((flags & VRING_DESC_F_WRITE) !== 0) {
        writableBytes += len;
      } else {
        if (count !== readableCount) {
          this.visited += visited;
          this.detail = `readable descriptor ${index} follows a writable one`;
          return "readable-after-writable";
        }
        readableCount++;
        readableBytes += len;
      }
      // Each term is < 2^32 and there are at most 2^17 of them: the sum stays exact well below 2^53.
      if (readableBytes + writableBytes > VRING_MAX_CHAIN_BYTES) {
        this.visited += visited;
        this.detail = `total length ${readableBytes + writableBytes} exceeds 2^32 - 1`;
        return "length-overflow";
      }
      const address = high * TWO_POW_32 + low;
      // Fast path: inside the only region (address < 2^53 and len < 2^32, so a sum past 2^53 rounds upward and
      // still compares as outside). Otherwise the general check, which also accepts contiguous regions.
      if (
        high > MAX_SAFE_HIGH_HALF ||
        ((address < singleLo || address + len > singleHi) && memory.findRegion(address, len) === undefined && !memory.isValidRange(address, len))
      ) {
        this.visited += visited;
        this.detail = `buffer 0x${high.toString(16)}_${low.toString(16).padStart(8, "0")}+${len} outside guest memory`;
        return "buffer-outside-memory";
      }
      addresses[count] = address;
      lengths[count] = len;
      count++;
      if ((flags & VRING_DESC_F_NEXT) === 0) break;
      if (next >= tableSize) {
        this.visited += visited;
        this.detail = `descriptor ${index} next ${next} >= table size ${tableSize}`;
        return "next-out-of-range";
      }
      index = next;
    }
    this.visited += visited;
    chain.count = count;
    chain.readableCount = readableCount;
    chain.readableBytes = readableBytes;
    chain.writableBytes = writableBytes;
    return null;
  }

  /** Checks a descriptor carrying VRING_DESC_F_INDIRECT; sets `this.detail` when refusing. */
  private indirectProblem(insideTable: boolean, flags: number, len: number, high: number): VirtqueueBrokenReason | null {
    if (!this.indirectDesc) {
      this.detail = "INDIRECT flag without VIRTIO_RING_F_INDIRECT_DESC";
      return "indirect-not-negotiated";
    }
    if (insideTable) {
      this.detail = "INDIRECT flag inside an indirect table";
      return "nested-indirect";
    }
    if ((flags & VRING_DESC_F_NEXT) !== 0) {
      this.detail = "INDIRECT and NEXT in the same descriptor";
      return "indirect-with-next";
    }
    if (len === 0 || len % VRING_DESC_SIZE !== 0 || len / VRING_DESC_SIZE > VRING_MAX_INDIRECT_ENTRIES) {
      this.detail = `indirect table length ${len}`;
      return "indirect-size-invalid";
    }
    if (high > MAX_SAFE_HIGH_HALF) {
      this.detail = `indirect table address high half 0x${high.toString(16)}`;
      return "indirect-outside-memory";
    }
    return null;
  }

  private fail(reason: VirtqueueBrokenReason, detail: string): "broken" {
    this.reason = reason;
    this.detail = detail;
    return "broken";
  }
}

function checkU16Option(name: string, value: number): number {
  if ((value & 0xffff) !== value) throw new VirtqueueError("invalid-option", `${name} ${value} is not a u16`);
  return value;
}
