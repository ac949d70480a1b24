/**
 * VIRTIO_RING_F_EVENT_IDX arithmetic.
 *
 * @module
 */

/**
 * Linux's `vring_need_event(event_idx, new_idx, old)`: having just moved an index from `oldIdx` to `newIdx`,
 * must the other side be notified given it asked to hear about `eventIdx`? True when `eventIdx` lies in
 * `[oldIdx, newIdx)` modulo 2^16, i.e. `(u16)(new - event - 1) < (u16)(new - old)`; wrap-safe because both
 * sides of the comparison are reduced to u16 before comparing.
 *
 * @param eventIdx - the other side's used_event / avail_event value
 * @param newIdx - the index after the update (u16)
 * @param oldIdx - the index at the previous notification decision (u16)
 */
export function vringNeedEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}
