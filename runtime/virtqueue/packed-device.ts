/**
 * Device side of a packed virtqueue (virtio 1.x §2.8): pops available descriptor lists written by an
 * untrusted driver, writes used descriptors, and decides when to interrupt — behind the same
 * {@link VirtqueueDevice} interface as the split ring, with the same named reasons where a rule applies to
 * both layouts and the packed ring's own (`wrong-wrap-counter`, `avail-ring-overrun`) otherwise.
 *
 * The device polls one place: the flags of the descriptor at its next avail position. That descriptor is
 * available when its AVAIL bit equals the device's avail wrap counter and its USED bit does not (§2.8.1). The
 * flags word is read with `Atomics.load` (acquire; the driver writes the head's flags last with a release
 * store), then every other field of the list with plain loads, each exactly once (no double fetch). Every
 * later descriptor of a list must also be available in its own lap, or the driver wrote it with the wrong
 * wrap counter. Used descriptors are written id and len first, flags last with `Atomics.store` (release).
 *
 * Buffer IDs are accepted in 0 .. size - 1: at most `size` buffers can be outstanding, and Linux's and
 * DPDK's drivers allocate IDs from that range; a larger ID is refused as `head-out-of-range`.
 *
 * With VIRTIO_F_IN_ORDER the caller must complete buffers in the order they were popped; a run of buffers
 * whose used length equals their writable total ("used completely", §2.8.21) is then written as one used
 * descriptor carrying the run's last ID, and the ring skips the run's other descriptors.
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";
import { DescriptorChain } from "./chain.js";
import {
  VIRTQUEUE_MAX_SIZE,
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
  PACKED_DESC_U16_FLAGS,
  PACKED_DESC_U16_ID,
  PACKED_DESC_U32_ADDR,
  PACKED_DESC_U32_LEN,
  readTableDescriptor,
} from "./descriptor-layout.js";
import type { DescriptorFields } from "./descriptor-layout.js";
import { VirtqueueError } from "./errors.js";
import type { VirtqueueBrokenReason } from "./errors.js";
import { bindPackedRing, eventFlagsOf, eventOffWrapOf, packedNeedEvent } from "./packed-layout.js";
import type { PackedRingAddresses, PackedRingViews } from "./packed-layout.js";
import type { PopResult, VirtqueueDevice } from "./queue.js";

const TWO_POW_32 = 4294967296;
const MAX_SAFE_HIGH_HALF = 0x1fffff;
const AVAIL_BIT = 1 << VRING_PACKED_DESC_F_AVAIL;
const USED_BIT = 1 << VRING_PACKED_DESC_F_USED;
const scratch: DescriptorFields = { low: 0, high: 0, len: 0, flags: 0, link: 0 };

/** Negotiated features and limits for a {@link PackedQueueDevice}. */
export interface PackedQueueDeviceOptions {
  /** VIRTIO_RING_F_EVENT_IDX negotiated (off_wrap event suppression). Default false. */
  eventIdx?: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. Default false. */
  indirectDesc?: boolean;
  /** VIRTIO_F_IN_ORDER negotiated. Default false. */
  inOrder?: boolean;
  /** Most descriptors one list may visit (the indirect pointer counts). Default: the queue size. */
  maxChainLength?: number;
}

/** Device side of one packed virtqueue; see the module comment. */
export class PackedQueueDevice implements VirtqueueDevice {
  readonly size: number;
  readonly eventIdx: boolean;
  readonly indirectDesc: boolean;
  /** VIRTIO_F_IN_ORDER negotiated. */
  readonly inOrder: boolean;
  /** Bounds of the memory when it is one region, else `0, -1` (see SplitQueueDevice's fields of that name). */
  private readonly singleLo: number;
  private readonly singleHi: number;
  readonly maxChainLength: number;

