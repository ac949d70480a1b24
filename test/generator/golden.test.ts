/**
 * Golden wire vectors, worked out by hand from the spec text (virtio-ism v3 mail; the vhost-pci-net mail's
 * virtio_pci_common_cfg), not from the generator: every ISM struct and the common configuration structure
 * with its peer registers. Each value uses distinct field values so a field at the wrong offset, of the wrong
 * width or endianness shows up as a byte mismatch.
 */
import { describe, expect, it } from "vitest";
import * as ism from "../../generated/ism/index.js";
import * as vpn from "../../generated/vhost-pci-net/index.js";
import { CodecError } from "../../runtime/codec/index.js";

/** "01 02 0a" → bytes. Whitespace and `|` (field separators in the vectors) are ignored. */
function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s|]/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

interface Codec<T, I> {
  encode(v: I, b: Uint8Array, o?: number, opts?: { features?: bigint }): number;
  decode(b: Uint8Array, o?: number, opts?: { features?: bigint }): T;
  encodedLength(v: I, opts?: { features?: bigint }): number;
}

/** Encode gives exactly `bytes` (also at a non-zero offset), decode gives back `decoded`. */
function golden<T, I>(codec: Codec<T, I>, value: I, bytes: Uint8Array, decoded: T, features?: bigint): void {
  const opts = features === undefined ? undefined : { features };
  expect(codec.encodedLength(value, opts)).toBe(bytes.length);
  const out = new Uint8Array(bytes.length);
  expect(codec.encode(value, out, 0, opts)).toBe(bytes.length);
  expect(out).toEqual(bytes);
  const shifted = new Uint8Array(bytes.length + 5).fill(0xee);
  codec.encode(value, shifted, 3, opts);
  expect(shifted.subarray(3, 3 + bytes.length)).toEqual(bytes);
  expect([shifted[0], shifted[1], shifted[2], shifted[3 + bytes.length]]).toEqual([0xee, 0xee, 0xee, 0xee]);
  expect(codec.decode(bytes, 0, opts)).toEqual(decoded);
  // A rest-of-buffer array runs to the end of the bytes it is given, so decode up to the vector's end.
  expect(codec.decode(shifted.subarray(0, 3 + bytes.length), 3, opts)).toEqual(decoded);
}

