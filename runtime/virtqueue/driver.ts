/**
 * Driver side of a split virtqueue: exposes buffer chains to the device, decides when to kick, and collects
 * used buffers — without trusting the device.
 *
 * Bookkeeping the device could corrupt is kept out of guest memory (as Linux's `desc_extra` does): the free
 * list, each chain's descriptor links, its token and its writable byte total live in private arrays. What
 * the device writes (used elements, used.idx) is checked before use: a used id out of range or not heading
 * an outstanding chain, a used length larger than the chain's writable total, or a used.idx claiming more
 * completions than are outstanding marks the queue broken (Linux's `BAD_RING`).
 *
 * Memory ordering: descriptors and the avail ring entry are written with plain stores, then avail.idx with
 * `Atomics.store` (release); used.idx is read with `Atomics.load` (acquire) before the used elements.
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";
import type { GuestMemoryRegion } from "../memory/region.js";
import {
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
import { availRingBytes, usedRingBytes } from "./layout.js";
import type { SplitRingAddresses } from "./layout.js";
import { bindSplitRing } from "./ring-views.js";
import type { SplitRingViews } from "./ring-views.js";
import { SPLIT_DESC, SPLIT_DESC_U16_FLAGS, SPLIT_DESC_U16_NEXT, SPLIT_DESC_U32_ADDR, SPLIT_DESC_U32_LEN, writeTableDescriptor } from "./descriptor-layout.js";
import type { AddResult, GetUsedResult, UsedBufferSlot, VirtqueueBuffer, VirtqueueDriver } from "./queue.js";

const TWO_POW_32 = 4294967296;


/** Negotiated features for a {@link SplitQueueDriver}. */
export interface SplitQueueDriverOptions {
  /** VIRTIO_RING_F_EVENT_IDX negotiated. Default false. */
  eventIdx?: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. Default false. */
  indirectDesc?: boolean;
  /** VIRTIO_F_IN_ORDER negotiated: the device may publish one used element for a batch. Default false. */
  inOrder?: boolean;
  /**
   * Most buffers a chain through an indirect table may have: the device's limit (a chain in the ring itself
   * never exceeds the queue size). Default 65536, as Linux drivers, which pass indirect chains longer than the
   * queue size to devices that accept them (QEMU); the spec's rule ("A driver MUST NOT create a descriptor
   * chain longer than the Queue Size of the device") is `maxChainLength: size`.
   */
  maxChainLength?: number;
}

export type { AddResult, GetUsedResult, VirtqueueBuffer } from "./queue.js";

/** A completed chain, filled in by {@link SplitQueueDriver.getUsed}; reuse one object across calls. */
export class UsedBuffer<T> implements UsedBufferSlot<T> {
  /** The token given to `add` for this chain. */
  token: T | undefined = undefined;
  /** Bytes the device says it wrote (checked ≤ the chain's writable total). */
  length = 0;
  /** Head descriptor index of the chain. */
  head = 0;
}

/** Driver side of one split virtqueue; see the module comment. */
export class SplitQueueDriver<T = unknown> implements VirtqueueDriver<T> {
  /** Queue size. */
  readonly size: number;
  /** VIRTIO_RING_F_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. */
  readonly indirectDesc: boolean;

  private readonly memory: GuestMemory;
  private readonly v: SplitRingViews;
  private reason: VirtqueueBrokenReason | null = null;
  private detail = "";
  /**
   * Private descriptor links: for a free descriptor, the next free one; for a descriptor in an outstanding
   * chain, the next one of that chain. Never read back from guest memory.
   */
  private readonly links: Uint16Array;
  private freeHead = 0;
  private free: number;
  /** Descriptors of the main table each outstanding head occupies (1 for an indirect chain). */
  private readonly chainLength: Uint16Array;
  /** Writable byte total of each outstanding head. */
  private readonly chainWritable: Uint32Array;
  /** 1 for each outstanding head. */
  private readonly outstandingHead: Uint8Array;
  private readonly tokens: (T | undefined)[];
  private outstandingCount = 0;
  /** Next avail index to publish. */
  private availShadow = 0;
  /** Chains added since the last kick decision. */
  private added = 0;
  /** Next used index to consume. */
  private lastUsed = 0;
  /** Last used.idx read from memory. */
  private usedShadow = 0;
  private availFlagsShadow = 0;
  /** Bounds of the memory when it is one region, else `0, -1` (see SplitQueueDevice's fields of that name). */
  private readonly singleLo: number;
  private readonly singleHi: number;
  /** VIRTIO_F_IN_ORDER negotiated. */
  readonly inOrder: boolean;
  /** Most buffers a chain through an indirect table may have (the device's limit; see the options). */
  readonly maxChainLength: number;
  /** IN_ORDER: outstanding heads in add order. */
  private readonly order: Uint16Array;
  private orderHead = 0;
  private orderCount = 0;
  /** IN_ORDER: head and length of the used element being handed out as a batch, or -1. */
  private batchLastHead = -1;
  private batchLastLen = 0;

