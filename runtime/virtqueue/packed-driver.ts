/**
 * Driver side of a packed virtqueue (virtio 1.x §2.8): writes descriptor lists into the ring, decides when
 * to kick, and collects used descriptors without trusting the device — behind the same
 * {@link VirtqueueDriver} interface as the split ring.
 *
 * Bookkeeping stays out of guest memory (free IDs, each ID's descriptor count, writable total and token).
 * A used descriptor is one whose AVAIL and USED bits both equal the driver's used wrap counter; the flags are
 * read with `Atomics.load` (acquire) before id and len. What the device writes is checked: a used
 * descriptor while nothing is outstanding (`used-idx-runaway`), one written with the other lap's wrap
 * counter (`wrong-wrap-counter`), an ID out of range or not in flight (`used-id-out-of-range`,
 * `used-id-not-in-flight`), a length over the buffer's writable total (`used-len-too-large`).
 *
 * Descriptors of a list are written body first, head last: the head's flags go out with `Atomics.store`
 * (release) once the rest is in place (§2.8.21 "MUST NOT make the first descriptor in the list available
 * before all subsequent descriptors").
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";
import type { GuestMemoryRegion } from "../memory/region.js";
import {
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_MAX_CHAIN_BYTES,
  VRING_MAX_INDIRECT_ENTRIES,
  VRING_PACKED_DESC_F_AVAIL,
  VRING_PACKED_DESC_F_USED,
  VRING_PACKED_EVENT_FLAG_DESC,
  VRING_PACKED_EVENT_FLAG_DISABLE,
  VRING_PACKED_EVENT_FLAG_ENABLE,
  VRING_PACKED_EVENT_F_WRAP_CTR,
} from "./constants.js";
import {
  PACKED_DESC,
  PACKED_DESC_EVENT,
  PACKED_DESC_U16_FLAGS,
  PACKED_DESC_U16_ID,
  PACKED_DESC_U32_ADDR,
  PACKED_DESC_U32_LEN,
  writeTableDescriptor,
} from "./descriptor-layout.js";
import { VirtqueueError } from "./errors.js";
import type { VirtqueueBrokenReason } from "./errors.js";
import { bindPackedRing, eventFlagsOf, eventOffWrapOf, packedNeedEvent, packedRingBytes } from "./packed-layout.js";
import type { PackedRingAddresses, PackedRingViews } from "./packed-layout.js";
import type { AddResult, GetUsedResult, UsedBufferSlot, VirtqueueBuffer, VirtqueueDriver } from "./queue.js";

const TWO_POW_32 = 4294967296;

/** Negotiated features for a {@link PackedQueueDriver}. */
export interface PackedQueueDriverOptions {
  /** VIRTIO_RING_F_EVENT_IDX negotiated. Default false. */
  eventIdx?: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. Default false. */
  indirectDesc?: boolean;
  /** VIRTIO_F_IN_ORDER negotiated: the device may write one used descriptor for a batch. Default false. */
  inOrder?: boolean;
  /**
   * Most buffers a chain through an indirect table may have: the device's limit (a chain in the ring itself
   * never exceeds the queue size). Default 65536, as Linux drivers, which pass indirect chains longer than the
   * queue size to devices that accept them (QEMU); the spec's rule ("A driver MUST NOT create a descriptor
   * chain longer than the Queue Size of the device") is `maxChainLength: size`.
   */
  maxChainLength?: number;
}

/** Driver side of one packed virtqueue; see the module comment. */
export class PackedQueueDriver<T = unknown> implements VirtqueueDriver<T> {
  readonly size: number;
  readonly eventIdx: boolean;
  readonly indirectDesc: boolean;
  /** VIRTIO_F_IN_ORDER negotiated. */
  readonly inOrder: boolean;
  /** Bounds of the memory when it is one region, else `0, -1` (see SplitQueueDevice's fields of that name). */
  private readonly singleLo: number;
  private readonly singleHi: number;
  /** Most buffers a chain through an indirect table may have (the device's limit; see the options). */
  readonly maxChainLength: number;