describe("ISM golden vectors (virtio-ism v3)", () => {
  it("virtio_ism_config: le128 cdid, le64 devid, chunk_size, notify_size = 40 bytes", () => {
    const v = { cdid: 0x0123456789abcdef_fedcba9876543210n, devid: 7n, chunk_size: 0x400000n, notify_size: 0x40n };
    const bytes = hex(`
      10 32 54 76 98 ba dc fe  ef cd ab 89 67 45 23 01 | 07 00 00 00 00 00 00 00 |
      00 00 40 00 00 00 00 00 | 40 00 00 00 00 00 00 00`);
    expect(ism.VirtioIsmConfigSize).toBe(40);
    golden(ism.VirtioIsmConfigCodec, v, bytes, v);
  });

  it("virtio_ism_event_update: ev_type, offset, devid = 24 bytes", () => {
    const v = { ev_type: 1n, offset: 0x1_0000_0000n, devid: 0x0203n };
    const bytes = hex("01 00 00 00 00 00 00 00 | 00 00 00 00 01 00 00 00 | 03 02 00 00 00 00 00 00");
    golden(ism.VirtioIsmEventUpdateCodec, v, bytes, v);
  });

  it("virtio_ism_event_attach_detach: ev_type, offset, devid, peers = 32 bytes", () => {
    const v = { ev_type: 2n, offset: 0x800000n, devid: 9n, peers: 3n };
    const bytes = hex("02 00 00 00 00 00 00 00 | 00 00 80 00 00 00 00 00 | 09 00 00 00 00 00 00 00 | 03 00 00 00 00 00 00 00");
    golden(ism.VirtioIsmEventAttachDetachCodec, v, bytes, v);
  });

  it("virtio_ism_event_buffer_free: ev_type, void *buffer = 16 bytes", () => {
    const v = { ev_type: 8n, buffer: 0x7f00_1234_5000n };
    const bytes = hex("08 00 00 00 00 00 00 00 | 00 50 34 12 00 7f 00 00");
    golden(ism.VirtioIsmEventBufferFreeCodec, v, bytes, v);
  });

  it("virtio_ism_ctrl: driver writes class, command, data; device writes ack, reply", () => {
    // Driver-written part: u8 class, u8 command, u8 command_specific_data[].
    const req = { class: 4, command: 1, command_specific_data: hex("aa bb cc") };
    golden(ism.VirtioIsmCtrlDriverPartCodec, req, hex("04 01 | aa bb cc"), req);
    // Device-written part: u8 ack, u8 command_specific_data_reply[].
    const rep = { ack: 255, command_specific_data_reply: hex("11 22") };
    golden(ism.VirtioIsmCtrlDevicePartCodec, rep, hex("ff | 11 22"), rep);
    // Framed: VIRTIO_ISM_CTRL_QUERY (1) / VIRTIO_ISM_CTRL_QUERY_INFO (0) with a virtio_ism_ctrl_query.
    expect(ism.encodeIsmRequest("QUERY_INFO", { token: 0x1122n })).toEqual(hex("01 00 | 22 11 00 00 00 00 00 00"));
    const reply = ism.decodeIsmReply("QUERY_INFO", hex("00 | 00 10 00 00 00 00 00 00 | 07 00 00 00 00 00 00 00"));
    expect(reply.ack).toBe(ism.IsmAck.OK);
    expect(reply.reply).toEqual({ size: 4096n, permissions: 7n });
  });

  it("virtio_ism_ctrl_alloc: le64 size, void *buffer only if VIRTIO_ISM_F_DEV_MEM is not negotiated", () => {
    const v = { size: 4096n, buffer: 0x1_0000_2000n };
    golden(ism.VirtioIsmCtrlAllocCodec, v, hex("00 10 00 00 00 00 00 00 | 00 20 00 00 01 00 00 00"), v, 0n);
    const devMem = 1n << BigInt(ism.IsmFeature.VIRTIO_ISM_F_DEV_MEM);
    golden(ism.VirtioIsmCtrlAllocCodec, { size: 4096n }, hex("00 10 00 00 00 00 00 00"), { size: 4096n, buffer: undefined }, devMem);
    // Framed as class VIRTIO_ISM_CTRL_ALLOC (0), command VIRTIO_ISM_CTRL_ALLOC_REGION (0).
    expect(ism.encodeIsmRequest("ALLOC_REGION", { size: 4096n }, { features: devMem })).toEqual(hex("00 00 | 00 10 00 00 00 00 00 00"));
  });

  it("virtio_ism_ctrl_alloc_reply: le64 token, le64 num, le64 chunks[num]", () => {
    const bytes = hex(`
      ef be ad de 00 00 00 00 | 02 00 00 00 00 00 00 00 |
      00 00 00 00 00 00 00 00 | 00 00 40 00 00 00 00 00`);
    const decoded = { token: 0xdeadbeefn, num: 2n, chunks: [0n, 0x400000n] };
    golden(ism.VirtioIsmCtrlAllocReplyCodec, { token: 0xdeadbeefn, chunks: [0n, 0x400000n] }, bytes, decoded);
    expect(ism.VirtioIsmCtrlAllocReplyMinSize).toBe(16);
  });

  it("virtio_ism_ctrl_query: le64 token = 8 bytes", () => {
    const v = { token: 0x0807060504030201n };
    golden(ism.VirtioIsmCtrlQueryCodec, v, hex("01 02 03 04 05 06 07 08"), v);
  });

  it("virtio_ism_ctrl_query_reply: le64 size, le64 permissions = 16 bytes", () => {
    const v = { size: 0x20000n, permissions: 0x0fn };
    golden(ism.VirtioIsmCtrlQueryReplyCodec, v, hex("00 00 02 00 00 00 00 00 | 0f 00 00 00 00 00 00 00"), v);
  });

  it("virtio_ism_ctrl_attach: le64 token, le64 rw_perm, void *buffer (if not DEV_MEM)", () => {
    const v = { token: 0x55n, rw_perm: 3n, buffer: 0xabcdef00n };
    golden(ism.VirtioIsmCtrlAttachCodec, v, hex("55 00 00 00 00 00 00 00 | 03 00 00 00 00 00 00 00 | 00 ef cd ab 00 00 00 00"), v);
    golden(ism.VirtioIsmCtrlAttachCodec, { token: 0x55n, rw_perm: 3n }, hex("55 00 00 00 00 00 00 00 | 03 00 00 00 00 00 00 00"), { token: 0x55n, rw_perm: 3n, buffer: undefined }, 1n);
  });

  it("virtio_ism_ctrl_attach_reply: le64 size, le64 num, le64 chunks[num]", () => {
    const bytes = hex(`
      00 00 60 00 00 00 00 00 | 03 00 00 00 00 00 00 00 |
      00 00 00 01 00 00 00 00 | 00 00 40 01 00 00 00 00 | 00 00 80 01 00 00 00 00`);
    const chunks = [0x1000000n, 0x1400000n, 0x1800000n];
    golden(ism.VirtioIsmCtrlAttachReplyCodec, { size: 0x600000n, num: 3n, chunks }, bytes, { size: 0x600000n, num: 3n, chunks });
  });

  it("virtio_ism_ctrl_detach: le64 token = 8 bytes", () => {
    const v = { token: 0xffff_ffff_ffff_ffffn };
    golden(ism.VirtioIsmCtrlDetachCodec, v, hex("ff ff ff ff ff ff ff ff"), v);
  });

  it("virtio_ism_ctrl_grant_default: le64 token, le64 permissions = 16 bytes", () => {
    const v = { token: 0x10n, permissions: 0x1n };
    golden(ism.VirtioIsmCtrlGrantDefaultCodec, v, hex("10 00 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00"), v);
  });

  it("virtio_ism_ctrl_grant_dev: le64 token, le64 permissions, le64 peer_devid = 24 bytes", () => {
    const v = { token: 0x10n, permissions: 0x3n, peer_devid: 0xffn };
    golden(ism.VirtioIsmCtrlGrantDevCodec, v, hex("10 00 00 00 00 00 00 00 | 03 00 00 00 00 00 00 00 | ff 00 00 00 00 00 00 00"), v);
  });

  it("virtio_ism_ctrl_irq_vector: le64 token, le64 vector = 16 bytes", () => {
    const v = { token: 0x99n, vector: 4n };
    golden(ism.VirtioIsmCtrlIrqVectorCodec, v, hex("99 00 00 00 00 00 00 00 | 04 00 00 00 00 00 00 00"), v);
  });

  it("has a vector for each of the 15 ISM structs", () => {
    expect(Object.keys(ism.structCodecs).length).toBe(16); // 14 plain + virtio_ism_ctrl's two parts
  });
});

