/**
 * Control requests (`struct virtio_ism_ctrl`: `u8 class; u8 command; command_specific_data`) as a driver
 * builds them, on top of the generated codecs (`generated/ism/control.ts`).
 *
 * {@link IsmRequest} is a convenience form for drivers and tests (camelCase, discriminated by `kind`); it maps
 * one-to-one onto the generated `IsmDecodedRequest` ({@link toGenerated}, {@link fromGenerated}). The device
 * model itself decodes with the generated `decodeIsmRequest` (see core.ts).
 *
 * Framing rule decided here (spec/ism-decisions.md, "request length"): the device-readable part must be
 * exactly `2 + sizeof(command_specific_data)` for the negotiated features (the `buffer` pointer exists only
 * without `VIRTIO_ISM_F_DEV_MEM`). The generated decoder ignores trailing bytes; {@link checkedDecode} adds the
 * exact-length check, so a driver built for the other feature set fails loudly instead of being
 * half-understood.
 *
 * @module
 */
import { CodecError } from "../../codec/index.js";
import { decodeIsmRequest, encodeIsmRequest, ismCommands, ismRequestLength } from "../../../generated/ism/control.js";
import type { IsmCommandName, IsmDecodedRequest } from "../../../generated/ism/control.js";
import { ismFeatures } from "../constants.js";

/** `VIRTIO_ISM_CTRL_ALLOC_REGION` (`struct virtio_ism_ctrl_alloc`). */
export interface IsmAllocRequest {
  /** Discriminator. */
  readonly kind: "alloc";
  /** Requested region size in bytes. */
  readonly size: bigint;
  /** Guest address of the driver's buffer; `undefined` when `VIRTIO_ISM_F_DEV_MEM` is negotiated. */
  readonly buffer: bigint | undefined;
}

/** `VIRTIO_ISM_CTRL_QUERY_INFO` (`struct virtio_ism_ctrl_query`). */
export interface IsmQueryRequest {
  /** Discriminator. */
  readonly kind: "query";
  /** Region token. */
  readonly token: bigint;
}

/** `VIRTIO_ISM_CTRL_ATTACH_REGION` (`struct virtio_ism_ctrl_attach`). */
export interface IsmAttachRequest {
  /** Discriminator. */
  readonly kind: "attach";
  /** Region token. */
  readonly token: bigint;
  /** Access asked for: `VIRTIO_ISM_PERM_READ` and/or `VIRTIO_ISM_PERM_WRITE`. */
  readonly rwPerm: bigint;
  /** Guest address of the driver's buffer; `undefined` when `VIRTIO_ISM_F_DEV_MEM` is negotiated. */
  readonly buffer: bigint | undefined;
}

/** `VIRTIO_ISM_CTRL_DETACH_REGION` (`struct virtio_ism_ctrl_detach`). */
export interface IsmDetachRequest {
  /** Discriminator. */
  readonly kind: "detach";
  /** Region token. */
  readonly token: bigint;
}

/** `VIRTIO_ISM_CTRL_GRANT_SET_DEFAULT` (`struct virtio_ism_ctrl_grant_default`). */
export interface IsmGrantDefaultRequest {
  /** Discriminator. */
  readonly kind: "grant-default";
  /** Region token. */
  readonly token: bigint;
  /** New default permissions. */
  readonly permissions: bigint;
}

/** `VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE` (`struct virtio_ism_ctrl_grant_dev`). */
export interface IsmGrantDeviceRequest {
  /** Discriminator. */
  readonly kind: "grant-device";
  /** Region token. */
  readonly token: bigint;
  /** New dedicated permissions (may carry `VIRTIO_ISM_PERM_CLEAN_DEFAULT`). */
  readonly permissions: bigint;
  /** The device the permissions are for. */
  readonly peerDevid: bigint;
}

/** `VIRTIO_ISM_CTRL_EVENT_VECTOR_SET` (`struct virtio_ism_ctrl_irq_vector`). */
export interface IsmEventVectorRequest {
  /** Discriminator. */
  readonly kind: "event-vector";
  /** Region token. */
  readonly token: bigint;
  /** Interrupt vector for the region's UPDATE events (`VIRTIO_MSI_NO_VECTOR` unbinds). */
  readonly vector: bigint;
}