  private readonly memory: GuestMemory;
  private readonly v: PackedRingViews;
  private reason: VirtqueueBrokenReason | null = null;
  private detail = "";
  private nextAvail = 0;
  private availWrap = 1;
  private nextUsed = 0;
  private usedWrap = 1;
  private free: number;
  /** Stack of free buffer IDs. */
  private readonly freeIds: Uint16Array;
  private freeIdCount: number;
  private readonly idSlots: Uint16Array;
  private readonly idWritable: Uint32Array;
  private readonly outstandingId: Uint8Array;
  private readonly tokens: (T | undefined)[];
  private outstandingCount = 0;
  /** IN_ORDER: outstanding IDs in add order. */
  private readonly order: Uint16Array;
  private orderHead = 0;
  private orderCount = 0;
  /** IN_ORDER: the ID and length of the used descriptor being consumed as a batch, or -1. */
  private batchLastId = -1;
  private batchLastLen = 0;
  /** Slots made available since the last kick decision. */
  private addedSlots = 0;
  private added = 0;
  private usedFlagsShadow: number = VRING_PACKED_EVENT_FLAG_ENABLE;

  /**
   * Binds the ring and initialises it (descriptor flags and both event areas zeroed).
   * @throws VirtqueueError with a layout reason (the driver chooses the layout).
   */
  constructor(memory: GuestMemory, addresses: PackedRingAddresses, options: PackedQueueDriverOptions = {}) {
    const bound = bindPackedRing(memory, addresses);
    if (!bound.ok) throw new VirtqueueError(bound.reason, bound.detail);
    this.memory = memory;
    const only = memory.regions.length === 1 ? memory.regions[0]! : null;
    this.singleLo = only === null ? 0 : only.guestAddress;
    this.singleHi = only === null ? -1 : only.end;
    this.v = bound.views;
    this.size = addresses.size;
    this.eventIdx = options.eventIdx ?? false;
    this.indirectDesc = options.indirectDesc ?? false;
    this.inOrder = options.inOrder ?? false;
    this.maxChainLength = options.maxChainLength ?? VRING_MAX_INDIRECT_ENTRIES;
    if (!Number.isSafeInteger(this.maxChainLength) || this.maxChainLength < 1) throw new VirtqueueError("invalid-option", `maxChainLength ${String(options.maxChainLength)} is not a positive integer`);
    this.freeIds = new Uint16Array(this.size);
    this.idSlots = new Uint16Array(this.size);
    this.idWritable = new Uint32Array(this.size);
    this.outstandingId = new Uint8Array(this.size);
    this.order = new Uint16Array(this.size);
    this.tokens = new Array<T | undefined>(this.size).fill(undefined);
    this.free = this.size;
    this.freeIdCount = 0;
    this.initialise();
  }

  private initialise(): void {
    const a = this.v.addresses;
    this.memory.fill(a.descAddress, packedRingBytes(this.size));
    this.memory.fill(a.driverEventAddress, PACKED_DESC_EVENT.size);
    this.memory.fill(a.deviceEventAddress, PACKED_DESC_EVENT.size);
    // IDs handed out lowest first: the stack holds size-1 .. 0.
    for (let i = 0; i < this.size; i++) this.freeIds[i] = this.size - 1 - i;
    this.freeIdCount = this.size;
    this.free = this.size;
    this.nextAvail = 0;
    this.availWrap = 1;
    this.nextUsed = 0;
    this.usedWrap = 1;
    this.outstandingId.fill(0);
    this.tokens.fill(undefined);
    this.outstandingCount = 0;
    this.orderHead = 0;
    this.orderCount = 0;
    this.batchLastId = -1;
    this.addedSlots = 0;
    this.added = 0;
    this.usedFlagsShadow = VRING_PACKED_EVENT_FLAG_ENABLE;
    this.reason = null;
    this.detail = "";
  }

  get broken(): boolean {
    return this.reason !== null;
  }

  get brokenReason(): VirtqueueBrokenReason | null {
    return this.reason;
  }

  get brokenDetail(): string {
    return this.detail;
  }

  get numFree(): number {
    return this.free;
  }

  get outstanding(): number {
    return this.outstandingCount;
  }