  private readonly memory: GuestMemory;
  private readonly views: PackedRingViews | null;
  private readonly layoutReason: VirtqueueBrokenReason | null;
  private readonly layoutDetail: string;
  private reason: VirtqueueBrokenReason | null;
  private detail: string;
  private nextAvail = 0;
  private availWrap = 1;
  private nextUsed = 0;
  private usedWrap = 1;
  /** Ring slots popped and not yet passed by a written used descriptor: the driver cannot have reused them. */
  private heldSlots = 0;
  private readonly inFlight: Uint8Array;
  private readonly inFlightSlots: Uint16Array;
  private readonly inFlightWritable: Uint32Array;
  private inFlightCount = 0;
  /** IN_ORDER: popped IDs in pop order (a ring of `size`). */
  private readonly order: Uint16Array;
  private orderHead = 0;
  private orderCount = 0;
  /** Used buffers recorded by addUsed, written by publishUsed. */
  private readonly pendingId: Uint16Array;
  private readonly pendingLen: Uint32Array;
  private readonly pendingSlots: Uint16Array;
  private readonly pendingWritable: Uint32Array;
  private pendingCount = 0;
  /** Slots nextUsed advanced since the last interrupt decision. */
  private usedSinceDecision = 0;
  private signalledValid = false;
  private publishedSinceDecision = false;
  private kicksEnabled = true;
  private visited = 0;

