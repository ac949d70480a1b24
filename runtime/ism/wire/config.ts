/**
 * `struct virtio_ism_config` (40 bytes: `le128 cdid; le64 devid; le64 chunk_size; le64 notify_size`), on top
 * of the generated codec.
 *
 * @module
 */
import { readLe128, writeLe128 } from "../../codec/index.js";
import { decodeVirtioIsmConfig, encodeVirtioIsmConfig } from "../../../generated/ism/structs.js";
import { ISM_CONFIG_SIZE } from "../constants.js";
import { CDID_SIZE } from "../uuid.js";
import { toSafeNumber } from "./le64.js";

/** The values of an ISM device's configuration space. */
export interface IsmConfig {
  /** Communication domain id: the 16 bytes as they appear in the `le128` field. */
  readonly cdid: Uint8Array;
  /** Device id, unique and non-zero in the domain. */
  readonly devid: bigint;
  /** Chunk size in bytes, a power of two. */
  readonly chunkSize: number;
  /** Size of one notify address in bytes. */
  readonly notifySize: number;
}

/** @returns the 40 config-space bytes of `config` */
export function encodeConfig(config: IsmConfig): Uint8Array {
  if (config.cdid.length !== CDID_SIZE) throw new TypeError(`cdid must have ${CDID_SIZE} bytes`);
  const out = new Uint8Array(ISM_CONFIG_SIZE);
  encodeVirtioIsmConfig(
    { cdid: readLe128(config.cdid, 0), devid: config.devid, chunk_size: BigInt(config.chunkSize), notify_size: BigInt(config.notifySize) },
    out,
  );
  return out;
}

/** @returns the decoded config, or `undefined` when `bytes` is not 40 bytes or a size is not a safe integer */
export function decodeConfig(bytes: Uint8Array): IsmConfig | undefined {
  if (bytes.length !== ISM_CONFIG_SIZE) return undefined;
  const c = decodeVirtioIsmConfig(bytes);
  const chunkSize = toSafeNumber(c.chunk_size);
  const notifySize = toSafeNumber(c.notify_size);
  if (chunkSize === undefined || notifySize === undefined) return undefined;
  const cdid = new Uint8Array(CDID_SIZE);
  writeLe128(cdid, 0, c.cdid);
  return { cdid, devid: c.devid, chunkSize, notifySize };
}
