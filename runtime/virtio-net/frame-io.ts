/**
 * How a modelled guest's network stack hands frames to a driver and receives them from it.
 *
 * @module
 */

/**
 * Receives one frame: `bytes[offset, offset + length)` (without the virtio_net_hdr). The bytes are a view of
 * the receive buffer, valid only during the call (the buffer goes back to the ring afterwards).
 */
export type FrameSink = (bytes: Uint8Array, offset: number, length: number) => void;

/** Produces frames to send. */
export interface FrameSource {
  /**
   * Writes the next frame at `dst[0]` and returns its length, or 0 when there is nothing to send now.
   * `dst` is a view of the transmit buffer (at least 1514 bytes); the frame must fit it.
   */
  produce(dst: Uint8Array): number;
}