  /**
   * Makes a list available: `readable` then `writable` buffers, or (INDIRECT) one descriptor pointing at a
   * table written at `indirectTableAddress`.
   * @throws VirtqueueError as {@link SplitQueueDriver.add} for bad arguments (nothing is written then).
   */
  add(readable: readonly VirtqueueBuffer[], writable: readonly VirtqueueBuffer[], token: T, indirectTableAddress?: number): AddResult {
    if (this.reason !== null) return "broken";
    const readCount = readable.length;
    const total = readCount + writable.length;
    if (total === 0) throw new VirtqueueError("empty-chain", "a chain needs at least one buffer");
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
    const size = v.size;
    const head = this.nextAvail;
    const wrapBits = this.availWrap === 1 ? 1 << VRING_PACKED_DESC_F_AVAIL : 1 << VRING_PACKED_DESC_F_USED;
    let slots: number;
    let headFlags: number;
    let id: number;
    if (indirectTableAddress === undefined) {
      if (total > size) throw new VirtqueueError("chain-too-long", `${total} buffers > queue size ${size}`);
      if (total > this.free) return "no-space";
      id = this.freeIds[--this.freeIdCount]!;
      // Body first (each with the wrap bits of its own lap), the head's flags last.
      let slot = head;
      let bits = wrapBits;
      for (let k = 0; k < total; k++) {
        const buffer = k < readCount ? readable[k]! : writable[k - readCount]!;
        const flags = (k < readCount ? 0 : VRING_DESC_F_WRITE) | (k === total - 1 ? 0 : VRING_DESC_F_NEXT);
        writeFields(v, slot, buffer.address, buffer.length, id);
        if (k === 0) headFlags = flags | bits;
        else v.descU16[v.descU16Base + 8 * slot + PACKED_DESC_U16_FLAGS] = flags | bits;
        if (++slot === size) {
          slot = 0;
          bits ^= (1 << VRING_PACKED_DESC_F_AVAIL) | (1 << VRING_PACKED_DESC_F_USED);
        }
      }
      headFlags = headFlags!;
      slots = total;
    } else {
      const table = this.indirectTableRegion(total, indirectTableAddress);
      if (this.free === 0) return "no-space";
      id = this.freeIds[--this.freeIdCount]!;
      const view = table.view;
      const base = indirectTableAddress - table.guestAddress;
      // §2.8.16: WRITE is the only valid flag inside the table, and the ID is reserved.
      for (let k = 0; k < total; k++) {
        const buffer = k < readCount ? readable[k]! : writable[k - readCount]!;
        writeTableDescriptor(PACKED_DESC, view, base, k, buffer.address, buffer.length, k < readCount ? 0 : VRING_DESC_F_WRITE, 0);
      }
      writeFields(v, head, indirectTableAddress, total * PACKED_DESC.size, id);
      headFlags = VRING_DESC_F_INDIRECT | wrapBits;
      slots = 1;
    }
    this.tokens[id] = token;
    this.outstandingId[id] = 1;
    this.idSlots[id] = slots;
    this.idWritable[id] = writeBytes;
    this.outstandingCount++;
    this.free -= slots;
    if (this.inOrder) {
      let tail = this.orderHead + this.orderCount;
      if (tail >= size) tail -= size;
      this.order[tail] = id;
      this.orderCount++;
    }
    let next = head + slots;
    if (next >= size) {
      next -= size;
      this.availWrap ^= 1;
    }
    this.nextAvail = next;
    // Release: the whole list becomes visible to a device that acquire-loads this flags word.
    Atomics.store(v.descU16, v.descU16Base + 8 * head + PACKED_DESC_U16_FLAGS, headFlags);
    this.addedSlots += slots;
    this.added++;
    return "added";
  }

