/**
 * Control replies (`command_specific_data_reply`) on top of the generated codecs: the alloc and attach
 * replies (`token`/`size`, `num`, `le64 chunks[num]`) and the query reply, plus the E2BIG retry hint.
 *
 * The E2BIG hint (spec/ism-decisions.md, "what E2BIG leaves behind") is the fixed 16-byte part alone, with
 * `num` set and no chunks. The generated codec cannot express it — its `num` is the count of `chunks[]` and
 * the two must agree — so the hint is written and read here with the codec library's `le64` helpers.
 *
 * @module
 */
import { readLe64, writeLe64 } from "../../codec/index.js";
import {
  decodeVirtioIsmCtrlAllocReply,
  decodeVirtioIsmCtrlAttachReply,
  decodeVirtioIsmCtrlQueryReply,
  encodeVirtioIsmCtrlAllocReply,
  encodeVirtioIsmCtrlAttachReply,
  encodeVirtioIsmCtrlQueryReply,
} from "../../../generated/ism/structs.js";
import { ISM_CHUNK_REPLY_HEADER_SIZE, ISM_QUERY_REPLY_SIZE, LE64_SIZE } from "../constants.js";
import { toSafeNumber } from "./le64.js";

/** Decoded `struct virtio_ism_ctrl_alloc_reply`. */
export interface IsmAllocReply {
  /** The new region's token (0 in an E2BIG hint). */
  readonly token: bigint;
  /** Number of chunks. */
  readonly num: number;
  /** Device-memory offset of each chunk, in region order (empty in an E2BIG hint). */
  readonly chunks: readonly number[];
}

/** Decoded `struct virtio_ism_ctrl_attach_reply`. */
export interface IsmAttachReply {
  /** Region size in bytes. */
  readonly size: number;
  /** Number of chunks. */
  readonly num: number;
  /** Device-memory offset of each chunk, in region order (empty in an E2BIG hint). */
  readonly chunks: readonly number[];
}

/** Decoded `struct virtio_ism_ctrl_query_reply`. */
export interface IsmQueryReply {
  /** Region size in bytes. */
  readonly size: number;
  /** This device's permissions on the region. */
  readonly permissions: number;
}

/** @returns the bytes of an alloc or attach reply carrying `chunkCount` chunks */
export function chunkReplyBytes(chunkCount: number): number {
  return ISM_CHUNK_REPLY_HEADER_SIZE + LE64_SIZE * chunkCount;
}

/**
 * Encodes an alloc reply (`first` = token) or attach reply (`first` = size) with the generated encoders; with
 * `num !== chunks.length` (an E2BIG hint, `chunks` empty) only the fixed part is written.
 */
export function encodeChunkReply(first: bigint | number, num: number, chunks: readonly number[], kind: "alloc" | "attach" = "alloc"): Uint8Array {
  const out = new Uint8Array(chunkReplyBytes(chunks.length));
  if (num !== chunks.length) {
    writeLe64(out, 0, BigInt(first));
    writeLe64(out, LE64_SIZE, BigInt(num));
    return out;
  }
  const wire = chunks.map((c) => BigInt(c));
  if (kind === "alloc") encodeVirtioIsmCtrlAllocReply({ token: BigInt(first), chunks: wire }, out);
  else encodeVirtioIsmCtrlAttachReply({ size: BigInt(first), chunks: wire }, out);
  return out;
}

/** Encodes a query reply (generated encoder). */
export function encodeQueryReply(size: number, permissions: number): Uint8Array {
  const out = new Uint8Array(ISM_QUERY_REPLY_SIZE);
  encodeVirtioIsmCtrlQueryReply({ size: BigInt(size), permissions: BigInt(permissions) }, out);
  return out;
}

/** Decodes a full reply with `decode`, or an E2BIG hint (fixed part only) by hand. */
function decodeChunkReply(
  bytes: Uint8Array,
  decode: (b: Uint8Array) => { num: bigint; chunks: bigint[] },
): { first: bigint; num: number; chunks: number[] } | undefined {
  if (bytes.length < ISM_CHUNK_REPLY_HEADER_SIZE) return undefined;
  const num = toSafeNumber(readLe64(bytes, LE64_SIZE));
  if (num === undefined) return undefined;
  if (bytes.length < chunkReplyBytes(num)) return { first: readLe64(bytes, 0), num, chunks: [] };
  const full = decode(bytes);
  const chunks = full.chunks.map(toSafeNumber);
  if (chunks.some((c) => c === undefined)) return undefined;
  return { first: readLe64(bytes, 0), num, chunks: chunks as number[] };
}

/** @returns the decoded alloc reply (or E2BIG hint), or `undefined` when `bytes` is too short or out of range */
export function decodeAllocReply(bytes: Uint8Array): IsmAllocReply | undefined {
  const r = decodeChunkReply(bytes, (b) => decodeVirtioIsmCtrlAllocReply(b));
  return r && { token: r.first, num: r.num, chunks: r.chunks };
}

/** @returns the decoded attach reply (or E2BIG hint), or `undefined` when `bytes` is too short or out of range */
export function decodeAttachReply(bytes: Uint8Array): IsmAttachReply | undefined {
  const r = decodeChunkReply(bytes, (b) => decodeVirtioIsmCtrlAttachReply(b));
  const size = r && toSafeNumber(r.first);
  return r && size !== undefined ? { size, num: r.num, chunks: r.chunks } : undefined;
}

/** @returns the decoded query reply, or `undefined` when `bytes` is too short or out of range */
export function decodeQueryReply(bytes: Uint8Array): IsmQueryReply | undefined {
  if (bytes.length < ISM_QUERY_REPLY_SIZE) return undefined;
  const r = decodeVirtioIsmCtrlQueryReply(bytes);
  const size = toSafeNumber(r.size);
  const permissions = toSafeNumber(r.permissions);
  return size === undefined || permissions === undefined ? undefined : { size, permissions };
}
