/**
 * Behaviour of the generated control framing, device skeletons, event decoders and constants (ISM,
 * vhost-pci-net, network), with byte vectors worked out from the spec text. The `expectTypeOf` lines are
 * checked by `tsc` (npm run typecheck): request and reply types follow from the command name.
 */
import { readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as ism from "../../generated/ism/index.js";
import * as vpn from "../../generated/vhost-pci-net/index.js";
import { CodecError } from "../../runtime/codec/index.js";

function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s|]/g, "");
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}

const DEV_MEM = ism.IsmFeatureMask.VIRTIO_ISM_F_DEV_MEM;

describe("ISM constants", () => {
  it("keeps spec names and short keys, with name lookups", () => {
    expect(ism.ismAckName(255)).toBe("VIRTIO_ISM_ERR");
    expect(ism.ismAckName(3)).toBeUndefined();
    expect(ism.IsmAck.ENOSPEC).toBe(28);
    expect(ism.VIRTIO_ISM_PERM_EWRITE).toBe(102);
    expect(ism.IsmPermission.MANAGE).toBe(8);
    expect(ism.IsmEventType.BUFFER_FREE).toBe(8);
    expect(ism.VirtioIsmShmId.NOTIFY).toBe(2);
    // Short keys strip the group's common prefix (here VIRTIO_ISM_CTRL_GRANT_SET_).
    expect(ism.IsmGrantCommand.FOR_DEVICE).toBe(1);
    expect(ism.ismGrantCommandName(1)).toBe("VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE");
  });
  it("has feature-bit helpers on a bigint word, including bits above 31", () => {
    expect(ism.hasIsmFeature(1n, "VIRTIO_ISM_F_DEV_MEM")).toBe(true);
    expect(ism.hasIsmFeature(2n, "VIRTIO_ISM_F_DEV_MEM")).toBe(false);
    expect(ism.withoutIsmFeature(ism.withIsmFeature(0n, "VIRTIO_ISM_F_DEV_MEM"), "VIRTIO_ISM_F_DEV_MEM")).toBe(0n);
    expect(ism.ReservedFeatureMask.VERSION_1).toBe(1n << 32n);
    expect(ism.hasReservedFeature(1n << 32n, "VERSION_1")).toBe(true);
    expect(ism.reservedFeatureName(32)).toBe("VIRTIO_F_VERSION_1");
  });
});