  /**
   * Whether the device wants a kick for what was added since the last call: its device area says DISABLE,
   * ENABLE, or DESC under EVENT_IDX (Linux's `virtqueue_kick_prepare_packed`).
   */
  needsKick(): boolean {
    if (this.reason !== null) return false;
    const added = this.added;
    const passed = this.addedSlots;
    this.added = 0;
    this.addedSlots = 0;
    if (added === 0) return false;
    const v = this.v;
    const word = Atomics.load(v.deviceU32, v.deviceWord);
    const flags = eventFlagsOf(word);
    if (flags === VRING_PACKED_EVENT_FLAG_DISABLE) return false;
    if (flags !== VRING_PACKED_EVENT_FLAG_DESC || !this.eventIdx || passed > v.size) return true;
    return packedNeedEvent(v.size, eventOffWrapOf(word), this.availWrap, this.nextAvail, (this.nextAvail - passed) & 0xffff);
  }

  /** Collects the next used buffer into `out` (under IN_ORDER, a batch is handed out one buffer per call). */
  getUsed(out: UsedBufferSlot<T>): GetUsedResult {
    if (this.reason !== null) return "broken";
    const v = this.v;
    let id: number;
    let length: number;
    if (this.batchLastId >= 0) {
      id = this.order[this.orderHead]!;
      length = id === this.batchLastId ? this.batchLastLen : this.idWritable[id]!;
      if (id === this.batchLastId) this.batchLastId = -1;
    } else {
      const at = this.nextUsed;
      const flags = Atomics.load(v.descU16, v.descU16Base + 8 * at + PACKED_DESC_U16_FLAGS);
      const a = (flags >>> VRING_PACKED_DESC_F_AVAIL) & 1;
      const u = (flags >>> VRING_PACKED_DESC_F_USED) & 1;
      const isUsed = a === this.usedWrap && u === this.usedWrap;
      if (this.outstandingCount === 0) {
        if (isUsed) return this.fail("used-idx-runaway", `descriptor ${at} marked used with nothing outstanding`);
        return "empty";
      }
      if (!isUsed) {
        if (a === this.usedWrap) return "empty";
        return this.fail("wrong-wrap-counter", `descriptor ${at} (flags 0x${flags.toString(16)}) written with the wrong wrap counter (lap ${this.usedWrap})`);
      }
      id = v.descU16[v.descU16Base + 8 * at + PACKED_DESC_U16_ID]!;
      const usedLen = v.descU32[v.descU32Base + 4 * at + PACKED_DESC_U32_LEN]!;
      // §2.8.6: len is reserved (ignored) in a used descriptor without WRITE.
      length = (flags & VRING_DESC_F_WRITE) !== 0 ? usedLen : 0;
      if (id >= this.size) return this.fail("used-id-out-of-range", `used buffer ID ${id} >= size ${this.size}`);
      if (this.outstandingId[id] === 0) return this.fail("used-id-not-in-flight", `used buffer ID ${id} is not in flight`);
      if (length > this.idWritable[id]!) {
        return this.fail("used-len-too-large", `used len ${length} > writable ${this.idWritable[id]!} for buffer ID ${id}`);
      }
      if (this.inOrder) {
        const first = this.order[this.orderHead]!;
        if (first !== id) {
          // A batch: every buffer up to `id` was used completely (§2.8.21).
          this.batchLastId = id;
          this.batchLastLen = length;
          id = first;
          length = this.idWritable[first]!;
        }
      }
    }
    out.token = this.tokens[id];
    out.length = length;
    out.head = id;
    this.tokens[id] = undefined;
    this.outstandingId[id] = 0;
    this.outstandingCount--;
    const slots = this.idSlots[id]!;
    this.free += slots;
    this.freeIds[this.freeIdCount++] = id;
    if (this.inOrder) {
      this.orderHead = this.orderHead + 1 === this.size ? 0 : this.orderHead + 1;
      this.orderCount--;
    }
    let next = this.nextUsed + slots;
    if (next >= this.size) {
      next -= this.size;
      this.usedWrap ^= 1;
    }
    this.nextUsed = next;
    return "used";
  }

  /** Driver area flags = DISABLE. */
  disableUsedNotifications(): void {
    if (this.reason !== null) return;
    this.usedFlagsShadow = VRING_PACKED_EVENT_FLAG_DISABLE;
    Atomics.store(this.v.driverU16, this.v.driverFlags, this.usedFlagsShadow);
  }

