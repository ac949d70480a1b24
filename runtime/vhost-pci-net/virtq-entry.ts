/**
 * The elements of `vq[]` in `struct vhost_pci_ctrl_peer_virtq_info`.
 *
 * The proposal types them `struct virtq`, the whole legacy ring (descriptor table, available and used rings
 * sized by the queue size), which a control message cannot carry. The generator therefore passes `vq[]`
 * through as raw bytes, and this module gives it the layout chosen in spec/vhost-pci-net-decisions.md: what
 * a vhost backend needs to take over a running queue (vhost-user SET_VRING_NUM, SET_VRING_BASE,
 * SET_VRING_ADDR), plus the queue's interrupt vector in the peer (its GSI, for used-buffer interrupts):
 *
 * ```text
 * struct vhost_pci_virtq {          // 40 bytes, little-endian, no padding
 *     le16 queue_index;             // the queue's index in the peer device
 *     le16 size;                    // queue size the peer's driver chose
 *     le16 last_avail_idx;          // where the mirroring side resumes consuming
 *     le16 flags;                   // bit 0: VIRTIO_F_RING_EVENT_IDX, bit 1: VIRTIO_F_RING_INDIRECT_DESC
 *     le32 vector;                  // GSI of the queue in the peer (0xffffffff: none)
 *     le32 reserved;                // 0
 *     le64 desc;                    // guest-physical addresses in the peer's memory
 *     le64 avail;
 *     le64 used;
 * };
 * ```
 *
 * @module
 */
import { CodecError, readLe16, readLe32, readLe64, writeLe16, writeLe32, writeLe64 } from "../codec/index.js";

/** Bytes of one element. */
export const PEER_VIRTQ_ENTRY_SIZE = 40;
/** `flags` bit: the peer negotiated VIRTIO_F_RING_EVENT_IDX for this ring. */
export const PEER_VIRTQ_F_EVENT_IDX = 1;
/** `flags` bit: the peer negotiated VIRTIO_F_RING_INDIRECT_DESC for this ring. */
export const PEER_VIRTQ_F_INDIRECT_DESC = 2;
/** `vector` value meaning "no interrupt". */
export const PEER_VIRTQ_NO_VECTOR = 0xffffffff;

/** One decoded element (addresses as bigints: they come from the peer and are validated by the user). */
export interface PeerVirtqEntry {
  /** The queue's index in the peer device. */
  readonly queueIndex: number;
  /** Queue size. */
  readonly size: number;
  /** Next available index to consume. */
  readonly lastAvailIdx: number;
  /** PEER_VIRTQ_F_* bits. */
  readonly flags: number;
  /** GSI of the queue in the peer, or {@link PEER_VIRTQ_NO_VECTOR}. */
  readonly vector: number;
  /** Descriptor table address in the peer's memory. */
  readonly desc: bigint;
  /** Available ring address. */
  readonly avail: bigint;
  /** Used ring address. */
  readonly used: bigint;
}

const STRUCT = "vhost_pci_virtq";

/**
 * Encodes `entries` back to back.
 * @throws CodecError `out-of-range` for a value that does not fit its field
 */
export function encodePeerVirtqEntries(entries: readonly PeerVirtqEntry[]): Uint8Array {
  const bytes = new Uint8Array(entries.length * PEER_VIRTQ_ENTRY_SIZE);
  entries.forEach((e, i) => {
    const o = i * PEER_VIRTQ_ENTRY_SIZE;
    for (const [field, value] of [["queue_index", e.queueIndex], ["size", e.size], ["last_avail_idx", e.lastAvailIdx], ["flags", e.flags]] as const) {
      if ((value & 0xffff) !== value) throw new CodecError("out-of-range", { struct: STRUCT, field, offset: o }, `${field} ${value} is not a u16`);
    }
    if (e.vector >>> 0 !== e.vector) throw new CodecError("out-of-range", { struct: STRUCT, field: "vector", offset: o + 8 }, `vector ${e.vector} is not a u32`);
    for (const [field, value] of [["desc", e.desc], ["avail", e.avail], ["used", e.used]] as const) {
      if (BigInt.asUintN(64, value) !== value) throw new CodecError("out-of-range", { struct: STRUCT, field, offset: o }, `${field} is not a u64`);
    }
    writeLe16(bytes, o, e.queueIndex);
    writeLe16(bytes, o + 2, e.size);
    writeLe16(bytes, o + 4, e.lastAvailIdx);
    writeLe16(bytes, o + 6, e.flags);
    writeLe32(bytes, o + 8, e.vector);
    writeLe32(bytes, o + 12, 0);
    writeLe64(bytes, o + 16, e.desc);
    writeLe64(bytes, o + 24, e.avail);
    writeLe64(bytes, o + 32, e.used);
  });
  return bytes;
}

/**
 * Decodes exactly `count` elements from `bytes` (the `vq[]` bytes of one message).
 * @throws CodecError `count-mismatch` when `bytes` does not hold exactly `count` elements
 */
export function decodePeerVirtqEntries(bytes: Uint8Array, count: number): PeerVirtqEntry[] {
  if (!Number.isSafeInteger(count) || count < 0 || bytes.length !== count * PEER_VIRTQ_ENTRY_SIZE) {
    throw new CodecError(
      "count-mismatch",
      { struct: STRUCT, offset: 0, needed: count * PEER_VIRTQ_ENTRY_SIZE, available: bytes.length },
      `virtq_num ${String(count)} needs ${count * PEER_VIRTQ_ENTRY_SIZE} bytes of vq[], got ${bytes.length}`,
    );
  }
  const entries: PeerVirtqEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * PEER_VIRTQ_ENTRY_SIZE;
    entries.push({
      queueIndex: readLe16(bytes, o),
      size: readLe16(bytes, o + 2),
      lastAvailIdx: readLe16(bytes, o + 4),
      flags: readLe16(bytes, o + 6),
      vector: readLe32(bytes, o + 8),
      desc: readLe64(bytes, o + 16),
      avail: readLe64(bytes, o + 24),
      used: readLe64(bytes, o + 32),
    });
  }
  return entries;
}
