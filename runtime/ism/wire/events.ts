/**
 * Event structures on the eventq, on top of the generated event codecs (`generated/ism/events.ts`):
 * `virtio_ism_event_update` (24 bytes), `virtio_ism_event_attach_detach` (32) and
 * `virtio_ism_event_buffer_free` (16), each starting with `le64 ev_type`.
 *
 * Several events share one eventq buffer back to back with no padding; the driver reads `ev_type` to learn
 * the size of the structure that follows ("the driver can get the size of the structure based on this"), and
 * the used length tells where the last one ends. An event is never split across two buffers.
 *
 * @module
 */
import { CodecError } from "../../codec/index.js";
import { decodeIsmEvents, encodeIsmEvent } from "../../../generated/ism/events.js";
import type { IsmEvent as GeneratedIsmEvent, IsmEventInput } from "../../../generated/ism/events.js";
import {
  ISM_EVENT_ATTACH_DETACH_SIZE,
  ISM_EVENT_BUFFER_FREE_SIZE,
  ISM_EVENT_UPDATE_SIZE,
  VIRTIO_ISM_EVENT_ATTACH,
  VIRTIO_ISM_EVENT_BUFFER_FREE,
  VIRTIO_ISM_EVENT_DETACH,
  VIRTIO_ISM_EVENT_UPDATE,
} from "../constants.js";
import type { IsmEvent } from "../events.js";
import { toSafeNumber } from "./le64.js";

/** @returns the wire size of `event` */
export function eventSize(event: IsmEvent): number {
  switch (event.kind) {
    case "update":
      return ISM_EVENT_UPDATE_SIZE;
    case "attach":
    case "detach":
      return ISM_EVENT_ATTACH_DETACH_SIZE;
    case "buffer-free":
      return ISM_EVENT_BUFFER_FREE_SIZE;
  }
}

/** @returns the `ev_type` value of `event` */
export function eventType(event: IsmEvent): number {
  switch (event.kind) {
    case "update":
      return VIRTIO_ISM_EVENT_UPDATE;
    case "attach":
      return VIRTIO_ISM_EVENT_ATTACH;
    case "detach":
      return VIRTIO_ISM_EVENT_DETACH;
    case "buffer-free":
      return VIRTIO_ISM_EVENT_BUFFER_FREE;
  }
}

/** @returns the generated codec's input for `event` */
function toGenerated(event: IsmEvent): IsmEventInput {
  switch (event.kind) {
    case "update":
      return { type: "UPDATE", event: { offset: BigInt(event.offset), devid: event.devid } };
    case "attach":
    case "detach":
      return {
        type: event.kind === "attach" ? "ATTACH" : "DETACH",
        event: { offset: BigInt(event.offset), devid: event.devid, peers: BigInt(event.peers) },
      };
    case "buffer-free":
      return { type: "BUFFER_FREE", event: { buffer: event.buffer } };
  }
}

/** Writes `event` at `offset` of `out` (which must have {@link eventSize} bytes there) with the generated encoder. */
export function writeEvent(out: Uint8Array, offset: number, event: IsmEvent): void {
  encodeIsmEvent(toGenerated(event), out, offset);
}

/** @returns `events` encoded back to back */
export function encodeEvents(events: readonly IsmEvent[]): Uint8Array {
  const out = new Uint8Array(events.reduce((n, e) => n + eventSize(e), 0));
  let at = 0;
  for (const e of events) {
    writeEvent(out, at, e);
    at += eventSize(e);
  }
  return out;
}

/** Why {@link decodeEvents} refused a buffer. */
export type IsmEventDecodeProblem = "unknown-type" | "truncated" | "out-of-range";

/** @returns the convenience form of a generated event, or `undefined` when a value is not a safe integer */
function fromGenerated(g: GeneratedIsmEvent): IsmEvent | undefined {
  if (g.type === "BUFFER_FREE") return { kind: "buffer-free", buffer: g.event.buffer };
  const offset = toSafeNumber(g.event.offset);
  if (offset === undefined) return undefined;
  if (g.type === "UPDATE") return { kind: "update", offset, devid: g.event.devid };
  const peers = toSafeNumber(g.event.peers);
  return peers === undefined ? undefined : { kind: g.type === "ATTACH" ? "attach" : "detach", offset, devid: g.event.devid, peers };
}

/**
 * Decodes the events of one used eventq buffer (its first `bytes.length` bytes = the used length) with the
 * generated decoder. Never throws.
 *
 * @returns the events, or the problem and the byte offset where decoding stopped
 */
export function decodeEvents(
  bytes: Uint8Array,
): { readonly ok: true; readonly events: IsmEvent[] } | { readonly ok: false; readonly problem: IsmEventDecodeProblem; readonly at: number } {
  let decoded: GeneratedIsmEvent[];
  try {
    decoded = decodeIsmEvents(bytes);
  } catch (cause) {
    if (!(cause instanceof CodecError)) throw cause;
    return { ok: false, problem: cause.reason === "unknown-discriminator" ? "unknown-type" : "truncated", at: cause.offset };
  }
  const events: IsmEvent[] = [];
  let at = 0;
  for (const g of decoded) {
    const e = fromGenerated(g);
    if (e === undefined) return { ok: false, problem: "out-of-range", at };
    events.push(e);
    at += eventSize(e);
  }
  return { ok: true, events };
}
