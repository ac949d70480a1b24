/**
 * Split-virtqueue constants, with the values and names of Linux's `<linux/virtio_ring.h>` (virtio 1.x
 * §2.7 "Split Virtqueues").
 *
 * @module
 */

/** Descriptor flag: the chain continues at `next`. */
export const VRING_DESC_F_NEXT = 1;
/** Descriptor flag: the buffer is device-writable (otherwise device-readable). */
export const VRING_DESC_F_WRITE = 2;
/** Descriptor flag: the buffer is a table of descriptors (VIRTIO_RING_F_INDIRECT_DESC). */
export const VRING_DESC_F_INDIRECT = 4;

/** avail.flags bit: the driver asks not to be interrupted (ignored by the device under EVENT_IDX). */
export const VRING_AVAIL_F_NO_INTERRUPT = 1;
/** used.flags bit: the device asks not to be kicked (ignored by the driver under EVENT_IDX). */
export const VRING_USED_F_NO_NOTIFY = 1;

/** Feature bit number: indirect descriptor tables. */
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
/** Feature bit number: used_event / avail_event notification suppression. */
export const VIRTIO_RING_F_EVENT_IDX = 29;

/** Size in bytes of one descriptor (`struct vring_desc`). */
export const VRING_DESC_SIZE = 16;
/** Size in bytes of one used element (`struct vring_used_elem`). */
export const VRING_USED_ELEM_SIZE = 8;

/** Required alignment of the descriptor table (`VRING_DESC_ALIGN_SIZE`). */
export const VRING_DESC_ALIGN_SIZE = 16;
/** Required alignment of the available ring (`VRING_AVAIL_ALIGN_SIZE`). */
export const VRING_AVAIL_ALIGN_SIZE = 2;
/** Required alignment of the used ring (`VRING_USED_ALIGN_SIZE`). */
export const VRING_USED_ALIGN_SIZE = 4;

/** Largest queue size a split ring may have (virtio 1.x §2.7: "The maximum Queue Size value is 32768"). */
export const VIRTQUEUE_MAX_SIZE = 32768;

/**
 * Most entries an indirect table may have: `next` is a u16, so entries past 65536 are unreachable; a longer
 * `len` can only be a lie (rust-vmm and Linux vhost refuse it too).
 */
export const VRING_MAX_INDIRECT_ENTRIES = 65536;

/** Largest total byte length of one chain: the used `len` field and the spec's 2^32 limit are 32-bit. */
export const VRING_MAX_CHAIN_BYTES = 0xffffffff;

/** Packed ring: bit number of VIRTQ_DESC_F_AVAIL in a descriptor's flags (Linux defines it as a shift). */
export const VRING_PACKED_DESC_F_AVAIL = 7;
/** Packed ring: bit number of VIRTQ_DESC_F_USED in a descriptor's flags (a shift, as in Linux). */
export const VRING_PACKED_DESC_F_USED = 15;
/** Packed event suppression flags: notify on every event. */
export const VRING_PACKED_EVENT_FLAG_ENABLE = 0x0;
/** Packed event suppression flags: do not notify. */
export const VRING_PACKED_EVENT_FLAG_DISABLE = 0x1;
/** Packed event suppression flags: notify when the ring passes off_wrap (only under EVENT_IDX). */
export const VRING_PACKED_EVENT_FLAG_DESC = 0x2;
/** Bit of off_wrap holding the wrap counter. */
export const VRING_PACKED_EVENT_F_WRAP_CTR = 15;

/** Feature bit number: the packed ring layout (virtio 1.x §2.8). */
export const VIRTIO_F_RING_PACKED = 34;
/** Feature bit number: the device uses buffers in the order they were made available. */
export const VIRTIO_F_IN_ORDER = 35;
/** Feature bit number: available-buffer notifications carry the next avail offset and wrap. */
export const VIRTIO_F_NOTIFICATION_DATA = 38;
/** Feature bit number: one queue can be reset and re-enabled while the others run. */
export const VIRTIO_F_RING_RESET = 40;