describe("vhost-pci-net golden vectors", () => {
  it("virtio_pci_common_cfg with the peer registers: 56 + 2+2+2+4+8+8 = 82 bytes, no padding", () => {
    const v = {
      device_feature_select: 1,
      device_feature: 0x11223344,
      driver_feature_select: 0,
      driver_feature: 0x55667788,
      msix_config: 0x0102,
      num_queues: 3,
      device_status: 0x0f,
      config_generation: 0x21,
      queue_select: 2,
      queue_size: 256,
      queue_msix_vector: 0xffff,
      queue_enable: 1,
      queue_notify_off: 5,
      queue_desc: 0x1_2345_6000n,
      queue_avail: 0x7000n,
      queue_used: 0x8000_0000_0000n,
      peer_connection: 1,
      peer_num_rx_queues: 4,
      peer_rx_queue_select: 2,
      peer_rx_queue_gsi: 0xa1b2c3d4,
      peer_uuid_hi: 0x0011223344556677n,
      peer_uuid_lo: 0x8899aabbccddeeffn,
    };
    const bytes = hex(`
      01 00 00 00 | 44 33 22 11 | 00 00 00 00 | 88 77 66 55 |
      02 01 | 03 00 | 0f | 21 |
      02 00 | 00 01 | ff ff | 01 00 | 05 00 |
      00 60 45 23 01 00 00 00 | 00 70 00 00 00 00 00 00 | 00 00 00 00 00 80 00 00 |
      01 00 | 04 00 | 02 00 | d4 c3 b2 a1 |
      77 66 55 44 33 22 11 00 | ff ee dd cc bb aa 99 88`);
    expect(bytes.length).toBe(82);
    expect(vpn.VirtioPciCommonCfgSize).toBe(82);
    golden(vpn.VirtioPciCommonCfgCodec, v, bytes, v);
    // The zero-copy view reads and writes the same bytes.
    const view = vpn.VirtioPciCommonCfgView.over(bytes);
    expect(view.peer_rx_queue_gsi).toBe(0xa1b2c3d4);
    expect(view.peer_uuid_lo).toBe(0x8899aabbccddeeffn);
    const copy = bytes.slice();
    const view2 = vpn.VirtioPciCommonCfgView.over(copy);
    view2.queue_size = 0x0400;
    expect([copy[24], copy[25]]).toEqual([0x00, 0x04]);
    expect(() => {
      view2.device_status = 256;
    }).toThrow(CodecError);
  });

  it("vhost_pci_ctrl framing: u32 request, u64 vhost_pci_id, payload (native-endian read as little-endian)", () => {
    const msg = vpn.encodeVhostPciNetRequest("DIRTY_PAGE_LOGGING", { off_or_on: 1 }, { vhost_pci_id: 0x0102030405060708n });
    expect(msg).toEqual(hex("03 00 00 00 | 08 07 06 05 04 03 02 01 | 01"));
    expect(vpn.decodeVhostPciNetRequest(msg)).toEqual({ command: "DIRTY_PAGE_LOGGING", request: { off_or_on: 1 }, header: { vhost_pci_id: 0x0102030405060708n } });
    // VHOST_PCI_CTRL_MAC = 0x10000 has no payload struct: raw bytes.
    expect(vpn.encodeVhostPciNetRequest("MAC", hex("02 00 00 00 00 01"), { vhost_pci_id: 1n })).toEqual(hex("00 00 01 00 | 01 00 00 00 00 00 00 00 | 02 00 00 00 00 01"));
  });

  it("virtio_net_ctrl_mac: le32 entries, u8 macs[entries][6]", () => {
    const macs = hex("02 00 00 00 00 01 | 02 00 00 00 00 02");
    golden(vpn.VirtioNetCtrlMacCodec, { macs }, hex("02 00 00 00 | 02 00 00 00 00 01 02 00 00 00 00 02"), { entries: 2, macs });
    expect(() => vpn.VirtioNetCtrlMacCodec.encode({ macs: hex("01 02 03") }, new Uint8Array(16))).toThrow(expect.objectContaining({ reason: "bad-length" }));
  });
});