/** Any control request, in the convenience form. */
export type IsmRequest =
  | IsmAllocRequest
  | IsmQueryRequest
  | IsmAttachRequest
  | IsmDetachRequest
  | IsmGrantDefaultRequest
  | IsmGrantDeviceRequest
  | IsmEventVectorRequest;

/** Why a request could not be decoded (all answered `VIRTIO_ISM_ERR`). */
export type IsmRequestProblem = "no-header" | "unknown-command" | "truncated" | "wrong-length" | "invalid";

/** Outcome of {@link checkedDecode}: the generated decoded request, or why there is none. */
export type IsmCheckedDecode =
  | { readonly ok: true; readonly decoded: IsmDecodedRequest }
  | { readonly ok: false; readonly problem: IsmRequestProblem; readonly detail: string };

/** Outcome of {@link decodeRequest}. */
export type IsmDecodeResult =
  | { readonly ok: true; readonly request: IsmRequest }
  | { readonly ok: false; readonly problem: IsmRequestProblem; readonly detail: string };

/** A zero-valued request of each command (every field the features may put on the wire), to measure lengths. */
const PROBES: { [K in IsmCommandName]: IsmDecodedRequest & { command: K } } = {
  ALLOC_REGION: { command: "ALLOC_REGION", request: { size: 0n, buffer: 0n } },
  QUERY_INFO: { command: "QUERY_INFO", request: { token: 0n } },
  ATTACH_REGION: { command: "ATTACH_REGION", request: { token: 0n, rw_perm: 0n, buffer: 0n } },
  DETACH_REGION: { command: "DETACH_REGION", request: { token: 0n } },
  GRANT_SET_DEFAULT: { command: "GRANT_SET_DEFAULT", request: { token: 0n, permissions: 0n } },
  GRANT_SET_FOR_DEVICE: { command: "GRANT_SET_FOR_DEVICE", request: { token: 0n, permissions: 0n, peer_devid: 0n } },
  EVENT_VECTOR_SET: { command: "EVENT_VECTOR_SET", request: { token: 0n, vector: 0n } },
};

/** Per feature word: `class << 8 | command` → the command and its exact request length (from the generated table). */
const shapes = new Map<bigint, Map<number, { command: IsmCommandName; length: number }>>();

function shapesFor(features: bigint): Map<number, { command: IsmCommandName; length: number }> {
  let table = shapes.get(features);
  if (table === undefined) {
    table = new Map();
    for (const command of Object.keys(ismCommands) as IsmCommandName[]) {
      const { classCode, code } = ismCommands[command];
      const probe = PROBES[command];
      // The buffer field is only on the wire without DEV_MEM; the encoder refuses it otherwise.
      const request = (features & 1n) !== 0n && "buffer" in probe.request ? { ...probe.request, buffer: undefined } : probe.request;
      table.set((classCode << 8) | code, { command, length: ismRequestLength(command, request as never, { features }) });
    }
    shapes.set(features, table);
  }
  return table;
}

/**
 * Decodes the device-readable part of a controlq chain with the generated decoder and checks its exact
 * length. Never throws. The header and length are checked against the generated command table first, so
 * the common malformed cases are refused without the cost of a thrown CodecError.
 *
 * @param features - the negotiated feature word (decides whether `buffer` is present)
 */
export function checkedDecode(bytes: Uint8Array, features: bigint): IsmCheckedDecode {
  if (bytes.length < 2) return { ok: false, problem: "no-header", detail: `${bytes.length} readable bytes; class and command need 2` };
  const shape = shapesFor(features).get((bytes[0]! << 8) | bytes[1]!);
  if (shape === undefined) return { ok: false, problem: "unknown-command", detail: `class ${bytes[0]!} command ${bytes[1]!}` };
  if (bytes.length !== shape.length) {
    return {
      ok: false,
      problem: bytes.length < shape.length ? "truncated" : "wrong-length",
      detail: `${shape.command} needs ${shape.length} readable bytes, got ${bytes.length}`,
    };
  }
  try {
    return { ok: true, decoded: decodeIsmRequest(bytes, 0, { features }) };
  } catch (cause) {
    if (!(cause instanceof CodecError)) throw cause;
    return { ok: false, problem: "invalid", detail: cause.message };
  }
}

