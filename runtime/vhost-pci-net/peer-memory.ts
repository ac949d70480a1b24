/**
 * How the vhost-pci-net driver reaches the peer's memory (VHOST_PCI_CTRL_PEER_MEM_INFO).
 *
 * The peer's RAM is a SharedArrayBuffer the management environment hands to the device, which exposes it as
 * a BAR. The driver's address space is modelled by {@link DriverAddressSpace}: a set of mappings from
 * driver "virtual addresses" to buffers. With `need_map` N the device has already mapped the BAR and
 * `peer_mem` is that address; with `need_map` Y `peer_mem` is the BAR id, the driver maps it at an address of
 * its choosing and answers with that address.
 *
 * `other_mem_info` carries, per the decisions document, `le64 gpa_start; le64 size`: the peer guest-physical
 * address of the mapping's first byte and the number of bytes. Ring and descriptor addresses the peer
 * writes are its guest-physical addresses, so the driver accesses the peer through a {@link GuestMemory}
 * whose only region is the mapping placed at `gpa_start`: every access is bounds-checked against the peer
 * memory and can never reach the driver's own memory.
 *
 * @module
 */
import { readLe64, writeLe64 } from "../codec/index.js";
import { GuestMemory } from "../memory/index.js";
import { VhostPciNetError } from "./errors.js";

/** Bytes of `other_mem_info` in this model. */
export const OTHER_MEM_INFO_SIZE = 16;

/** A mapping of (part of) a buffer at a driver address. */
export interface MemoryMapping {
  /** Driver address of the first byte. */
  readonly address: number;
  /** The memory mapped. */
  readonly buffer: SharedArrayBuffer;
  /** Bytes mapped (from offset 0 of the buffer). */
  readonly size: number;
}

/** A device BAR holding memory the driver can map. */
export interface DeviceBar {
  /** BAR index (what `peer_mem` holds with need_map Y). */
  readonly id: number;
  /** The memory. */
  readonly buffer: SharedArrayBuffer;
  /** Size in bytes. */
  readonly size: number;
}

/** The driver's mappings of device memory, keyed by their start address. */
export class DriverAddressSpace {
  readonly #mappings = new Map<number, MemoryMapping>();

  /**
   * Maps `size` bytes of `buffer` at `address`.
   * @throws VhostPciNetError `invalid-option` for an unaligned, unrepresentable or overlapping range
   */
  map(address: number, buffer: SharedArrayBuffer, size: number): MemoryMapping {
    if (!Number.isSafeInteger(address) || address < 0 || address % 8 !== 0) {
      throw new VhostPciNetError("invalid-option", `mapping address ${String(address)} is not an 8-aligned safe integer`);
    }
    if (!Number.isSafeInteger(size) || size <= 0 || size > buffer.byteLength || address + size > Number.MAX_SAFE_INTEGER) {
      throw new VhostPciNetError("invalid-option", `mapping size ${String(size)} is empty or outside its buffer`);
    }
    for (const m of this.#mappings.values()) {
      if (address < m.address + m.size && m.address < address + size) {
        throw new VhostPciNetError("invalid-option", `mapping at 0x${address.toString(16)} overlaps the one at 0x${m.address.toString(16)}`);
      }
    }
    const mapping = { address, buffer, size };
    this.#mappings.set(address, mapping);
    return mapping;
  }

  /** Removes the mapping starting at `address` (nothing when there is none). */
  unmap(address: number): void {
    this.#mappings.delete(address);
  }

  /** The mapping that starts exactly at `address`, if any. */
  mappingAt(address: number): MemoryMapping | undefined {
    return this.#mappings.get(address);
  }

  /** Number of mappings. */
  get size(): number {
    return this.#mappings.size;
  }
}

/** The decoded `other_mem_info`. */
export interface PeerMemoryRange {
  /** Peer guest-physical address of the mapping's first byte. */
  readonly gpaStart: number;
  /** Bytes of peer memory. */
  readonly size: number;
}

/** Encodes `other_mem_info`. @throws VhostPciNetError `invalid-option` for an unrepresentable range */
export function encodeOtherMemInfo(range: PeerMemoryRange): Uint8Array {
  if (!isRange(range.gpaStart, range.size)) throw new VhostPciNetError("invalid-option", `peer memory range ${range.gpaStart}+${range.size}`);
  const bytes = new Uint8Array(OTHER_MEM_INFO_SIZE);
  writeLe64(bytes, 0, BigInt(range.gpaStart));
  writeLe64(bytes, 8, BigInt(range.size));
  return bytes;
}

/** Decodes `other_mem_info`, or returns a description of what is wrong with it. */
export function decodeOtherMemInfo(bytes: Uint8Array): PeerMemoryRange | string {
  if (bytes.length !== OTHER_MEM_INFO_SIZE) return `other_mem_info has ${bytes.length} bytes, expected ${OTHER_MEM_INFO_SIZE}`;
  const gpa = readLe64(bytes, 0);
  const size = readLe64(bytes, 8);
  if (gpa > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) return "peer memory range exceeds 2^53 - 1";
  const range = { gpaStart: Number(gpa), size: Number(size) };
  if (!isRange(range.gpaStart, range.size)) return `peer memory range 0x${range.gpaStart.toString(16)}+${range.size} is empty, misaligned or unrepresentable`;
  return range;
}

/**
 * The peer memory as the driver accesses it: `mapping`'s bytes placed at the peer's guest-physical
 * `range.gpaStart`. Returns a description of the problem instead when the mapping cannot hold the range.
 */
export function peerGuestMemory(mapping: MemoryMapping, range: PeerMemoryRange): GuestMemory | string {
  if (range.size > mapping.size) return `peer memory of ${range.size} bytes does not fit the ${mapping.size}-byte mapping`;
  return new GuestMemory([{ guestAddress: range.gpaStart, buffer: mapping.buffer, byteLength: range.size }]);
}

/** A non-empty, 8-aligned range whose end is a safe integer (GuestMemory's region rules). */
function isRange(gpaStart: number, size: number): boolean {
  return (
    Number.isSafeInteger(gpaStart) && Number.isSafeInteger(size) && gpaStart >= 0 && size > 0 && gpaStart % 8 === 0 && gpaStart + size <= Number.MAX_SAFE_INTEGER
  );
}
