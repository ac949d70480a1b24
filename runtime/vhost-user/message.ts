/**
 * vhost-user message framing (QEMU docs/interop/vhost-user.rst): the 12-byte header
 * (request u32, flags u32, size u32, little-endian) and the payloads a net and a block back end need,
 * each checked for its exact size and file-descriptor count before anything reads it.
 *
 * @module
 */

import { VhostUserError } from "./errors.js";

/** Front-end request codes (vhost-user.rst "Front-end message types"). */
export const VhostUserRequest = {
  GET_FEATURES: 1,
  SET_FEATURES: 2,
  SET_OWNER: 3,
  RESET_OWNER: 4,
  SET_MEM_TABLE: 5,
  SET_LOG_BASE: 6,
  SET_LOG_FD: 7,
  SET_VRING_NUM: 8,
  SET_VRING_ADDR: 9,
  SET_VRING_BASE: 10,
  GET_VRING_BASE: 11,
  SET_VRING_KICK: 12,
  SET_VRING_CALL: 13,
  SET_VRING_ERR: 14,
  GET_PROTOCOL_FEATURES: 15,
  SET_PROTOCOL_FEATURES: 16,
  GET_QUEUE_NUM: 17,
  SET_VRING_ENABLE: 18,
  SEND_RARP: 19,
  NET_SET_MTU: 20,
  GET_CONFIG: 24,
  SET_CONFIG: 25,
  RESET_DEVICE: 34,
  GET_MAX_MEM_SLOTS: 36,
} as const;
export type VhostUserRequestCode = (typeof VhostUserRequest)[keyof typeof VhostUserRequest];

export const HEADER_SIZE = 12;
/** Version 1 in the two low flag bits. */
export const FLAG_VERSION = 0x1;
export const FLAG_REPLY = 0x4;
export const FLAG_NEED_REPLY = 0x8;
/** The largest payload accepted: a memory table of 8 regions (8 + 8 * 32) or a config of 256 bytes (12 + 256). */
export const MAX_PAYLOAD = 12 + 256;
export const MAX_REGIONS = 8;
export const MAX_CONFIG_SIZE = 256;
/** VHOST_USER_VRING_NOFD_MASK: bit 8 of a kick/call/err u64 says "no fd follows". */
export const VRING_NOFD_MASK = 0x100;

export interface MemoryRegionDesc {
  guestPhysAddr: bigint;
  size: bigint;
  userAddr: bigint;
  mmapOffset: bigint;
}

/** A decoded front-end message; `fds` are the descriptors received with it (now owned by the caller). */
export type VhostUserMessage =
  | { request: number; needReply: boolean; kind: "none"; fds: number[] }
  | { request: number; needReply: boolean; kind: "u64"; value: bigint; fds: number[] }
  | { request: number; needReply: boolean; kind: "vring-state"; index: number; num: number; fds: number[] }
  | {
      request: number;
      needReply: boolean;
      kind: "vring-addr";
      index: number;
      flags: number;
      descUser: bigint;
      usedUser: bigint;
      availUser: bigint;
      log: bigint;
      fds: number[];
    }
  | { request: number; needReply: boolean; kind: "mem-table"; regions: MemoryRegionDesc[]; fds: number[] }
  | {
      request: number;
      needReply: boolean;
      kind: "config";
      offset: number;
      size: number;
      flags: number;
      payload: Uint8Array;
      fds: number[];
    };

type Shape = "none" | "u64" | "vring-state" | "vring-addr" | "mem-table" | "config" | "vring-fd";

const SHAPES: ReadonlyMap<number, Shape> = new Map<number, Shape>([
  [VhostUserRequest.GET_FEATURES, "none"],
  [VhostUserRequest.SET_FEATURES, "u64"],
  [VhostUserRequest.SET_OWNER, "none"],
  [VhostUserRequest.RESET_OWNER, "none"],
  [VhostUserRequest.SET_MEM_TABLE, "mem-table"],
  [VhostUserRequest.SET_VRING_NUM, "vring-state"],
  [VhostUserRequest.SET_VRING_ADDR, "vring-addr"],
  [VhostUserRequest.SET_VRING_BASE, "vring-state"],
  [VhostUserRequest.GET_VRING_BASE, "vring-state"],
  [VhostUserRequest.SET_VRING_KICK, "vring-fd"],
  [VhostUserRequest.SET_VRING_CALL, "vring-fd"],
  [VhostUserRequest.SET_VRING_ERR, "vring-fd"],
  [VhostUserRequest.GET_PROTOCOL_FEATURES, "none"],
  [VhostUserRequest.SET_PROTOCOL_FEATURES, "u64"],
  [VhostUserRequest.GET_QUEUE_NUM, "none"],
  [VhostUserRequest.SET_VRING_ENABLE, "vring-state"],
  [VhostUserRequest.SEND_RARP, "u64"],
  [VhostUserRequest.NET_SET_MTU, "u64"],
  [VhostUserRequest.GET_CONFIG, "config"],
  [VhostUserRequest.SET_CONFIG, "config"],
  [VhostUserRequest.RESET_DEVICE, "none"],
  [VhostUserRequest.GET_MAX_MEM_SLOTS, "none"],
]);

/** The header of a message, checked (version, known request, size bound) but with the payload not yet read. */
export interface VhostUserHeader {
  request: number;
  flags: number;
  size: number;
}