/** @returns the convenience form of a generated decoded request */
export function fromGenerated(d: IsmDecodedRequest): IsmRequest {
  switch (d.command) {
    case "ALLOC_REGION":
      return { kind: "alloc", size: d.request.size, buffer: d.request.buffer };
    case "QUERY_INFO":
      return { kind: "query", token: d.request.token };
    case "ATTACH_REGION":
      return { kind: "attach", token: d.request.token, rwPerm: d.request.rw_perm, buffer: d.request.buffer };
    case "DETACH_REGION":
      return { kind: "detach", token: d.request.token };
    case "GRANT_SET_DEFAULT":
      return { kind: "grant-default", token: d.request.token, permissions: d.request.permissions };
    case "GRANT_SET_FOR_DEVICE":
      return { kind: "grant-device", token: d.request.token, permissions: d.request.permissions, peerDevid: d.request.peer_devid };
    case "EVENT_VECTOR_SET":
      return { kind: "event-vector", token: d.request.token, vector: d.request.vector };
  }
}

/**
 * @returns the generated form of a convenience request; `buffer` is dropped under DEV_MEM and defaults to 0
 *   without it (so that the encoder always has the fields the features put on the wire)
 */
export function toGenerated(r: IsmRequest, devMem: boolean): IsmDecodedRequest {
  const buffer = devMem ? {} : { buffer: r.kind === "alloc" || r.kind === "attach" ? (r.buffer ?? 0n) : 0n };
  switch (r.kind) {
    case "alloc":
      return { command: "ALLOC_REGION", request: { size: r.size, ...buffer } };
    case "query":
      return { command: "QUERY_INFO", request: { token: r.token } };
    case "attach":
      return { command: "ATTACH_REGION", request: { token: r.token, rw_perm: r.rwPerm, ...buffer } };
    case "detach":
      return { command: "DETACH_REGION", request: { token: r.token } };
    case "grant-default":
      return { command: "GRANT_SET_DEFAULT", request: { token: r.token, permissions: r.permissions } };
    case "grant-device":
      return { command: "GRANT_SET_FOR_DEVICE", request: { token: r.token, permissions: r.permissions, peer_devid: r.peerDevid } };
    case "event-vector":
      return { command: "EVENT_VECTOR_SET", request: { token: r.token, vector: r.vector } };
  }
}

/**
 * Decodes the device-readable part of a controlq chain into the convenience form. Never throws.
 *
 * @param devMem - whether `VIRTIO_ISM_F_DEV_MEM` was negotiated
 */
export function decodeRequest(bytes: Uint8Array, devMem: boolean): IsmDecodeResult {
  const r = checkedDecode(bytes, ismFeatures(devMem));
  return r.ok ? { ok: true, request: fromGenerated(r.decoded) } : r;
}

/**
 * Encodes a request as a driver puts it in the readable part of a controlq chain (generated encoder).
 *
 * @param devMem - whether `VIRTIO_ISM_F_DEV_MEM` was negotiated: without it, `buffer` is written (0 if absent)
 * @throws CodecError when a field does not fit its wire type
 */
export function encodeRequest(request: IsmRequest, devMem: boolean): Uint8Array {
  const g = toGenerated(request, devMem);
  return encodeIsmRequest(g.command, g.request as never, { features: ismFeatures(devMem) });
}

/** @returns the exact readable length of a request of `kind` under the given features */
export function requestLength(kind: IsmRequest["kind"], devMem: boolean): number {
  const probe: Record<IsmRequest["kind"], IsmRequest> = {
    alloc: { kind: "alloc", size: 0n, buffer: 0n },
    query: { kind: "query", token: 0n },
    attach: { kind: "attach", token: 0n, rwPerm: 0n, buffer: 0n },
    detach: { kind: "detach", token: 0n },
    "grant-default": { kind: "grant-default", token: 0n, permissions: 0n },
    "grant-device": { kind: "grant-device", token: 0n, permissions: 0n, peerDevid: 0n },
    "event-vector": { kind: "event-vector", token: 0n, vector: 0n },
  };
  const g = toGenerated(probe[kind], devMem);
  return ismRequestLength(g.command, g.request as never, { features: ismFeatures(devMem) });
}