  /**
   * Binds the ring and initialises it: zeroes the avail and used areas (flags, indices, event words) and
   * builds the free list.
   * @throws VirtqueueError with a layout reason when `addresses` is not a valid layout inside `memory`
   * (the driver chooses the layout, so this is a caller bug, not hostile input).
   */
  constructor(memory: GuestMemory, addresses: SplitRingAddresses, options: SplitQueueDriverOptions = {}) {
    const bound = bindSplitRing(memory, addresses);
    if (!bound.ok) throw new VirtqueueError(bound.reason, bound.detail);
    this.memory = memory;
    const only = memory.regions.length === 1 ? memory.regions[0]! : null;
    this.singleLo = only === null ? 0 : only.guestAddress;
    this.singleHi = only === null ? -1 : only.end;
    this.v = bound.views;
    this.size = addresses.size;
    this.eventIdx = options.eventIdx ?? false;
    this.indirectDesc = options.indirectDesc ?? false;
    memory.fill(addresses.availAddress, availRingBytes(this.size));
    memory.fill(addresses.usedAddress, usedRingBytes(this.size));
    this.links = new Uint16Array(this.size);
    // Free list 0 → 1 → … → size-1. The last link (value `size`) is never followed: `free` reaches 0 first.
    for (let i = 0; i < this.size; i++) this.links[i] = i + 1;
    this.free = this.size;
    this.chainLength = new Uint16Array(this.size);
    this.chainWritable = new Uint32Array(this.size);
    this.outstandingHead = new Uint8Array(this.size);
    this.tokens = new Array<T | undefined>(this.size).fill(undefined);
    this.inOrder = options.inOrder ?? false;
    this.maxChainLength = options.maxChainLength ?? VRING_MAX_INDIRECT_ENTRIES;
    if (!Number.isSafeInteger(this.maxChainLength) || this.maxChainLength < 1) throw new VirtqueueError("invalid-option", `maxChainLength ${String(options.maxChainLength)} is not a positive integer`);
    this.order = new Uint16Array(this.inOrder ? this.size : 0);
  }

  /** True once the device has violated the protocol. */
  get broken(): boolean {
    return this.reason !== null;
  }

  /** Why the queue is broken, or null. */
  get brokenReason(): VirtqueueBrokenReason | null {
    return this.reason;
  }

  /** Specifics of the violation, or "" when not broken. */
  get brokenDetail(): string {
    return this.detail;
  }

  /** Free descriptors in the main table. */
  get numFree(): number {
    return this.free;
  }

  /** Chains added and not yet collected with {@link getUsed}. */
  get outstanding(): number {
    return this.outstandingCount;
  }