  /**
   * Binds the ring. A bad layout (driver-controlled) gives a queue created broken, never an exception.
   * @throws VirtqueueError `invalid-option` for an out-of-range option.
   */
  constructor(memory: GuestMemory, addresses: PackedRingAddresses, options: PackedQueueDeviceOptions = {}) {
    this.memory = memory;
    const only = memory.regions.length === 1 ? memory.regions[0]! : null;
    this.singleLo = only === null ? 0 : only.guestAddress;
    this.singleHi = only === null ? -1 : only.end;
    this.size = addresses.size;
    this.eventIdx = options.eventIdx ?? false;
    this.indirectDesc = options.indirectDesc ?? false;
    this.inOrder = options.inOrder ?? false;
    const bound = bindPackedRing(memory, addresses);
    const n = bound.ok ? addresses.size : 1;
    const maxChain = options.maxChainLength ?? n;
    if (!Number.isInteger(maxChain) || maxChain < 1 || maxChain > VIRTQUEUE_MAX_SIZE + VRING_MAX_INDIRECT_ENTRIES) {
      throw new VirtqueueError("invalid-option", `maxChainLength ${maxChain}`);
    }
    this.maxChainLength = maxChain;
    this.inFlight = new Uint8Array(n);
    this.inFlightSlots = new Uint16Array(n);
    this.inFlightWritable = new Uint32Array(n);
    this.order = new Uint16Array(n);
    this.pendingId = new Uint16Array(n);
    this.pendingLen = new Uint32Array(n);
    this.pendingSlots = new Uint16Array(n);
    this.pendingWritable = new Uint32Array(n);
    this.views = bound.ok ? bound.views : null;
    this.layoutReason = bound.ok ? null : bound.reason;
    this.layoutDetail = bound.ok ? "" : bound.detail;
    this.reason = this.layoutReason;
    this.detail = this.layoutDetail;
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

  get inFlightChains(): number {
    return this.inFlightCount;
  }

  get descriptorsVisited(): number {
    return this.visited;
  }

  get kicksRequested(): boolean {
    return this.kicksEnabled;
  }

  /** Ring position the device will poll next. */
  get nextAvailPosition(): number {
    return this.nextAvail;
  }

  /** The device's avail wrap counter (0 or 1). */
  get availWrapCounter(): number {
    return this.availWrap;
  }

  /** Ring position of the next used descriptor. */
  get nextUsedPosition(): number {
    return this.nextUsed;
  }

  /** The device's used wrap counter (0 or 1). */
  get usedWrapCounter(): number {
    return this.usedWrap;
  }

  createChain(): DescriptorChain {
    return new DescriptorChain(this.maxChainLength);
  }

  /**
   * Takes the next available descriptor list into `chain`; `chain.head` is its buffer ID.
   * @throws VirtqueueError `chain-capacity-too-small`
   */
  pop(chain: DescriptorChain): PopResult {
    const v = this.views;
    if (v === null || this.reason !== null) return "broken";
    if (chain.capacity < this.maxChainLength) {
      throw new VirtqueueError("chain-capacity-too-small", `capacity ${chain.capacity} < ${this.maxChainLength}`);
    }
    const start = this.nextAvail;
    const wrap = this.availWrap;
    // Acquire: pairs with the driver's release-store of the head's flags.
    const headFlags = Atomics.load(v.descU16, v.descU16Base + 8 * start + PACKED_DESC_U16_FLAGS);
    if (((headFlags >>> VRING_PACKED_DESC_F_AVAIL) & 1) !== wrap) return "empty";
    if (((headFlags >>> VRING_PACKED_DESC_F_USED) & 1) === wrap) {
      return this.fail("wrong-wrap-counter", `descriptor ${start} is marked both available and used in lap ${wrap}`);
    }
    if (this.heldSlots === v.size) {
      return this.fail("avail-ring-overrun", `descriptor ${start} made available while the device holds all ${v.size} descriptors`);
    }
    chain.clear();
    const problem = this.walk(v, start, wrap, headFlags, chain);
    if (problem !== null) return this.fail(problem, this.detail);
    return "popped";
  }

  /**
   * Walks the list whose head is at ring position `start`; on success commits it (ID in flight, avail
   * position advanced). Returns the violated rule with `this.detail` set otherwise.
   */
  private walk(v: PackedRingViews, start: number, wrap: number, headFlags: number, chain: DescriptorChain): VirtqueueBrokenReason | null {
    const memory = this.memory;
    const maxChain = this.maxChainLength;
    const room = v.size - this.heldSlots;
    const addresses = chain.addresses;
    const lengths = chain.lengths;
    let slot = start;
    let slotWrap = wrap;
    let slots = 0;
    let visited = 0;
    let count = 0;
    let readableCount = 0;
    let readableBytes = 0;
    let writableBytes = 0;
    let id = 0;
    let flags = headFlags;
    for (;;) {
      if (visited === maxChain) {
        this.visited += visited;
        this.detail = `list at ${start}: more than ${visited} descriptors (limit ${maxChain})`;
        return "chain-too-long";
      }
      visited++;
      slots++;
      const w = v.descU32Base + 4 * slot;
      const h = v.descU16Base + 8 * slot;
      if (slots > 1) {
        flags = v.descU16[h + PACKED_DESC_U16_FLAGS]!;
        if (((flags >>> VRING_PACKED_DESC_F_AVAIL) & 1) !== slotWrap || ((flags >>> VRING_PACKED_DESC_F_USED) & 1) === slotWrap) {
          this.visited += visited;
          this.detail = `list at ${start}: descriptor ${slot} (flags 0x${flags.toString(16)}) is not available in lap ${slotWrap}`;
          return "wrong-wrap-counter";
        }
      }
      const low = v.descU32[w + PACKED_DESC_U32_ADDR]!;
      const high = v.descU32[w + PACKED_DESC_U32_ADDR + 1]!;
      const len = v.descU32[w + PACKED_DESC_U32_LEN]!;
      id = v.descU16[h + PACKED_DESC_U16_ID]!;
      if ((flags & VRING_DESC_F_INDIRECT) !== 0) {
        const problem = this.indirectProblem(slots > 1, flags, len, high);
        if (problem !== null) {
          this.visited += visited;
          this.detail = `list at ${start}: ${this.detail}`;
          return problem;
        }
        const tableAddress = high * TWO_POW_32 + low;
        const region = memory.findRegion(tableAddress, len);
        if (region === undefined) {
          this.visited += visited;
          this.detail = `list at ${start}: indirect table 0x${tableAddress.toString(16)}+${len} not inside one memory region`;
          return "indirect-outside-memory";
        }
        const view = region.view;
        const base = tableAddress - region.guestAddress;
        const entries = len / PACKED_DESC.size;
        chain.indirect = true;
        // §2.8.16: only WRITE is valid inside the table; the other flags and the ID are ignored.
        for (let k = 0; k < entries; k++) {
          if (visited === maxChain) {
            this.visited += visited;
            this.detail = `list at ${start}: more than ${visited} descriptors (limit ${maxChain})`;
            return "chain-too-long";
          }
          visited++;
          readTableDescriptor(PACKED_DESC, view, base, k, scratch);
          const problem2 = this.bufferProblem(scratch.low, scratch.high, scratch.len, (scratch.flags & VRING_DESC_F_WRITE) !== 0, count, readableCount, readableBytes, writableBytes);
          if (problem2 !== null) {
            this.visited += visited;
            this.detail = `list at ${start}, indirect entry ${k}: ${this.detail}`;
            return problem2;
          }
          addresses[count] = scratch.high * TWO_POW_32 + scratch.low;
          lengths[count] = scratch.len;
          if ((scratch.flags & VRING_DESC_F_WRITE) !== 0) writableBytes += scratch.len;
          else {
            readableCount++;
            readableBytes += scratch.len;
          }
          count++;
        }
        break;
      }
      const writable = (flags & VRING_DESC_F_WRITE) !== 0;
      const problem = this.bufferProblem(low, high, len, writable, count, readableCount, readableBytes, writableBytes);
      if (problem !== null) {
        this.visited += visited;
        this.detail = `list at ${start}, descriptor ${slot}: ${this.detail}`;
        return problem;
      }
      addresses[count] = high * TWO_POW_32 + low;
      lengths[count] = len;
      if (writable) writableBytes += len;
      else {
        readableCount++;
        readableBytes += len;
      }
      count++;
      if ((flags & VRING_DESC_F_NEXT) === 0) break;
      if (slots === room) {
        this.visited += visited;
        if (room === v.size) {
          this.detail = `list at ${start}: longer than the queue size ${v.size}`;
          return "chain-too-long";
        }
        this.detail = `list at ${start}: runs into the ${this.heldSlots} descriptors the device still holds`;
        return "avail-ring-overrun";
      }
      slot++;
      if (slot === v.size) {
        slot = 0;
        slotWrap ^= 1;
      }
    }
    this.visited += visited;
    if (id >= v.size) {
      this.detail = `list at ${start}: buffer ID ${id} >= size ${v.size}`;
      return "head-out-of-range";
    }
    if (this.inFlight[id] !== 0) {
      this.detail = `list at ${start}: buffer ID ${id} made available again before being used`;
      return "head-in-flight";
    }
    chain.head = id;
    chain.count = count;
    chain.readableCount = readableCount;
    chain.readableBytes = readableBytes;
    chain.writableBytes = writableBytes;
    this.inFlight[id] = 1;
    this.inFlightSlots[id] = slots;
    this.inFlightWritable[id] = writableBytes;
    this.inFlightCount++;
    this.heldSlots += slots;
    if (this.inOrder) {
      let tail = this.orderHead + this.orderCount;
      if (tail >= v.size) tail -= v.size;
      this.order[tail] = id;
      this.orderCount++;
    }
    let next = start + slots;
    if (next >= v.size) {
      next -= v.size;
      this.availWrap ^= 1;
    }
    this.nextAvail = next;
    return null;
  }

  /** The rules every buffer descriptor obeys in both layouts; sets `this.detail` when refusing. */
  private bufferProblem(
    low: number,
    high: number,
    len: number,
    writable: boolean,
    count: number,
    readableCount: number,
    readableBytes: number,
    writableBytes: number,
  ): VirtqueueBrokenReason | null {
    if (len === 0) {
      this.detail = "length 0";
      return "zero-length-buffer";
    }
    if (!writable && count !== readableCount) {
      this.detail = "readable buffer after a writable one";
      return "readable-after-writable";
    }
    if (readableBytes + writableBytes + len > VRING_MAX_CHAIN_BYTES) {
      this.detail = `total length ${readableBytes + writableBytes + len} exceeds 2^32 - 1`;
      return "length-overflow";
    }
    const address = high * TWO_POW_32 + low;
    if (high > MAX_SAFE_HIGH_HALF || ((address < this.singleLo || address + len > this.singleHi) && this.memory.findRegion(address, len) === undefined && !this.memory.isValidRange(address, len))) {
      this.detail = `buffer 0x${high.toString(16)}_${low.toString(16).padStart(8, "0")}+${len} outside guest memory`;
      return "buffer-outside-memory";
    }
    return null;
  }

  private indirectProblem(afterNext: boolean, flags: number, len: number, high: number): VirtqueueBrokenReason | null {
    if (!this.indirectDesc) {
      this.detail = "INDIRECT flag without VIRTIO_RING_F_INDIRECT_DESC";
      return "indirect-not-negotiated";
    }
    if ((flags & VRING_DESC_F_NEXT) !== 0 || afterNext) {
      // §2.8.17: no INDIRECT descriptor in a list linked by NEXT.
      this.detail = afterNext ? "INDIRECT descriptor inside a list linked by NEXT" : "INDIRECT and NEXT in the same descriptor";
      return "indirect-with-next";
    }
    if (len === 0 || len % PACKED_DESC.size !== 0 || len / PACKED_DESC.size > VRING_MAX_INDIRECT_ENTRIES) {
      this.detail = `indirect table length ${len}`;
      return "indirect-size-invalid";
    }
    if (high > MAX_SAFE_HIGH_HALF) {
      this.detail = `indirect table address high half 0x${high.toString(16)}`;
      return "indirect-outside-memory";
    }
    return null;
  }

  /**
   * Records buffer `head` (its ID) as used with `length` bytes written; written to the ring by
   * {@link publishUsed}.
   * @throws VirtqueueError `invalid-used-head` (not in flight; under IN_ORDER, not the oldest in flight),
   * `invalid-used-length`
   */
  addUsed(head: number, length: number): boolean {
    const v = this.views;
    if (v === null || this.reason !== null) return false;
    if (!Number.isInteger(head) || head < 0 || head >= v.size || this.inFlight[head] === 0) {
      throw new VirtqueueError("invalid-used-head", `buffer ID ${head} is not in flight`);
    }
    if (this.inOrder && this.order[this.orderHead] !== head) {
      throw new VirtqueueError("invalid-used-head", `IN_ORDER: buffer ID ${head} used before ${this.order[this.orderHead]!}`);
    }
    const writable = this.inFlightWritable[head]!;
    if (length >>> 0 !== length || length > writable) {
      throw new VirtqueueError("invalid-used-length", `length ${length} for buffer ID ${head} (writable ${writable})`);
    }
    const k = this.pendingCount++;
    this.pendingId[k] = head;
    this.pendingLen[k] = length;
    this.pendingSlots[k] = this.inFlightSlots[head]!;
    this.pendingWritable[k] = writable;
    this.inFlight[head] = 0;
    this.inFlightCount--;
    if (this.inOrder) {
      this.orderHead = this.orderHead + 1 === v.size ? 0 : this.orderHead + 1;
      this.orderCount--;
    }
    return true;
  }

  /** Writes the used descriptors recorded so far (flags last, release), batching runs under IN_ORDER. */
  publishUsed(): void {
    const v = this.views;
    if (v === null || this.reason !== null || this.pendingCount === 0) return;
    const n = this.pendingCount;
    let i = 0;
    while (i < n) {
      let slots = this.pendingSlots[i]!;
      let j = i;
      if (this.inOrder) {
        while (j < n - 1 && this.pendingLen[j] === this.pendingWritable[j]) {
          j++;
          slots += this.pendingSlots[j]!;
        }
      }
      const at = this.nextUsed;
      const len = this.pendingLen[j]!;
      v.descU16[v.descU16Base + 8 * at + PACKED_DESC_U16_ID] = this.pendingId[j]!;
      v.descU32[v.descU32Base + 4 * at + PACKED_DESC_U32_LEN] = len;
      const wrapBits = this.usedWrap === 1 ? AVAIL_BIT | USED_BIT : 0;
      // Release: the driver reads id and len after an acquire-load of these flags.
      Atomics.store(v.descU16, v.descU16Base + 8 * at + PACKED_DESC_U16_FLAGS, wrapBits | (len > 0 ? VRING_DESC_F_WRITE : 0));
      let next = at + slots;
      if (next >= v.size) {
        next -= v.size;
        this.usedWrap ^= 1;
      }
      this.nextUsed = next;
      this.heldSlots -= slots;
      this.usedSinceDecision += slots;
      i = j + 1;
    }
    this.pendingCount = 0;
    this.publishedSinceDecision = true;
  }

  pushUsed(head: number, length: number): boolean {
    if (!this.addUsed(head, length)) return false;
    this.publishUsed();
    return true;
  }

  /**
   * Whether the driver wants an interrupt for what was published since the last call: its driver area says
   * DISABLE (no), ENABLE (yes), or DESC under EVENT_IDX (QEMU's `vring_packed_need_event` against the
   * used positions passed since the last decision; always yes the first time).
   */
  needsInterrupt(): boolean {
    const v = this.views;
    if (v === null || this.reason !== null || !this.publishedSinceDecision) return false;
    this.publishedSinceDecision = false;
    const passed = this.usedSinceDecision;
    this.usedSinceDecision = 0;
    const wasValid = this.signalledValid;
    this.signalledValid = true;
    // Seq-cst load after the seq-cst flags store: the full barrier virtio requires here.
    const word = Atomics.load(v.driverU32, v.driverWord);
    const flags = eventFlagsOf(word);
    if (flags === VRING_PACKED_EVENT_FLAG_DISABLE) return false;
    if (flags !== VRING_PACKED_EVENT_FLAG_DESC || !this.eventIdx) return true;
    if (!wasValid || passed > v.size) return true;
    return packedNeedEvent(v.size, eventOffWrapOf(word), this.usedWrap, this.nextUsed, (this.nextUsed - passed) & 0xffff);
  }

  /** Asks the driver not to kick: device area flags = DISABLE. */
  disableKicks(): void {
    const v = this.views;
    if (v === null || this.reason !== null) return;
    this.kicksEnabled = false;
    Atomics.store(v.deviceU16, v.deviceFlags, VRING_PACKED_EVENT_FLAG_DISABLE);
  }

  /**
   * Asks the driver to kick: ENABLE, or under EVENT_IDX DESC with off_wrap = next avail position and wrap
   * (as QEMU does); then re-reads the next descriptor's flags.
   * @returns true when a descriptor is already available.
   */
  enableKicks(): boolean {
    const v = this.views;
    if (v === null || this.reason !== null) return false;
    this.kicksEnabled = true;
    if (this.eventIdx) {
      Atomics.store(v.deviceU16, v.deviceOffWrap, this.nextAvail | (this.availWrap << VRING_PACKED_EVENT_F_WRAP_CTR));
      Atomics.store(v.deviceU16, v.deviceFlags, VRING_PACKED_EVENT_FLAG_DESC);
    } else {
      Atomics.store(v.deviceU16, v.deviceFlags, VRING_PACKED_EVENT_FLAG_ENABLE);
    }
    const flags = Atomics.load(v.descU16, v.descU16Base + 8 * this.nextAvail + PACKED_DESC_U16_FLAGS);
    return ((flags >>> VRING_PACKED_DESC_F_AVAIL) & 1) === this.availWrap && ((flags >>> VRING_PACKED_DESC_F_USED) & 1) !== this.availWrap;
  }

  /**
   * VIRTIO_F_NOTIFICATION_DATA: how many descriptors a notification says were made available past the
   * device's position (its next_off and next_wrap, §1.x "Driver notifications"), or null when the data
   * cannot be right (it points behind the device or past the room the driver has).
   */
  notifiedAvailable(data: number): number | null {
    const v = this.views;
    if (v === null) return null;
    const off = (data >>> 16) & 0x7fff;
    const wrap = data >>> 31;
    if (off >= v.size) return null;
    const distance = wrap === this.availWrap ? off - this.nextAvail : off + v.size - this.nextAvail;
    return distance < 0 || distance > v.size - this.heldSlots ? null : distance;
  }

  /**
   * VIRTIO_F_RING_RESET: forgets every popped and pending buffer and returns to the initial positions and
   * wrap counters (the driver re-initialises the ring before re-enabling the queue). Clears a broken state
   * that came from the ring's contents; a refused layout stays refused (re-enabling with a new layout is a
   * new object).
   */
  reset(): void {
    this.reason = this.layoutReason;
    this.detail = this.layoutDetail;
    this.nextAvail = 0;
    this.availWrap = 1;
    this.nextUsed = 0;
    this.usedWrap = 1;
    this.heldSlots = 0;
    this.inFlight.fill(0);
    this.inFlightCount = 0;
    this.orderHead = 0;
    this.orderCount = 0;
    this.pendingCount = 0;
    this.usedSinceDecision = 0;
    this.signalledValid = false;
    this.publishedSinceDecision = false;
    this.kicksEnabled = true;
  }

  private fail(reason: VirtqueueBrokenReason, detail: string): "broken" {
    this.reason = reason;
    this.detail = detail;
    return "broken";
  }
}