export function decodeHeader(bytes: Uint8Array): VhostUserHeader {
  if (bytes.byteLength < HEADER_SIZE) {
    throw new VhostUserError("short-header", `${bytes.byteLength} bytes, a header is ${HEADER_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const request = view.getUint32(0, true);
  const flags = view.getUint32(4, true);
  const size = view.getUint32(8, true);
  if ((flags & 0x3) !== FLAG_VERSION) {
    throw new VhostUserError("bad-version", `flags 0x${flags.toString(16)} carry version ${flags & 0x3}, expected 1`);
  }
  if (!SHAPES.has(request)) throw new VhostUserError("unknown-request", `request ${request}`);
  if (size > MAX_PAYLOAD) throw new VhostUserError("too-large", `payload of ${size} bytes (at most ${MAX_PAYLOAD})`);
  return { request, flags, size };
}

function expectSize(header: VhostUserHeader, size: number): void {
  if (header.size !== size) {
    throw new VhostUserError("bad-size", `request ${header.request} carries ${header.size} bytes, expected ${size}`);
  }
}

function expectFds(header: VhostUserHeader, fds: number[], count: number): void {
  if (fds.length !== count) {
    throw new VhostUserError("bad-fds", `request ${header.request} came with ${fds.length} fds, expected ${count}`);
  }
}

/**
 * Decodes one message's payload. `payload` must hold exactly `header.size` bytes; `fds` the descriptors
 * received with the header. Throws {@link VhostUserError} for any size, count or range the protocol forbids.
 */
export function decodePayload(header: VhostUserHeader, payload: Uint8Array, fds: number[]): VhostUserMessage {
  if (payload.byteLength !== header.size) {
    throw new VhostUserError("bad-size", `header says ${header.size} bytes, ${payload.byteLength} arrived`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const request = header.request;
  const needReply = (header.flags & FLAG_NEED_REPLY) !== 0;
  const shape = SHAPES.get(request)!;
  switch (shape) {
    case "none":
      // GET_* requests carry no payload; QEMU sends size 0.
      expectSize(header, 0);
      expectFds(header, fds, 0);
      return { request, needReply, kind: "none", fds };
    case "u64":
      expectSize(header, 8);
      expectFds(header, fds, 0);
      return { request, needReply, kind: "u64", value: view.getBigUint64(0, true), fds };
    case "vring-fd": {
      expectSize(header, 8);
      const value = view.getBigUint64(0, true);
      const noFd = (value & BigInt(VRING_NOFD_MASK)) !== 0n;
      expectFds(header, fds, noFd ? 0 : 1);
      return { request, needReply, kind: "u64", value, fds };
    }
    case "vring-state":
      expectSize(header, 8);
      expectFds(header, fds, 0);
      return { request, needReply, kind: "vring-state", index: view.getUint32(0, true), num: view.getUint32(4, true), fds };
    case "vring-addr":
      expectSize(header, 40);
      expectFds(header, fds, 0);
      return {
        request,
        needReply,
        kind: "vring-addr",
        index: view.getUint32(0, true),
        flags: view.getUint32(4, true),
        descUser: view.getBigUint64(8, true),
        usedUser: view.getBigUint64(16, true),
        availUser: view.getBigUint64(24, true),
        log: view.getBigUint64(32, true),
        fds,
      };
    case "mem-table": {
      if (header.size < 8) throw new VhostUserError("bad-size", `memory table of ${header.size} bytes`);
      const count = view.getUint32(0, true);
      if (count < 1 || count > MAX_REGIONS) {
        throw new VhostUserError("bad-payload", `memory table with ${count} regions (1..${MAX_REGIONS})`);
      }
      // QEMU sends only the regions in use, so the size follows the count.
      expectSize(header, 8 + count * 32);
      expectFds(header, fds, count);
      const regions: MemoryRegionDesc[] = [];
      for (let i = 0; i < count; i++) {
        const at = 8 + i * 32;
        regions.push({
          guestPhysAddr: view.getBigUint64(at, true),
          size: view.getBigUint64(at + 8, true),
          userAddr: view.getBigUint64(at + 16, true),
          mmapOffset: view.getBigUint64(at + 24, true),
        });
      }
      return { request, needReply, kind: "mem-table", regions, fds };
    }
    case "config": {
      if (header.size < 12) throw new VhostUserError("bad-size", `config message of ${header.size} bytes`);
      const offset = view.getUint32(0, true);
      const size = view.getUint32(4, true);
      const flags = view.getUint32(8, true);
      if (size > MAX_CONFIG_SIZE || offset + size > MAX_CONFIG_SIZE) {
        throw new VhostUserError("bad-payload", `config range ${offset}+${size} beyond ${MAX_CONFIG_SIZE} bytes`);
      }
      expectSize(header, 12 + size);
      expectFds(header, fds, 0);
      return { request, needReply, kind: "config", offset, size, flags, payload: payload.slice(12), fds };
    }
  }
}

/** Encodes a back-end reply: the request code, version 1 with the REPLY flag, and the payload. */
export function encodeReply(request: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, request, true);
  view.setUint32(4, FLAG_VERSION | FLAG_REPLY, true);
  view.setUint32(8, payload.byteLength, true);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** A u64 reply (GET_FEATURES, GET_PROTOCOL_FEATURES, the REPLY_ACK status…). */
export function encodeU64Reply(request: number, value: bigint): Uint8Array {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setBigUint64(0, value, true);
  return encodeReply(request, payload);
}

/** Virtio feature bit 30: the back end speaks GET/SET_PROTOCOL_FEATURES. Without it QEMU 7.2 silently falls back. */
export const VHOST_USER_F_PROTOCOL_FEATURES = 30;

/** Protocol feature bits (vhost-user.rst "Protocol features") a net and a block back end use. */
export const VhostUserProtocolFeature = {
  MQ: 0,
  REPLY_ACK: 3,
  MTU: 4,
  CONFIG: 9,
  RESET_DEVICE: 13,
} as const;