  /**
   * Makes a chain available: `readable` buffers (device reads) then `writable` buffers (device writes).
   * With `indirectTableAddress` (requires VIRTIO_RING_F_INDIRECT_DESC) the buffers are described in a table
   * written at that address (16 × buffer count bytes, caller-owned until the chain is used) and the chain
   * takes a single main-table descriptor.
   * @returns `added`, `no-space` (not enough free descriptors; nothing written) or `broken`.
   * @throws VirtqueueError `empty-chain`, `invalid-buffer`, `buffer-outside-memory`, `length-overflow`,
   * `chain-too-long`, `indirect-not-negotiated` or `indirect-outside-memory` for bad arguments; nothing is
   * written then.
   */
  add(
    readable: readonly VirtqueueBuffer[],
    writable: readonly VirtqueueBuffer[],
    token: T,
    indirectTableAddress?: number,
  ): AddResult {
    if (this.reason !== null) return "broken";
    const readCount = readable.length;
    const total = readCount + writable.length;
    if (total === 0) throw new VirtqueueError("empty-chain", "a chain needs at least one buffer");
    // Lengths and their sum first (cheap), then where each buffer lies.
    let readBytes = 0;
    for (let i = 0; i < readCount; i++) readBytes += checkLength(readable[i]!.length);
    let writeBytes = 0;
    for (let i = 0; i < writable.length; i++) writeBytes += checkLength(writable[i]!.length);
    if (readBytes + writeBytes > VRING_MAX_CHAIN_BYTES) {
      throw new VirtqueueError("length-overflow", `chain of ${readBytes + writeBytes} bytes exceeds 2^32 - 1`);
    }
    for (let i = 0; i < readCount; i++) this.checkPlacement(readable[i]!);
    for (let i = 0; i < writable.length; i++) this.checkPlacement(writable[i]!);
    const v = this.v;
    let head: number;
    if (indirectTableAddress === undefined) {
      if (total > this.size) throw new VirtqueueError("chain-too-long", `${total} buffers > queue size ${this.size}`);
      if (total > this.free) return "no-space";
      head = this.freeHead;
      let index = head;
      for (let k = 0; k < total; k++) {
        const buffer = k < readCount ? readable[k]! : writable[k - readCount]!;
        const last = k === total - 1;
        const flags = (k < readCount ? 0 : VRING_DESC_F_WRITE) | (last ? 0 : VRING_DESC_F_NEXT);
        const following = this.links[index]!;
        writeDescriptor(v, index, buffer.address, buffer.length, flags, last ? 0 : following);
        if (!last) index = following;
      }
      this.freeHead = this.links[index]!;
      this.free -= total;
      this.chainLength[head] = total;
    } else {
      const table = this.indirectTableRegion(total, indirectTableAddress);
      if (this.free === 0) return "no-space";
      writeIndirectTable(table, indirectTableAddress - table.guestAddress, readable, writable);
      head = this.freeHead;
      writeDescriptor(v, head, indirectTableAddress, total * VRING_DESC_SIZE, VRING_DESC_F_INDIRECT, 0);
      this.freeHead = this.links[head]!;
      this.free -= 1;
      this.chainLength[head] = 1;
    }
    this.tokens[head] = token;
    this.outstandingHead[head] = 1;
    this.chainWritable[head] = writeBytes;
    this.outstandingCount++;
    if (this.inOrder) this.order[(this.orderHead + this.orderCount++) & v.mask] = head;
    v.availU16[v.availRing + (this.availShadow & v.mask)] = head;
    this.availShadow = (this.availShadow + 1) & 0xffff;
    // Release: everything written above becomes visible to a device that reads this index with Atomics.load.
    Atomics.store(v.availU16, v.availIdx, this.availShadow);
    this.added++;
    return "added";
  }

  /**
   * Whether the device wants a kick (available-buffer notification) for the chains added since the last
   * call. With EVENT_IDX: `vring_need_event(avail_event, new avail.idx, avail.idx at the last decision)`;
   * otherwise: used.flags lacks VRING_USED_F_NO_NOTIFY. False when nothing was added or the queue is broken.
   */
  needsKick(): boolean {
    if (this.reason !== null) return false;
    const added = this.added;
    this.added = 0;
    if (added === 0) return false;
    // After 2^16 additions the u16 window below would wrap to nothing: kick to be safe (Linux does too).
    if (added > 0xffff) return true;
    const v = this.v;
    const newIdx = this.availShadow;
    const oldIdx = (newIdx - added) & 0xffff;
    // The seq-cst loads below follow the seq-cst store of avail.idx: the full barrier virtio requires.
    if (this.eventIdx) return vringNeedEvent(Atomics.load(v.usedU16, v.availEvent), newIdx, oldIdx);
    return (Atomics.load(v.usedU16, v.usedFlags) & VRING_USED_F_NO_NOTIFY) === 0;
  }