  /**
   * Driver area: ENABLE, or under EVENT_IDX DESC with off_wrap = next used position and wrap; then
   * re-reads the next used descriptor. @returns true when a used buffer is already pending.
   */
  enableUsedNotifications(): boolean {
    if (this.reason !== null) return false;
    const v = this.v;
    if (this.eventIdx) {
      Atomics.store(v.driverU16, v.driverOffWrap, this.nextUsed | (this.usedWrap << VRING_PACKED_EVENT_F_WRAP_CTR));
      this.usedFlagsShadow = VRING_PACKED_EVENT_FLAG_DESC;
    } else {
      this.usedFlagsShadow = VRING_PACKED_EVENT_FLAG_ENABLE;
    }
    Atomics.store(v.driverU16, v.driverFlags, this.usedFlagsShadow);
    if (this.batchLastId >= 0) return true;
    const flags = Atomics.load(v.descU16, v.descU16Base + 8 * this.nextUsed + PACKED_DESC_U16_FLAGS);
    return this.outstandingCount > 0 && ((flags >>> VRING_PACKED_DESC_F_AVAIL) & 1) === this.usedWrap && ((flags >>> VRING_PACKED_DESC_F_USED) & 1) === this.usedWrap;
  }

  /**
   * VIRTIO_F_NOTIFICATION_DATA: the 32-bit notification value for queue `queueIndex` (vq index in bits
   * 0..15, next_off in 16..30, next_wrap in 31): the next descriptor not yet made available.
   */
  notificationData(queueIndex: number): number {
    return ((queueIndex & 0xffff) | (this.nextAvail << 16) | (this.availWrap << 31)) >>> 0;
  }

  /**
   * VIRTIO_F_RING_RESET: after the device has reset the queue, takes back every outstanding buffer (their
   * tokens, in add order where known) and re-initialises the ring for re-enabling. No buffer is both
   * returned here and later reported used: the device forgot them.
   */
  reset(): T[] {
    const back: T[] = [];
    if (this.inOrder) {
      for (let k = 0; k < this.orderCount; k++) {
        const id = this.order[(this.orderHead + k) % this.size]!;
        if (this.outstandingId[id] !== 0) back.push(this.tokens[id] as T);
      }
    } else {
      for (let id = 0; id < this.size; id++) if (this.outstandingId[id] !== 0) back.push(this.tokens[id] as T);
    }
    this.initialise();
    return back;
  }

  private checkPlacement(buffer: VirtqueueBuffer): void {
    const address = buffer.address;
    // Fast path: an integer inside the only region.
    if (address >= this.singleLo && address + buffer.length <= this.singleHi && Number.isInteger(address)) return;
    if (!this.memory.isValidRange(address, buffer.length)) {
      throw new VirtqueueError("buffer-outside-memory", `buffer ${String(buffer.address)}+${buffer.length} outside guest memory`);
    }
  }

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
    const region = this.memory.findRegion(tableAddress, total * PACKED_DESC.size);
    if (region === undefined) {
      throw new VirtqueueError("indirect-outside-memory", `indirect table ${String(tableAddress)}+${total * PACKED_DESC.size} not inside one memory region`);
    }
    return region;
  }

  private fail(reason: VirtqueueBrokenReason, detail: string): "broken" {
    this.reason = reason;
    this.detail = detail;
    return "broken";
  }
}

function checkLength(length: number): number {
  if (length >>> 0 !== length || length === 0) {
    throw new VirtqueueError("invalid-buffer", `buffer length ${length} is not in 1 .. 2^32 - 1`);
  }
  return length;
}

/** Writes addr, len and id of ring descriptor `slot` (flags are written by the caller, in order). */
function writeFields(v: PackedRingViews, slot: number, address: number, length: number, id: number): void {
  const w = v.descU32Base + 4 * slot;
  const low = address >>> 0;
  v.descU32[w + PACKED_DESC_U32_ADDR] = low;
  v.descU32[w + PACKED_DESC_U32_ADDR + 1] = (address - low) / TWO_POW_32;
  v.descU32[w + PACKED_DESC_U32_LEN] = length;
  v.descU16[v.descU16Base + 8 * slot + PACKED_DESC_U16_ID] = id;
}