describe("ISM control framing", () => {
  it("types requests and replies from the command name", () => {
    const bytes = ism.encodeIsmRequest("ALLOC_REGION", { size: 4096n }, { features: DEV_MEM });
    expectTypeOf<ReturnType<typeof ism.decodeIsmReply<"ALLOC_REGION">>["reply"]>().toEqualTypeOf<ism.VirtioIsmCtrlAllocReply | undefined>();
    expectTypeOf<ReturnType<typeof ism.decodeIsmReply<"DETACH_REGION">>["reply"]>().toEqualTypeOf<undefined>();
    expectTypeOf<Parameters<typeof ism.encodeIsmRequest<"GRANT_SET_FOR_DEVICE">>[1]>().toEqualTypeOf<ism.VirtioIsmCtrlGrantDev>();
    // @ts-expect-error: QUERY_INFO takes a virtio_ism_ctrl_query, which has no `size`.
    expect(() => ism.encodeIsmRequest("QUERY_INFO", { size: 1n })).toThrow(CodecError);
    expect(bytes).toEqual(hex("00 00 | 00 10 00 00 00 00 00 00"));
  });

  it("round-trips every command through encodeIsmRequest / decodeIsmRequest", () => {
    const requests: { [K in ism.IsmCommandName]: ism.IsmRequestInputs[K] } = {
      ALLOC_REGION: { size: 8192n, buffer: 0x10000n },
      QUERY_INFO: { token: 5n },
      ATTACH_REGION: { token: 5n, rw_perm: 1n, buffer: 0x20000n },
      DETACH_REGION: { token: 5n },
      GRANT_SET_DEFAULT: { token: 5n, permissions: 7n },
      GRANT_SET_FOR_DEVICE: { token: 5n, permissions: 3n, peer_devid: 9n },
      EVENT_VECTOR_SET: { token: 5n, vector: 2n },
    };
    for (const name of Object.keys(requests) as ism.IsmCommandName[]) {
      const entry = ism.ismCommands[name];
      const bytes = ism.encodeIsmRequest(name, requests[name]);
      expect([bytes[0], bytes[1]]).toEqual([entry.classCode, entry.code]);
      expect(ism.decodeIsmRequest(bytes)).toEqual({ command: name, request: requests[name] });
    }
  });

  it("refuses unknown codes and truncated requests with typed errors", () => {
    expect(() => ism.decodeIsmRequest(hex("06 00"))).toThrow(expect.objectContaining({ reason: "unknown-command", struct: "virtio_ism_ctrl" }));
    expect(() => ism.decodeIsmRequest(hex("04 02 00"))).toThrow(expect.objectContaining({ reason: "unknown-command" }));
    expect(() => ism.decodeIsmRequest(hex("01"))).toThrow(expect.objectContaining({ reason: "short-buffer", needed: 2, available: 1 }));
    expect(() => ism.decodeIsmRequest(hex("01 00 | 01 02 03"))).toThrow(expect.objectContaining({ reason: "short-buffer", struct: "virtio_ism_ctrl_query", field: "token" }));
    expect(() => ism.encodeIsmRequest("nope" as ism.IsmCommandName, { token: 1n } as never)).toThrow(expect.objectContaining({ reason: "unknown-command" }));
  });

  it("decodes replies: data only on VIRTIO_ISM_OK, raw bytes otherwise, unknown status refused", () => {
    const ok = ism.decodeIsmReply("ATTACH_REGION", hex("00 | 00 20 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00 | 00 00 40 00 00 00 00 00"));
    expect(ok).toEqual({ ack: 0, reply: { size: 0x2000n, num: 1n, chunks: [0x400000n] }, payload: hex("00 20 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 40 00 00 00 00 00") });
    // E2BIG: the device sets num for the next request (the spec's attach requirements).
    const big = ism.decodeIsmReply("ATTACH_REGION", hex("07 | 00 00 00 00 00 00 00 00 | 05 00 00 00 00 00 00 00"));
    expect([big.ack, big.reply, big.payload.length]).toEqual([ism.IsmAck.E2BIG, undefined, 16]);
    expect(() => ism.decodeIsmReply("DETACH_REGION", hex("03"))).toThrow(expect.objectContaining({ reason: "unknown-value", field: "ack" }));
    expect(() => ism.decodeIsmReply("DETACH_REGION", new Uint8Array(0))).toThrow(expect.objectContaining({ reason: "short-buffer" }));
    // A count larger than the buffer can hold is a short buffer, never a huge allocation.
    expect(() => ism.decodeIsmReply("ALLOC_REGION", hex("00 | 01 00 00 00 00 00 00 00 | ff ff ff ff ff ff ff ff"))).toThrow(expect.objectContaining({ reason: "short-buffer", field: "chunks", needed: Infinity }));
  });

  it("encodes replies as ack then reply data", () => {
    const buf = new Uint8Array(40);
    expect(ism.encodeIsmReply("ALLOC_REGION", ism.IsmAck.OK, { token: 0x77n, chunks: [0x1000n] }, buf)).toBe(25);
    expect(buf.subarray(0, 25)).toEqual(hex("00 | 77 00 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00 | 00 10 00 00 00 00 00 00"));
    expect(ism.encodeIsmReply("DETACH_REGION", ism.IsmAck.ENOENT, undefined, buf)).toBe(1);
    expect(buf[0]).toBe(2);
  });
});