  /**
   * Collects the next used chain into `out`, returning its descriptors to the free list.
   * @returns `used`, `empty`, or `broken` (the device wrote something impossible; see the module comment).
   */
  getUsed(out: UsedBufferSlot<T>): GetUsedResult {
    if (this.reason !== null) return "broken";
    const v = this.v;
    if (this.inOrder) return this.getUsedInOrder(v, out);
    if (this.lastUsed === this.usedShadow) {
      // Acquire: pairs with the device's release-store, making the used elements visible.
      const usedIdx = Atomics.load(v.usedU16, v.usedIdx);
      const pending = (usedIdx - this.lastUsed) & 0xffff;
      if (pending > this.outstandingCount) {
        return this.fail(
          "used-idx-runaway",
          `used.idx ${usedIdx} claims ${pending} completions, ${this.outstandingCount} outstanding`,
        );
      }
      if (pending === 0) return "empty";
      this.usedShadow = usedIdx;
    }
    const element = v.usedRing + 2 * (this.lastUsed & v.mask);
    const id = v.usedU32[element]!;
    const length = v.usedU32[element + 1]!;
    if (id >= this.size) return this.fail("used-id-out-of-range", `used id ${id} >= size ${this.size}`);
    if (this.outstandingHead[id] === 0) return this.fail("used-id-not-head", `used id ${id} is not an outstanding head`);
    if (length > this.chainWritable[id]!) {
      return this.fail("used-len-too-large", `used len ${length} > writable ${this.chainWritable[id]!} for head ${id}`);
    }
    out.token = this.tokens[id];
    out.length = length;
    out.head = id;
    this.tokens[id] = undefined;
    this.outstandingHead[id] = 0;
    this.outstandingCount--;
    this.release(id);
    this.lastUsed = (this.lastUsed + 1) & 0xffff;
    return "used";
  }

  /**
   * Asks the device not to interrupt (while the driver is polling): sets VRING_AVAIL_F_NO_INTERRUPT. Under
   * EVENT_IDX avail.flags stays 0 — §2.7.10 "If the VIRTIO_F_EVENT_IDX feature bit is negotiated: The driver
   * MUST set flags to 0" (Linux's `virtqueue_disable_cb_split` does not write it either) — and used_event simply
   * stops advancing, so at most one more interrupt arrives.
   */
  disableUsedNotifications(): void {
    if (this.reason !== null || this.eventIdx) return;
    this.availFlagsShadow |= VRING_AVAIL_F_NO_INTERRUPT;
    Atomics.store(this.v.availU16, this.v.availFlags, this.availFlagsShadow);
  }

  /**
   * Asks the device to interrupt for the next used buffer: clears VRING_AVAIL_F_NO_INTERRUPT and, under
   * EVENT_IDX, sets used_event to the next used index the driver will consume; then re-reads used.idx to
   * close the race with a device that published just before seeing the request.
   * @returns true when used buffers are already pending (keep collecting instead of sleeping); false when
   * none are — or the queue is broken.
   */
  enableUsedNotifications(): boolean {
    if (this.reason !== null) return false;
    const v = this.v;
    if (this.eventIdx) {
      Atomics.store(v.availU16, v.usedEvent, this.lastUsed);
    } else {
      this.availFlagsShadow &= ~VRING_AVAIL_F_NO_INTERRUPT;
      Atomics.store(v.availU16, v.availFlags, this.availFlagsShadow);
    }
    return Atomics.load(v.usedU16, v.usedIdx) !== this.lastUsed;
  }

