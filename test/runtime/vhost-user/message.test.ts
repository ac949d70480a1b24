import { describe, expect, it } from "vitest";
import {
  FLAG_NEED_REPLY,
  FLAG_REPLY,
  FLAG_VERSION,
  VhostUserError,
  VhostUserRequest,
  decodeHeader,
  decodePayload,
  encodeU64Reply,
} from "../../../runtime/vhost-user/index.js";

function header(request: number, size: number, flags = FLAG_VERSION): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(0, request, true);
  view.setUint32(4, flags, true);
  view.setUint32(8, size, true);
  return out;
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof VhostUserError) return error.reason;
    throw error;
  }
  return "none";
}

describe("vhost-user message framing", () => {
  it("decodes SET_VRING_ADDR's QEMU user addresses and the NEED_REPLY flag", () => {
    const h = decodeHeader(header(VhostUserRequest.SET_VRING_ADDR, 40, FLAG_VERSION | FLAG_NEED_REPLY));
    const payload = new Uint8Array(40);
    const view = new DataView(payload.buffer);
    view.setUint32(0, 1, true);
    view.setBigUint64(8, 0x7f0000001000n, true);
    view.setBigUint64(16, 0x7f0000003000n, true);
    view.setBigUint64(24, 0x7f0000002000n, true);
    const msg = decodePayload(h, payload, []);
    expect(msg).toMatchObject({ kind: "vring-addr", index: 1, needReply: true, descUser: 0x7f0000001000n, usedUser: 0x7f0000003000n, availUser: 0x7f0000002000n });
  });

  it("decodes a memory table whose fd count matches its regions", () => {
    const payload = new Uint8Array(8 + 2 * 32);
    const view = new DataView(payload.buffer);
    view.setUint32(0, 2, true);
    view.setBigUint64(8, 0n, true);
    view.setBigUint64(16, 0xa0000n, true);
    view.setBigUint64(40, 0x100000n, true);
    view.setBigUint64(48, 0xff00000n, true);
    view.setBigUint64(64, 0x100000n, true);
    const h = decodeHeader(header(VhostUserRequest.SET_MEM_TABLE, payload.byteLength));
    const msg = decodePayload(h, payload, [10, 11]);
    expect(msg.kind).toBe("mem-table");
    if (msg.kind !== "mem-table") return;
    expect(msg.regions.map((r) => r.guestPhysAddr)).toEqual([0n, 0x100000n]);
    expect(msg.regions[1]!.mmapOffset).toBe(0x100000n);
    expect(reasonOf(() => decodePayload(h, payload, [10]))).toBe("bad-fds");
  });

  it("lets SET_VRING_KICK go without an fd only when the NOFD bit says so", () => {
    const h = decodeHeader(header(VhostUserRequest.SET_VRING_KICK, 8));
    const withFd = new Uint8Array(8);
    withFd[0] = 2;
    expect(decodePayload(h, withFd, [7]).fds).toEqual([7]);
    expect(reasonOf(() => decodePayload(h, withFd, []))).toBe("bad-fds");
    const noFd = new Uint8Array(8);
    new DataView(noFd.buffer).setBigUint64(0, 0x102n, true);
    expect(decodePayload(h, noFd, []).fds).toEqual([]);
  });

  it("refuses hostile headers and payloads by name", () => {
    expect(reasonOf(() => decodeHeader(new Uint8Array(11)))).toBe("short-header");
    expect(reasonOf(() => decodeHeader(header(VhostUserRequest.GET_FEATURES, 0, 0x2)))).toBe("bad-version");
    expect(reasonOf(() => decodeHeader(header(999, 0)))).toBe("unknown-request");
    expect(reasonOf(() => decodeHeader(header(VhostUserRequest.SET_MEM_TABLE, 1 << 20)))).toBe("too-large");
    const features = decodeHeader(header(VhostUserRequest.SET_FEATURES, 4));
    expect(reasonOf(() => decodePayload(features, new Uint8Array(4), []))).toBe("bad-size");
    const table = new Uint8Array(8);
    new DataView(table.buffer).setUint32(0, 9, true);
    expect(reasonOf(() => decodePayload(decodeHeader(header(VhostUserRequest.SET_MEM_TABLE, 8)), table, []))).toBe("bad-payload");
    const config = new Uint8Array(12);
    new DataView(config.buffer).setUint32(4, 300, true);
    expect(reasonOf(() => decodePayload(decodeHeader(header(VhostUserRequest.GET_CONFIG, 12)), config, []))).toBe("bad-payload");
    expect(reasonOf(() => decodePayload(decodeHeader(header(VhostUserRequest.GET_FEATURES, 0)), new Uint8Array(0), [3]))).toBe("bad-fds");
  });

  it("answers with the REPLY flag and version 1", () => {
    const reply = encodeU64Reply(VhostUserRequest.GET_PROTOCOL_FEATURES, 1n << 9n);
    const view = new DataView(reply.buffer);
    expect(view.getUint32(0, true)).toBe(VhostUserRequest.GET_PROTOCOL_FEATURES);
    expect(view.getUint32(4, true)).toBe(FLAG_VERSION | FLAG_REPLY);
    expect(view.getUint32(8, true)).toBe(8);
    expect(view.getBigUint64(12, true)).toBe(1n << 9n);
  });
});