class TestIsm extends ism.IsmDeviceBase<string> {
  readonly seen: string[] = [];
  handleAllocRegion(request: ism.VirtioIsmCtrlAlloc, ctx: string, info: ism.IsmCommandInfo): ism.IsmHandlerResult<ism.IsmReplyInputs["ALLOC_REGION"]> {
    this.seen.push(`${ctx}:${info.command}:${request.size}:${String(request.buffer)}:${info.replyCapacity}`);
    if (request.size > 0x100000n) return { ack: ism.IsmAck.ENOSPEC };
    return { ack: ism.IsmAck.OK, reply: { token: 0xabn, chunks: [0n, 0x400000n] } };
  }
  async handleQueryInfo() {
    await Promise.resolve();
    return { ack: ism.IsmAck.OK, reply: { size: 1n, permissions: 2n } } as const;
  }
  handleAttachRegion(): ism.IsmHandlerResult<ism.IsmReplyInputs["ATTACH_REGION"]> {
    return { ack: ism.IsmAck.OK, reply: { size: 1n, chunks: new Array<bigint>(64).fill(1n) } };
  }
  handleDetachRegion() {
    return { ack: ism.IsmAck.OK } as const;
  }
  handleGrantSetDefault() {
    return { ack: ism.IsmAck.OK } as const;
  }
  handleGrantSetForDevice() {
    return { ack: ism.IsmAck.PERM_EATTACH } as const;
  }
  handleEventVectorSet() {
    return { ack: ism.IsmAck.OK } as const;
  }
}

describe("IsmDeviceBase.dispatch", () => {
  it("decodes, calls the handler (sync or async) and writes ack + reply", async () => {
    const dev = new TestIsm();
    const reply = new Uint8Array(64);
    const r = await dev.dispatch(ism.encodeIsmRequest("ALLOC_REGION", { size: 4096n, buffer: 0x8000n }), reply, "guest1");
    expect(r).toEqual({ command: "ALLOC_REGION", ack: 0, written: 33, error: undefined });
    expect(reply.subarray(0, 33)).toEqual(hex("00 | ab 00 00 00 00 00 00 00 | 02 00 00 00 00 00 00 00 | 00 00 00 00 00 00 00 00 | 00 00 40 00 00 00 00 00"));
    expect(dev.seen).toEqual(["guest1:ALLOC_REGION:4096:32768:63"]);
    const q = await dev.dispatch(hex("01 00 | 01 00 00 00 00 00 00 00"), reply, "g");
    expect([q.ack, q.written]).toEqual([0, 17]);
  });

  it("decodes requests under the negotiated features", async () => {
    const dev = new TestIsm();
    dev.features = DEV_MEM;
    const r = await dev.dispatch(hex("00 00 | 00 10 00 00 00 00 00 00"), new Uint8Array(64), "g");
    expect(r.ack).toBe(0);
    expect(dev.seen).toEqual(["g:ALLOC_REGION:4096:undefined:63"]);
  });

  it("answers malformed and unknown requests with VIRTIO_ISM_ERR instead of throwing", async () => {
    const dev = new TestIsm();
    const reply = new Uint8Array(8).fill(0x5a);
    const unknown = await dev.dispatch(hex("09 09"), reply, "g");
    expect(unknown).toMatchObject({ command: undefined, ack: 255, written: 1 });
    expect(unknown.error?.reason).toBe("unknown-command");
    expect(reply[0]).toBe(255);
    const short = await dev.dispatch(hex("00 00 | 00 10"), reply, "g");
    expect(short).toMatchObject({ ack: 255, written: 1 });
    expect(short.error?.reason).toBe("short-buffer");
    expect(dev.seen).toEqual([]);
  });

  it("answers a reply that does not fit the buffer with VIRTIO_ISM_ERR, and writes nothing into an empty one", async () => {
    const dev = new TestIsm();
    const small = new Uint8Array(20);
    const r = await dev.dispatch(ism.encodeIsmRequest("ATTACH_REGION", { token: 1n, rw_perm: 1n, buffer: 0n }), small, "g");
    expect(r).toMatchObject({ command: "ATTACH_REGION", ack: 255, written: 1 });
    expect(r.error?.reason).toBe("short-buffer");
    const none = await dev.dispatch(hex("09 09"), new Uint8Array(0), "g");
    expect(none).toMatchObject({ ack: undefined, written: 0 });
  });

  it("documents each handler with its normative requirements", () => {
    const text = readFileSync("generated/ism/device.ts", "utf8");
    const allocDoc = text.slice(0, text.indexOf("abstract handleAllocRegion"));
    expect(allocDoc.slice(allocDoc.lastIndexOf("/**"))).toContain("devicenormative:Device Types / ISM Device / Device Operation / Alloc ISM Region#1");
    expect(allocDoc.slice(allocDoc.lastIndexOf("/**"))).toContain("virtio-ism.tex:");
  });
});