  /**
   * IN_ORDER getUsed: a used element whose id is not the oldest outstanding head completes every chain up
   * to it; the ones before it were used completely (§2.7.9), so their length is their writable total.
   */
  private getUsedInOrder(v: SplitRingViews, out: UsedBufferSlot<T>): GetUsedResult {
    let id: number;
    let length: number;
    if (this.lastUsed === this.usedShadow) {
      const usedIdx = Atomics.load(v.usedU16, v.usedIdx);
      const pending = (usedIdx - this.lastUsed) & 0xffff;
      if (pending > this.outstandingCount) {
        return this.fail("used-idx-runaway", `used.idx ${usedIdx} claims ${pending} completions, ${this.outstandingCount} outstanding`);
      }
      if (pending === 0) return "empty";
      this.usedShadow = usedIdx;
    }
    const oldest = this.order[this.orderHead]!;
    if (this.batchLastHead >= 0) {
      id = oldest;
      length = id === this.batchLastHead ? this.batchLastLen : this.chainWritable[id]!;
      if (id === this.batchLastHead) this.batchLastHead = -1;
    } else {
      const element = v.usedRing + 2 * (this.lastUsed & v.mask);
      id = v.usedU32[element]!;
      length = v.usedU32[element + 1]!;
      if (id >= this.size) return this.fail("used-id-out-of-range", `used id ${id} >= size ${this.size}`);
      if (this.outstandingHead[id] === 0) return this.fail("used-id-not-head", `used id ${id} is not an outstanding head`);
      if (length > this.chainWritable[id]!) {
        return this.fail("used-len-too-large", `used len ${length} > writable ${this.chainWritable[id]!} for head ${id}`);
      }
      if (id !== oldest) {
        let batch = 1;
        while (this.order[(this.orderHead + batch - 1) & v.mask] !== id) batch++;
        const published = (this.usedShadow - this.lastUsed) & 0xffff;
        if (batch > published) {
          return this.fail("used-id-not-head", `used id ${id} ends a batch of ${batch} but used.idx advanced by ${published}`);
        }
        this.batchLastHead = id;
        this.batchLastLen = length;
        id = oldest;
        length = this.chainWritable[id]!;
      }
    }
    out.token = this.tokens[id];
    out.length = length;
    out.head = id;
    this.tokens[id] = undefined;
    this.outstandingHead[id] = 0;
    this.outstandingCount--;
    this.release(id);
    this.orderHead = (this.orderHead + 1) & v.mask;
    this.orderCount--;
    this.lastUsed = (this.lastUsed + 1) & 0xffff;
    return "used";
  }

  /**
   * VIRTIO_F_NOTIFICATION_DATA: the 32-bit notification value for queue `queueIndex`: the vq index in bits
   * 0..15 and the 16-bit avail index in 16..31 (next_off = its low 15 bits, next_wrap = its bit 15).
   */
  notificationData(queueIndex: number): number {
    return ((queueIndex & 0xffff) | (this.availShadow << 16)) >>> 0;
  }

  /**
   * VIRTIO_F_RING_RESET: after the device has reset the queue, takes back every outstanding chain's token
   * (in add order under IN_ORDER, by head otherwise) and re-initialises the ring for re-enabling.
   */
  reset(): T[] {
    const back: T[] = [];
    if (this.inOrder) {
      for (let k = 0; k < this.orderCount; k++) back.push(this.tokens[this.order[(this.orderHead + k) & this.v.mask]!] as T);
    } else {
      for (let head = 0; head < this.size; head++) if (this.outstandingHead[head] !== 0) back.push(this.tokens[head] as T);
    }
    const a = this.v.addresses;
    this.memory.fill(a.availAddress, availRingBytes(this.size));
    this.memory.fill(a.usedAddress, usedRingBytes(this.size));
    for (let i = 0; i < this.size; i++) this.links[i] = i + 1;
    this.freeHead = 0;
    this.free = this.size;
    this.outstandingHead.fill(0);
    this.tokens.fill(undefined);
    this.outstandingCount = 0;
    this.availShadow = 0;
    this.added = 0;
    this.lastUsed = 0;
    this.usedShadow = 0;
    this.availFlagsShadow = 0;
    this.orderHead = 0;
    this.orderCount = 0;
    this.batchLastHead = -1;
    this.reason = null;
    this.detail = "";
    return back;
  }

  /** Returns the main-table descriptors of the chain at `head` to the free list (private links only). */
  private release(head: number): void {
    let tail = head;
    for (let k = this.chainLength[head]!; k > 1; k--) tail = this.links[tail]!;
    this.links[tail] = this.freeHead;
    this.freeHead = head;
    this.free += this.chainLength[head]!;
  }

  /** Refuses a buffer handed to {@link add} that is not entirely inside guest memory (its length is a u32 by now). */
  private checkPlacement(buffer: VirtqueueBuffer): void {
    const address = buffer.address;
    // Fast path: an integer inside the only region.
    if (address >= this.singleLo && address + buffer.length <= this.singleHi && Number.isInteger(address)) return;
    if (!this.memory.isValidRange(address, buffer.length)) {
      throw new VirtqueueError("buffer-outside-memory", `buffer ${String(address)}+${buffer.length} outside guest memory`);
    }
  }

