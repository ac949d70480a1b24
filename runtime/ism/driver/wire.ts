/**
 * The driver's one door to the generated ISM code (`generated/ism/`): request encoder, reply decoder, event
 * decoder, config decoder, ack names, feature and permission bits. Everything else in the driver imports wire
 * details from here, so a regeneration that renames a symbol touches one file.
 *
 * @module
 */
export {
  IsmAck,
  IsmFeatureMask,
  IsmPermission,
  ismAckName,
  ismCommands,
  encodeIsmRequestInto,
  decodeIsmReply,
  decodeIsmEvents,
  decodeVirtioIsmConfig,
  VirtioIsmConfigSize,
} from "../../../generated/ism/index.js";
export type {
  IsmCommandName,
  IsmRequestInputs,
  IsmReply,
  IsmEvent as IsmWireEvent,
  VirtioIsmConfig,
} from "../../../generated/ism/index.js";
import { ismAckName } from "../../../generated/ism/index.js";

/** Bytes of the `ack` the device writes before every reply. */
export const ACK_BYTES = 1;
/** Bytes of the fixed part of the alloc and attach replies (`token`/`size`, `num`) before `chunks[]`. */
export const CHUNK_REPLY_FIXED_BYTES = 16;
/** Bytes of one `chunks[]` entry. */
export const CHUNK_ENTRY_BYTES = 8;
/** Bytes of the query reply. */
export const QUERY_REPLY_BYTES = 16;
/** `VIRTIO_MSI_NO_VECTOR`: unbinds a region's UPDATE events from any vector. */
export const NO_VECTOR = 0xffff;
/** Feature bit 32, `VIRTIO_F_VERSION_1`: accepted whenever the device offers it (a modern device). */
export const VIRTIO_F_VERSION_1_MASK = 1n << 32n;

/** @returns the spec name of an ack value, or `unknown ack N` for a value the spec does not define */
export function ackNameOf(ack: number): string {
  return ismAckName(ack) ?? `unknown ack ${ack}`;
}
