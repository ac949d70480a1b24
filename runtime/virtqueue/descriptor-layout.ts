/**
 * The one description of each ring layout's descriptor and event structs, as byte offsets inside the struct,
 * used by the driver and device of both layouts (main tables through typed arrays, indirect tables through a
 * DataView because they need no alignment). Equal to `<linux/virtio_ring.h>` (checked by gcc in
 * test/runtime/virtqueue-oracle.test.ts and virtqueue-packed-oracle.test.ts):
 *
 * ```text
 * struct vring_desc              { le64 addr; le32 len; le16 flags; le16 next; }   16 bytes
 * struct vring_packed_desc       { le64 addr; le32 len; le16 id;    le16 flags; }  16 bytes
 * struct vring_packed_desc_event { le16 off_wrap; le16 flags; }                      4 bytes
 * ```
 *
 * The area layouts around them (split avail/used rings, packed event areas) are in layout.ts and
 * packed-layout.ts.
 *
 * @module
 */

/** Byte layout of one descriptor (both layouts are 16 bytes with addr and len first). */
export interface DescriptorLayout {
  /** sizeof the struct. */
  readonly size: number;
  /** le64 addr. */
  readonly addr: number;
  /** le32 len. */
  readonly len: number;
  /** le16 flags. */
  readonly flags: number;
  /** Split: le16 next; packed: le16 id. */
  readonly link: number;
}

/** `struct vring_desc` (split ring, and indirect tables of the split ring). */
export const SPLIT_DESC: DescriptorLayout = Object.freeze({ size: 16, addr: 0, len: 8, flags: 12, link: 14 });

/** `struct vring_packed_desc` (packed ring, and indirect tables of the packed ring); `link` is `id`. */
export const PACKED_DESC: DescriptorLayout = Object.freeze({ size: 16, addr: 0, len: 8, flags: 14, link: 12 });

/** `struct vring_packed_desc_event` (driver and device event suppression areas of the packed ring). */
export const PACKED_DESC_EVENT = Object.freeze({ size: 4, offWrap: 0, flags: 2 });

// Typed-array indices derived from the descriptions above, for the hot paths (one place, no literals there).
/** u32 index of addr's low half inside a split descriptor. */
export const SPLIT_DESC_U32_ADDR = SPLIT_DESC.addr / 4;
/** u32 index of len inside a split descriptor. */
export const SPLIT_DESC_U32_LEN = SPLIT_DESC.len / 4;
/** u16 index of flags inside a split descriptor. */
export const SPLIT_DESC_U16_FLAGS = SPLIT_DESC.flags / 2;
/** u16 index of next inside a split descriptor. */
export const SPLIT_DESC_U16_NEXT = SPLIT_DESC.link / 2;
/** u32 index of addr's low half inside a packed descriptor. */
export const PACKED_DESC_U32_ADDR = PACKED_DESC.addr / 4;
/** u32 index of len inside a packed descriptor. */
export const PACKED_DESC_U32_LEN = PACKED_DESC.len / 4;
/** u16 index of id inside a packed descriptor. */
export const PACKED_DESC_U16_ID = PACKED_DESC.link / 2;
/** u16 index of flags inside a packed descriptor. */
export const PACKED_DESC_U16_FLAGS = PACKED_DESC.flags / 2;
/** u16 index of off_wrap inside an event suppression struct. */
export const PACKED_EVENT_U16_OFF_WRAP = PACKED_DESC_EVENT.offWrap / 2;
/** u16 index of flags inside an event suppression struct. */
export const PACKED_EVENT_U16_FLAGS = PACKED_DESC_EVENT.flags / 2;

const TWO_POW_32 = 4294967296;

/** One descriptor as read from an indirect table (fields already reduced to their widths). */
export interface DescriptorFields {
  low: number;
  high: number;
  len: number;
  flags: number;
  link: number;
}

/**
 * Reads entry `index` of an indirect table at byte offset `base` of `view`, each field exactly once, into
 * `out` (reused by the caller to avoid an allocation per descriptor).
 */
export function readTableDescriptor(layout: DescriptorLayout, view: DataView, base: number, index: number, out: DescriptorFields): void {
  const o = base + layout.size * index;
  out.low = view.getUint32(o + layout.addr, true);
  out.high = view.getUint32(o + layout.addr + 4, true);
  out.len = view.getUint32(o + layout.len, true);
  out.flags = view.getUint16(o + layout.flags, true);
  out.link = view.getUint16(o + layout.link, true);
}

/** Writes entry `index` of an indirect table at byte offset `base` of `view`. */
export function writeTableDescriptor(
  layout: DescriptorLayout,
  view: DataView,
  base: number,
  index: number,
  address: number,
  length: number,
  flags: number,
  link: number,
): void {
  const o = base + layout.size * index;
  const low = address >>> 0;
  view.setUint32(o + layout.addr, low, true);
  view.setUint32(o + layout.addr + 4, (address - low) / TWO_POW_32, true);
  view.setUint32(o + layout.len, length, true);
  view.setUint16(o + layout.flags, flags, true);
  view.setUint16(o + layout.link, link, true);
}