  /** The region that will hold an indirect table of `total` entries at `tableAddress`, after validation. */
  private indirectTableRegion(total: number, tableAddress: number): GuestMemoryRegion {
    if (!this.indirectDesc) {
      throw new VirtqueueError("indirect-not-negotiated", "indirect table given without VIRTIO_RING_F_INDIRECT_DESC");
    }
    if (total > this.maxChainLength) {
      throw new VirtqueueError("chain-too-long", `${total} buffers > ${this.maxChainLength}, the longest chain the device allows`);
    }
    if (total > VRING_MAX_INDIRECT_ENTRIES) {
      throw new VirtqueueError("chain-too-long", `${total} buffers > ${VRING_MAX_INDIRECT_ENTRIES} indirect entries`);
    }
    const region = this.memory.findRegion(tableAddress, total * VRING_DESC_SIZE);
    if (region === undefined) {
      throw new VirtqueueError(
        "indirect-outside-memory",
        `indirect table ${String(tableAddress)}+${total * VRING_DESC_SIZE} not inside one memory region`,
      );
    }
    return region;
  }

  private fail(reason: VirtqueueBrokenReason, detail: string): "broken" {
    this.reason = reason;
    this.detail = detail;
    return "broken";
  }
}

/** Returns `length` when it is a valid buffer length (1 .. 2^32 - 1). @throws VirtqueueError `invalid-buffer` */
function checkLength(length: number): number {
  if (length >>> 0 !== length || length === 0) {
    throw new VirtqueueError("invalid-buffer", `buffer length ${length} is not in 1 .. 2^32 - 1`);
  }
  return length;
}

/** Writes an indirect table (any alignment, hence the DataView) at region offset `base`. */
function writeIndirectTable(
  region: GuestMemoryRegion,
  base: number,
  readable: readonly VirtqueueBuffer[],
  writable: readonly VirtqueueBuffer[],
): void {
  const total = readable.length + writable.length;
  if ((base & 3) === 0) {
    // 4-aligned in its region (the usual case): the same typed views as the main table.
    const u32 = region.u32;
    const u16 = region.u16;
    for (let k = 0; k < total; k++) {
      const buffer = k < readable.length ? readable[k]! : writable[k - readable.length]!;
      const last = k === total - 1;
      const w = (base + SPLIT_DESC.size * k) / 4;
      const h = (base + SPLIT_DESC.size * k) / 2;
      const low = buffer.address >>> 0;
      u32[w + SPLIT_DESC_U32_ADDR] = low;
      u32[w + SPLIT_DESC_U32_ADDR + 1] = (buffer.address - low) / TWO_POW_32;
      u32[w + SPLIT_DESC_U32_LEN] = buffer.length;
      u16[h + SPLIT_DESC_U16_FLAGS] = (k < readable.length ? 0 : VRING_DESC_F_WRITE) | (last ? 0 : VRING_DESC_F_NEXT);
      u16[h + SPLIT_DESC_U16_NEXT] = last ? 0 : k + 1;
    }
    return;
  }
  const view = region.view;
  for (let k = 0; k < total; k++) {
    const buffer = k < readable.length ? readable[k]! : writable[k - readable.length]!;
    const last = k === total - 1;
    const flags = (k < readable.length ? 0 : VRING_DESC_F_WRITE) | (last ? 0 : VRING_DESC_F_NEXT);
    writeTableDescriptor(SPLIT_DESC, view, base, k, buffer.address, buffer.length, flags, last ? 0 : k + 1);
  }
}

/** Writes main-table descriptor `index` (the ring views guarantee it is in bounds). */
function writeDescriptor(v: SplitRingViews, index: number, address: number, length: number, flags: number, next: number): void {
  const w = v.descU32Base + 4 * index;
  const h = v.descU16Base + 8 * index;
  const low = address >>> 0;
  v.descU32[w + SPLIT_DESC_U32_ADDR] = low;
  v.descU32[w + SPLIT_DESC_U32_ADDR + 1] = (address - low) / TWO_POW_32;
  v.descU32[w + SPLIT_DESC_U32_LEN] = length;
  v.descU16[h + SPLIT_DESC_U16_FLAGS] = flags;
  v.descU16[h + SPLIT_DESC_U16_NEXT] = next;
}