describe("ISM events", () => {
  const buffer = hex(`
    01 00 00 00 00 00 00 00 | 00 00 40 00 00 00 00 00 | 05 00 00 00 00 00 00 00 |
    02 00 00 00 00 00 00 00 | 00 00 80 00 00 00 00 00 | 06 00 00 00 00 00 00 00 | 02 00 00 00 00 00 00 00 |
    08 00 00 00 00 00 00 00 | 00 f0 00 00 00 00 00 00`);

  it("decodes events back to back, keyed on ev_type", () => {
    expect(ism.decodeIsmEvents(buffer)).toEqual([
      { type: "UPDATE", event: { ev_type: 1n, offset: 0x400000n, devid: 5n } },
      { type: "ATTACH", event: { ev_type: 2n, offset: 0x800000n, devid: 6n, peers: 2n } },
      { type: "BUFFER_FREE", event: { ev_type: 8n, buffer: 0xf000n } },
    ]);
    expect(ism.decodeIsmEvents(new Uint8Array(0))).toEqual([]);
  });

  it("refuses unknown types, trailing fragments and BUFFER_FREE under VIRTIO_ISM_F_DEV_MEM", () => {
    const bad = buffer.slice();
    bad[24] = 0x10;
    expect(() => ism.decodeIsmEvents(bad)).toThrow(expect.objectContaining({ reason: "unknown-discriminator", offset: 24 }));
    expect(() => ism.decodeIsmEvents(buffer.subarray(0, 28))).toThrow(expect.objectContaining({ reason: "short-buffer", offset: 24 }));
    expect(() => ism.decodeIsmEvents(buffer, { features: DEV_MEM })).toThrow(expect.objectContaining({ reason: "unknown-discriminator", offset: 56 }));
  });

  it("encodes an event with ev_type taken from its type", () => {
    const out = new Uint8Array(32);
    expect(ism.encodeIsmEvent({ type: "DETACH", event: { offset: 0x800000n, devid: 6n, peers: 1n } }, out)).toBe(32);
    expect(ism.decodeIsmEvent(out)).toEqual({ type: "DETACH", event: { ev_type: 4n, offset: 0x800000n, devid: 6n, peers: 1n } });
    expect(ism.lengthOfIsmEvent({ type: "UPDATE", event: { offset: 0n, devid: 0n } })).toBe(24);
  });
});

