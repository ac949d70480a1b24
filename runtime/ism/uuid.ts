/**
 * The communication domain id (`cdid`, a `le128` config field) as a version 4 UUID (RFC 4122).
 *
 * Encoding decided here (spec/ism-decisions.md, "cdid byte order"): the UUID's 16 bytes in RFC 4122 order are
 * read as one big-endian 128-bit integer (RFC 4122 §4.1.2 lays the fields out most significant first), and
 * that integer is stored as `le128`, i.e. the config bytes are the RFC bytes reversed. A driver reading the
 * field as a little-endian integer and printing it in hex therefore gets the UUID's hex digits in order.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { RandomSource } from "./random.js";

/** Bytes of a cdid. */
export const CDID_SIZE = 16;

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @returns a fresh version 4 UUID: `crypto.randomUUID()`, or built from `source` when one is given */
export function newUuidV4(source?: RandomSource): string {
  if (source === undefined) return randomUUID();
  const b = new Uint8Array(CDID_SIZE);
  source(b);
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4 (RFC 4122 §4.4)
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10xx
  return formatUuid(b);
}

/** @returns whether `uuid` is the canonical lower-case text of an RFC 4122 version 4 UUID */
export function isUuidV4(uuid: string): boolean {
  return UUID_TEXT.test(uuid) && uuid[14] === "4" && "89ab".includes(uuid[19]!);
}

/** @returns the 16 `le128` config bytes of `uuid` (the RFC 4122 bytes reversed) */
export function uuidToCdid(uuid: string): Uint8Array {
  if (!UUID_TEXT.test(uuid)) throw new TypeError(`not a UUID: ${uuid}`);
  const hex = uuid.replaceAll("-", "");
  const out = new Uint8Array(CDID_SIZE);
  for (let i = 0; i < CDID_SIZE; i++) out[CDID_SIZE - 1 - i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @returns the UUID text of 16 `le128` config bytes (inverse of {@link uuidToCdid}) */
export function cdidToUuid(cdid: Uint8Array): string {
  if (cdid.length !== CDID_SIZE) throw new TypeError(`a cdid has ${CDID_SIZE} bytes, got ${cdid.length}`);
  return formatUuid(Uint8Array.from(cdid).reverse());
}

function formatUuid(rfcBytes: Uint8Array): string {
  const hex = Array.from(rfcBytes, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