describe("vhost-pci-net and network skeletons", () => {
  it("vhost-pci-net: handlers get the request and the header; refusals are reported, not thrown", async () => {
    const seen: unknown[] = [];
    class Peer extends vpn.VhostPciNetDeviceBase {
      handlePeerFeatureBits(r: vpn.VhostPciCtrlDriverFeatureBits, _c: void, info: vpn.VhostPciNetCommandInfo) {
        seen.push([r.feature_bits, info.header.vhost_pci_id]);
      }
      handlePeerMemInfo(r: vpn.VhostPciCtrlPeerMemInfo) {
        seen.push([r.need_map, r.peer_mem, r.other_mem_info]);
      }
      handlePeerVirtqInfo(r: vpn.VhostPciCtrlPeerVirtqInfo) {
        seen.push([r.tx_or_rx, r.virtq_num, r.vq]);
      }
      handleDirtyPageLogging() {}
      handleMac(r: Uint8Array) {
        seen.push(r);
      }
    }
    const dev = new Peer();
    expect(await dev.dispatch(hex("00 00 00 00 | 07 00 00 00 00 00 00 00 | 80 00 00 08 00 00 00 00"), undefined)).toEqual({ command: "PEER_FEATURE_BITS", error: undefined });
    await dev.dispatch(hex("01 00 00 00 | 07 00 00 00 00 00 00 00 | 01 | 00 00 00 00 00 7f 00 00 | aa bb"), undefined);
    await dev.dispatch(hex("02 00 00 00 | 07 00 00 00 00 00 00 00 | 00 | 02 00 00 00 | 01 02 03"), undefined);
    expect(seen).toEqual([
      [0x08000080n, 7n],
      [1, 0x7f0000000000n, hex("aa bb")],
      [0, 2, hex("01 02 03")],
    ]);
    const bad = await dev.dispatch(hex("04 00 00 00 | 07 00 00 00 00 00 00 00"), undefined);
    expect(bad.command).toBeUndefined();
    expect(bad.error?.reason).toBe("unknown-command");
  });

  it("network: class/command framing with an ack-only device part", async () => {
    class Net extends vpn.NetworkDeviceBase {
      handleRxPromisc(r: Uint8Array) {
        return { ack: r[0] === 1 ? vpn.NetworkAck.OK : vpn.NetworkAck.ERR };
      }
      handleRxAllmulti = () => ({ ack: vpn.NetworkAck.OK });
      handleRxAlluni = () => ({ ack: vpn.NetworkAck.OK });
      handleRxNomulti = () => ({ ack: vpn.NetworkAck.OK });
      handleRxNouni = () => ({ ack: vpn.NetworkAck.OK });
      handleRxNobcast = () => ({ ack: vpn.NetworkAck.OK });
      handleMacTableSet = () => ({ ack: vpn.NetworkAck.OK });
      handleMacAddrSet = () => ({ ack: vpn.NetworkAck.OK });
      handleVlanAdd = () => ({ ack: vpn.NetworkAck.OK });
      handleVlanDel = () => ({ ack: vpn.NetworkAck.OK });
      handleAnnounceAck = () => ({ ack: vpn.NetworkAck.OK });
      handleMqVqPairsSet = (r: vpn.VirtioNetCtrlMq) => ({ ack: r.virtqueue_pairs > 0 ? vpn.NetworkAck.OK : vpn.NetworkAck.ERR });
      handleMqVqPairsMin = () => ({ ack: vpn.NetworkAck.OK });
      handleMqVqPairsMax = () => ({ ack: vpn.NetworkAck.OK });
      handleGuestOffloadsSet = () => ({ ack: vpn.NetworkAck.OK });
    }
    const dev = new Net();
    const reply = new Uint8Array(1);
    expect(await dev.dispatch(hex("00 00 01"), reply, undefined)).toMatchObject({ command: "RX_PROMISC", ack: 0, written: 1 });
    expect(await dev.dispatch(hex("04 00 | 00 00"), reply, undefined)).toMatchObject({ command: "MQ_VQ_PAIRS_SET", ack: 1 });
    expect(await dev.dispatch(hex("07 00"), reply, undefined)).toMatchObject({ ack: vpn.NetworkAck.ERR, written: 1 });
    expect(vpn.decodeNetworkReply("RX_PROMISC", hex("01"))).toEqual({ ack: 1, reply: undefined, payload: new Uint8Array(0) });
    expect(vpn.encodeNetworkRequest("MAC_TABLE_SET", { macs: hex("02 00 00 00 00 01") })).toEqual(hex("01 00 | 01 00 00 00 | 02 00 00 00 00 01"));
  });
});
