// Hand-written cases for grammar/clisting: one construct at a time, quoted from the real inputs
// (file and line in the comment above each), plus exact positions and recovery.

import { describe, expect, it } from "vitest";
import {
  MAX_NESTING,
  parseListing,
  type CodeItem,
  type CommentItem,
  type DefineItem,
  type EnumItem,
  type FieldMember,
  type ListingItem,
  type ListingParse,
  type NestedMember,
  type OpaqueItem,
  type StructItem,
  type TypedefItem,
} from "../../../grammar/clisting/clisting.js";

const AT_1_1 = { line: 1, column: 1 };

function parse(body: string, start = AT_1_1): ListingParse {
  return parseListing(body, start);
}

function only<K extends ListingItem["kind"]>(result: ListingParse, kind: K): Extract<ListingItem, { kind: K }>[] {
  return result.items.filter((i): i is Extract<ListingItem, { kind: K }> => i.kind === kind);
}

function struct(body: string): StructItem {
  const result = parse(body);
  const [s] = only(result, "struct");
  if (s === undefined) throw new Error(`no struct in ${JSON.stringify(result.items.map((i) => i.kind))}`);
  return s;
}

function fields(s: { members: StructItem["members"] }): FieldMember[] {
  return s.members.filter((m): m is FieldMember => m.kind === "field");
}

describe("struct members", () => {
  // seeds/virtio-ism-v3.mail.txt:217 (tabs as in the mail)
  it("reads plain fields with their types", () => {
    const s = struct("struct virtio_ism_config {\n\tle128 cdid;\n\tle64 devid;\n\tle64 chunk_size;\n\tle64 notify_size;\n};\n");
    expect(s.name).toBe("virtio_ism_config");
    expect(s.keyword).toBe("struct");
    expect(s.missingSemicolon).toBeUndefined();
    expect(fields(s).map((f) => [f.typeText, f.name])).toEqual([
      ["le128", "cdid"],
      ["le64", "devid"],
      ["le64", "chunk_size"],
      ["le64", "notify_size"],
    ]);
  });

  // seeds/virtio-ism-v3.mail.txt:429: `void *buffer; // Only if ...`
  it("reads pointers and attaches a trailing // comment", () => {
    const s = struct("struct virtio_ism_ctrl_alloc {\n\tle64 size;\n    void *buffer; // Only if VIRTIO_ISM_F_DEV_MEM is not negotiated\n};\n");
    const [size, buffer] = fields(s);
    expect(size).toMatchObject({ typeText: "le64", baseType: "le64", pointer: false, name: "size" });
    expect(size?.comment).toBeUndefined();
    expect(buffer).toMatchObject({ typeText: "void *", baseType: "void", pointer: true, name: "buffer", comment: "Only if VIRTIO_ISM_F_DEV_MEM is not negotiated" });
  });

  // v1.4/transport-pci.tex:143
  it("attaches trailing /* */ comments and reads literal array sizes", () => {
    const s = struct("struct virtio_pci_cap {\n        u8 cap_vndr;    /* Generic PCI field: PCI_CAP_ID_VNDR */\n        u8 padding[2];  /* Pad to full dword. */\n        le32 offset;    /* Offset within bar. */\n};\n");
    expect(fields(s).map((f) => [f.name, f.comment, f.arrays])).toEqual([
      ["cap_vndr", "Generic PCI field: PCI_CAP_ID_VNDR", []],
      ["padding", "Pad to full dword.", [{ kind: "literal", value: 2, text: "2" }]],
      ["offset", "Offset within bar.", []],
    ]);
  });

  // v1.4/split-ring.tex:104, :298 and :393
  it("reads struct-typed members and array sizes that are prose, comments or empty", () => {
    const virtq = struct("struct virtq {\n        // The actual descriptors (16 bytes each)\n        struct virtq_desc desc[ Queue Size ];\n        u8 pad[ Padding ];\n};\n");
    expect(fields(virtq)[0]).toMatchObject({ typeText: "struct virtq_desc", baseType: "struct virtq_desc", structRef: "virtq_desc", name: "desc", arrays: [{ kind: "expr", text: "Queue Size" }] });
    const avail = struct("struct virtq_avail {\n        le16 flags;\n        le16 idx;\n        le16 ring[ /* Queue Size */ ];\n        le16 used_event; /* Only if VIRTIO_F_EVENT_IDX */\n};\n");
    expect(fields(avail)[2]?.arrays).toEqual([{ kind: "expr", text: "/* Queue Size */" }]);
    expect(fields(avail)[3]?.comment).toBe("Only if VIRTIO_F_EVENT_IDX");
    const used = struct("struct virtq_used {\n        le16 flags;\n        struct virtq_used_elem ring[ /* Queue Size */];\n};\n");
    expect(fields(used)[1]).toMatchObject({ structRef: "virtq_used_elem", arrays: [{ kind: "expr", text: "/* Queue Size */" }] });
    const ctrl = struct("struct virtio_ism_ctrl {\n\tu8 class;\n\tu8 command_specific_data[];\n};\n");
    expect(fields(ctrl)[1]?.arrays).toEqual([{ kind: "empty" }]);
  });

  // v1.4/device-types/fs/description.tex:152 and :208, v1.4/packed-ring.tex:261, v1.4/device-types/scmi/description.tex:105
  it("keeps expression and placeholder dimensions as text", () => {
    const fs = struct("struct virtio_fs_notify {\n        // Device-writable part\n        struct fuse_out_header out_hdr;\n        char outarg[notify_buf_size - sizeof(struct fuse_out_header)];\n};\n");
    expect(fields(fs)[1]).toMatchObject({ typeText: "char", arrays: [{ kind: "expr", text: "notify_buf_size - sizeof(struct fuse_out_header)" }] });
    const table = struct("struct pvirtq_indirect_descriptor_table {\n        /* The actual descriptor structures (struct pvirtq_desc each) */\n        struct pvirtq_desc desc[len / sizeof(struct pvirtq_desc)];\n};\n");
    expect(fields(table)[0]?.arrays).toEqual([{ kind: "expr", text: "len / sizeof(struct pvirtq_desc)" }]);
    const scmi = struct("struct virtio_scmi_request {\n        le32 hdr;\n        u8 params[<actual parameters size>];\n};\n");
    expect(fields(scmi)[1]?.arrays).toEqual([{ kind: "expr", text: "<actual parameters size>" }]);
  });

  // v1.4/device-types/blk/description.tex:1244, v1.4/device-types/net/description.tex:1833 and :3304
  it("reads several dimensions, and defines between members", () => {
    const pc = struct("struct virtio_scsi_pc_req {\n        u8 cmd[];\n        u8 data[][512];\n#define SCSI_SENSE_BUFFERSIZE   96\n        u8 sense[SCSI_SENSE_BUFFERSIZE];\n};\n");
    expect(pc.members.map((m) => m.kind)).toEqual(["field", "field", "define", "field"]);
    expect(fields(pc)[1]?.arrays).toEqual([{ kind: "empty" }, { kind: "literal", value: 512, text: "512" }]);
    expect(fields(pc)[2]?.arrays).toEqual([{ kind: "expr", text: "SCSI_SENSE_BUFFERSIZE" }]);
    const macs = struct("struct virtio_net_ctrl_mac {\n        le32 entries;\n        u8 macs[entries][6];\n};\n");
    expect(fields(macs)[1]?.arrays).toEqual([{ kind: "expr", text: "entries" }, { kind: "literal", value: 6, text: "6" }]);
    const rule = struct("struct virtio_net_resource_obj_ff_rule {\n        u8 key_length; /* length of key in bytes */\n        u8 keys[][];\n};\n");
    expect(fields(rule)[1]?.arrays).toEqual([{ kind: "empty" }, { kind: "empty" }]);
  });

  // v1.4/device-types/blk/description.tex:479 and v1.4/device-types/net/description.tex:2120
  it("reads C bit-fields", () => {
    const dwz = struct("struct virtio_blk_discard_write_zeroes {\n       le64 sector;\n       le32 num_sectors;\n       struct {\n               le32 unmap:1;\n               le32 reserved:31;\n       } flags;\n};\n");
    const flags = dwz.members[2] as NestedMember;
    expect(flags).toMatchObject({ kind: "nested", keyword: "struct", tag: null, name: "flags", arrays: [] });
    expect(fields(flags).map((f) => [f.typeText, f.name, f.bits])).toEqual([
      ["le32", "unmap", 1],
      ["le32", "reserved", 31],
    ]);
    const rq = struct("struct rss_rq_id {\n   le16 vq_index_1_16: 15; /* Bits 1 to 16 of the virtqueue index */\n   le16 reserved: 1; /* Set to zero */\n};\n");
    expect(fields(rq).map((f) => [f.name, f.bits, f.comment])).toEqual([
      ["vq_index_1_16", 15, "Bits 1 to 16 of the virtqueue index"],
      ["reserved", 1, "Set to zero"],
    ]);
  });

  it("splits multiple declarators into fields sharing the declaration's position", () => {
    // Not in the spec's structs (content.tex:289 has `u32 before, after;` as code); C allows it.
    const s = struct("struct s {\n        le32 a, *b, c[4]; /* three */\n};\n");
    const [a, b, c] = fields(s);
    expect([a?.name, b?.name, c?.name]).toEqual(["a", "b", "c"]);
    expect(b).toMatchObject({ typeText: "le32 *", pointer: true });
    expect(c?.arrays).toEqual([{ kind: "literal", value: 4, text: "4" }]);
    expect(a?.pos).toEqual(c?.pos);
    expect(a?.pos).toEqual({ line: 2, column: 9, endLine: 2, endColumn: 26 });
    expect([a?.comment, b?.comment, c?.comment]).toEqual(["three", "three", "three"]);
  });

  it("keeps arithmetic dimensions as expressions", () => {
    const s = struct("struct s {\n\tle16 ring[2 * x];\n\tle64 q[num_queues];\n\tu8 m[VIRTIO_NET_MAX];\n};\n");
    expect(fields(s).map((f) => f.arrays)).toEqual([[{ kind: "expr", text: "2 * x" }], [{ kind: "expr", text: "num_queues" }], [{ kind: "expr", text: "VIRTIO_NET_MAX" }]]);
  });

  it("reads CRLF listings like LF ones", () => {
    const lf = parse("struct s {\n\tle32 a; /* c */\n};\n#define X \\\n\t1\n");
    const crlf = parse("struct s {\r\n\tle32 a; /* c */\r\n};\r\n#define X \\\r\n\t1\r\n");
    expect(crlf.items).toEqual(lf.items);
    expect(crlf.problems).toEqual([]);
  });

  it("reads multi-word types", () => {
    const s = struct("struct s {\n\tunsigned int count;\n\tunsigned long long *p;\n};\n");
    expect(fields(s).map((f) => [f.typeText, f.baseType, f.name])).toEqual([
      ["unsigned int", "unsigned int", "count"],
      ["unsigned long long *", "unsigned long long", "p"],
    ]);
  });
});

describe("nested structs and unions", () => {
  // v1.4/device-types/gpu/description.tex:321
  it("reads a tagged nested struct with an array declarator", () => {
    const s = struct("struct virtio_gpu_resp_display_info {\n        struct virtio_gpu_ctrl_hdr hdr;\n        struct virtio_gpu_display_one {\n                struct virtio_gpu_rect r;\n                le32 enabled;\n                le32 flags;\n        } pmodes[VIRTIO_GPU_MAX_SCANOUTS];\n};\n");
    const nested = s.members[1] as NestedMember;
    expect(nested).toMatchObject({ kind: "nested", keyword: "struct", tag: "virtio_gpu_display_one", name: "pmodes", arrays: [{ kind: "expr", text: "VIRTIO_GPU_MAX_SCANOUTS" }] });
    expect(fields(nested).map((f) => f.name)).toEqual(["r", "enabled", "flags"]);
    expect(nested.bitfieldBase).toBeUndefined();
  });

  // v1.4/device-types/fs/description.tex:152
  it("reads an anonymous union", () => {
    const s = struct("struct virtio_fs_read_req {\n        // Device-readable part\n        struct fuse_in_header in;\n        union {\n                struct fuse_read_in readin;\n                u8 datain[sizeof(struct fuse_read_in)];\n        };\n\n        // Device-writable part\n        struct fuse_out_header out;\n        u8 dataout[out.len - sizeof(struct fuse_out_header)];\n};\n");
    expect(s.members.map((m) => m.kind)).toEqual(["comment", "field", "nested", "comment", "field", "field"]);
    const union = s.members[2] as NestedMember;
    expect(union).toMatchObject({ keyword: "union", tag: null, name: null, arrays: [] });
    expect(fields(union).map((f) => [f.typeText, f.name])).toEqual([
      ["struct fuse_read_in", "readin"],
      ["u8", "datain"],
    ]);
  });

  // v1.4/device-types/net/description.tex:2512: an array of anonymous structs
  it("reads `struct { ... } name[];`", () => {
    const s = struct("struct virtio_net_ctrl_queue_stats {\n       struct {\n           le16 vq_index;\n           le16 reserved[3];\n           le64 types_bitmap[2];\n       } stats[];\n};\n");
    expect(s.members[0]).toMatchObject({ kind: "nested", name: "stats", arrays: [{ kind: "empty" }] });
  });

  // v1.4/introduction.tex:300: the spec's own bit-field notation
  it("reads the spec's `be16 { A : 15; B : 1; } x;` bit-field groups", () => {
    const s = struct("struct S {\n        be16 {\n                A : 15;\n                B : 1;\n        } x;\n        be16 y;\n};\n");
    const group = s.members[0] as NestedMember;
    expect(group).toMatchObject({ kind: "nested", keyword: "struct", tag: null, name: "x", bitfieldBase: "be16" });
    expect(fields(group).map((f) => [f.typeText, f.name, f.bits])).toEqual([
      ["be16", "A", 15],
      ["be16", "B", 1],
    ]);
    expect(fields(s)[0]).toMatchObject({ typeText: "be16", name: "y" });
  });

  // v1.4/packed-ring.tex:434: a group whose bit-fields are separated by `,`, with comments
  it("reads bit-field groups with comma separators and comments", () => {
    const s = struct(
      "struct pvirtq_event_suppress {\n        le16 {\n             desc_event_off : 15; /* Descriptor Ring Change Event Offset */\n             desc_event_wrap : 1; /* Descriptor Ring Change Event Wrap Counter */\n        } desc; /* If desc_event_flags set to RING_EVENT_FLAGS_DESC */\n        le16 {\n             desc_event_flags : 2, /* Descriptor Ring Change Event Flags */\n             reserved : 14; /* Reserved, set to 0 */\n        } flags;\n};\n",
    );
    const [desc, flags] = s.members as NestedMember[];
    expect(desc?.comment).toBe("If desc_event_flags set to RING_EVENT_FLAGS_DESC");
    expect(fields(flags as NestedMember).map((f) => [f.name, f.bits, f.comment])).toEqual([
      ["desc_event_flags", 2, "Descriptor Ring Change Event Flags"],
      ["reserved", 14, "Reserved, set to 0"],
    ]);
    expect(parse("struct S {\n\tle16 {\n\t\ta : 1;\n\t} x;\n};\n").problems).toEqual([]);
  });
});

describe("struct attributes, unions and comments around structs", () => {
  // v1.4/device-types/balloon/description.tex:297 and v1.4/transport-ccw.tex:426
  it("collects __attribute__((packed)) with and without a space", () => {
    const balloon = struct("struct virtio_balloon_stat {\n#define VIRTIO_BALLOON_S_SWAP_IN  0\n        le16 tag;\n        le64 val;\n} __attribute__((packed));\n");
    expect(balloon.attributes).toEqual(["packed"]);
    expect(balloon.missingSemicolon).toBeUndefined();
    const ccw = struct("struct virtio_thinint_area {\n        be64 summary_indicator;\n        u8 isc;\n} __attribute__ ((packed));\n");
    expect(ccw.attributes).toEqual(["packed"]);
    expect(struct("struct __attribute__((aligned(8), packed)) s {\n\tu8 a;\n};\n").attributes).toEqual(["aligned(8)", "packed"]);
  });

  // v1.4/device-types/input/description.tex:38 (a union with a member `u`)
  it("reads top-level unions", () => {
    const s = struct("union u {\n\tle32 a;\n\tu8 b[4];\n};\n");
    expect(s.keyword).toBe("union");
  });

  // v1.4/split-ring.tex:393: a comment right above a struct is its leading comment
  it("attaches a comment directly above a struct, not one separated by a blank line", () => {
    const r = parse("/* le32 is used here for ids for padding reasons. */\nstruct virtq_used_elem {\n        le32 id;\n        le32 len;\n};\n\n/* later */\n\nstruct b {\n\tu8 x;\n};\n");
    expect(r.items.map((i) => i.kind)).toEqual(["struct", "comment", "struct"]);
    expect((r.items[0] as StructItem).leadingComment).toBe("le32 is used here for ids for padding reasons.");
    expect((r.items[2] as StructItem).leadingComment).toBeUndefined();
  });

  it("does not take a comment trailing the previous item for a leading comment", () => {
    const r = parse("struct a {\n\tu8 x;\n}; /* trails a */\nstruct b {\n\tu8 y;\n};\n");
    expect(r.items.map((i) => i.kind)).toEqual(["struct", "comment", "struct"]);
    expect((r.items[2] as StructItem).leadingComment).toBeUndefined();
  });

  // v1.4/packed-ring.tex:332 (boxed comment) and v1.4/device-types/scsi/description.tex:170 (// runs)
  it("strips comment delimiters and margins and merges // runs", () => {
    const r = parse("/*\n * Enable events for a specific descriptor\n * (as specified by Descriptor Ring Change Event Offset/Wrap Counter).\n * Only valid if VIRTIO_F_EVENT_IDX has been negotiated.\n */\n#define RING_EVENT_FLAGS_DESC 0x2\n");
    expect((r.items[0] as CommentItem).text).toBe("Enable events for a specific descriptor\n(as specified by Descriptor Ring Change Event Offset/Wrap Counter).\nOnly valid if VIRTIO_F_EVENT_IDX has been negotiated.");
    const s = struct("struct virtio_scsi_req_cmd {\n        // The next three fields are only present if VIRTIO_SCSI_F_T10_PI\n        // is negotiated.\n        u8 pi_out[pi_bytesout];\n};\n");
    expect(s.members[0]).toMatchObject({ kind: "comment", text: "The next three fields are only present if VIRTIO_SCSI_F_T10_PI\nis negotiated.", pos: { line: 2, column: 9, endLine: 3, endColumn: 26 } });
  });

  // v1.4/device-types/scsi/description.tex:357
  it("reads `$\\ldots$` and `...` elisions as comments marked ellipsis", () => {
    const s = struct("struct virtio_scsi_ctrl {\n        le32 type;\n$\\ldots$\n        u8 response;\n};\n");
    expect(s.members.map((m) => m.kind)).toEqual(["field", "comment", "field"]);
    expect(s.members[1]).toEqual({ kind: "comment", text: "$\\ldots$", ellipsis: true, pos: { line: 3, column: 1, endLine: 3, endColumn: 9 } });
    expect(struct("struct s {\n\tu8 a;\n\t...\n};\n").members[1]).toMatchObject({ kind: "comment", text: "...", ellipsis: true });
  });
});

describe("#define", () => {
  // seeds/virtio-ism-v3.mail.txt:279
  it("reads object-like defines with trailing // comments", () => {
    const defines = only(parse("#define   VIRTIO_ISM_EVENT_UPDATE (1 << 0)\n#define   VIRTIO_ISM_EVENT_BUFFER_FREE (1 << 3)  // Only if VIRTIO_ISM_F_DEV_MEM is not negotiated\n"), "define");
    expect(defines).toEqual([
      { kind: "define", name: "VIRTIO_ISM_EVENT_UPDATE", valueText: "(1 << 0)", indent: 0, pos: { line: 1, column: 1, endLine: 1, endColumn: 43 } },
      { kind: "define", name: "VIRTIO_ISM_EVENT_BUFFER_FREE", valueText: "(1 << 3)", indent: 0, comment: "Only if VIRTIO_ISM_F_DEV_MEM is not negotiated", pos: { line: 2, column: 1, endLine: 2, endColumn: 48 } },
    ]);
  });

  // seeds/virtio-ism-v3.mail.txt:444 (tab) and v1.4/device-types/net/description.tex:2011 (one space)
  it("measures the visual indent, tabs to multiples of 8", () => {
    const ism = only(parse("#define VIRTIO_ISM_CTRL_ALLOC  0\n\t#define VIRTIO_ISM_CTRL_ALLOC_REGION 0\n"), "define");
    expect(ism.map((d) => [d.name, d.indent])).toEqual([
      ["VIRTIO_ISM_CTRL_ALLOC", 0],
      ["VIRTIO_ISM_CTRL_ALLOC_REGION", 8],
    ]);
    expect(ism[1]?.pos.column).toBe(2);
    expect(only(parse("#define VIRTIO_NET_CTRL_MQ    4\n #define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET        0\n"), "define")[1]?.indent).toBe(1);
    expect(only(parse("  \t#define A 1\n"), "define")[0]?.indent).toBe(8);
    expect(only(parse("\t  \t#define A 1\n"), "define")[0]?.indent).toBe(16);
  });

  // v1.4/device-types/crypto/description.tex:409
  it("reads function-like macros and `\\` continuations", () => {
    const r = parse("#define VIRTIO_CRYPTO_OPCODE(service, op)   (((service) << 8) | (op))\n\nstruct virtio_crypto_ctrl_header {\n#define VIRTIO_CRYPTO_CIPHER_CREATE_SESSION \\\n       VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x02)\n    le32 opcode;\n};\n");
    expect(r.items[0]).toMatchObject({ kind: "define", name: "VIRTIO_CRYPTO_OPCODE", params: ["service", "op"], valueText: "(((service) << 8) | (op))" });
    const member = (r.items[1] as StructItem).members[0] as DefineItem;
    expect(member).toMatchObject({ kind: "define", name: "VIRTIO_CRYPTO_CIPHER_CREATE_SESSION", valueText: "VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_CIPHER, 0x02)", insideStruct: "virtio_crypto_ctrl_header" });
    expect(member.pos).toEqual({ line: 4, column: 1, endLine: 5, endColumn: 64 });
    expect(member.params).toBeUndefined();
  });

  // seeds/vhost-pci-net.mail.txt:281: defines inside a struct body
  it("keeps defines written inside a struct as members, once", () => {
    const r = parse("struct vhost_pci_ctrl_peer_mem_info {\n#define VHOST_PCI_MEM_INFO_NEED_MAP_N 0\n#define VHOST_PCI_MEM_INFO_NEED_MAP_Y 1\n        u8 need_map;\n        u64 peer_mem;\n        u8 other_mem_info[];\n}\n");
    expect(r.items).toHaveLength(1);
    const s = r.items[0] as StructItem;
    expect(s.members.map((m) => (m.kind === "define" ? `#${m.name}=${m.valueText}@${m.insideStruct}` : m.kind === "field" ? m.name : m.kind))).toEqual([
      "#VHOST_PCI_MEM_INFO_NEED_MAP_N=0@vhost_pci_ctrl_peer_mem_info",
      "#VHOST_PCI_MEM_INFO_NEED_MAP_Y=1@vhost_pci_ctrl_peer_mem_info",
      "need_map",
      "peer_mem",
      "other_mem_info",
    ]);
    expect(s.missingSemicolon).toBe(true);
  });

  it("strips comments from values but keeps string literals whole", () => {
    const [d] = only(parse('#define A /* one */ 1 /* two */\n#define S "a /* b */ c" // s\n'), "define");
    expect(d).toMatchObject({ valueText: "1", comment: "one two" });
    expect(only(parse('#define S "a /* b */ c" // s\n'), "define")[0]).toMatchObject({ valueText: '"a /* b */ c"', comment: "s" });
    expect(only(parse("#define EMPTY\n#define F(x)\n"), "define").map((x) => [x.name, x.valueText, x.params])).toEqual([
      ["EMPTY", "", undefined],
      ["F", "", ["x"]],
    ]);
  });

  // v1.4/device-types/media/description.tex:224 (a macro call with a character constant)
  it("keeps macro calls as value text", () => {
    expect(only(parse("#define VIDIOC_G_FMT _IOWR('V',  4, struct v4l2_format)\n"), "define")[0]?.valueText).toBe("_IOWR('V',  4, struct v4l2_format)");
  });
});

describe("enum", () => {
  // seeds/virtio-ism-v3.mail.txt:365
  it("reads enumerators with values", () => {
    const [e] = only(parse("enum virtio_ism_shm_id {\n\tVIRTIO_ISM_SHM_ID_UNDEFINED = 0,\n\tVIRTIO_ISM_SHM_ID_REGIONS   = 1,\n\tVIRTIO_ISM_SHM_ID_NOTIFY    = 2,\n};\n"), "enum");
    expect(e?.name).toBe("virtio_ism_shm_id");
    expect(e?.members.map((m) => [m.name, m.valueText])).toEqual([
      ["VIRTIO_ISM_SHM_ID_UNDEFINED", "0"],
      ["VIRTIO_ISM_SHM_ID_REGIONS", "1"],
      ["VIRTIO_ISM_SHM_ID_NOTIFY", "2"],
    ]);
    expect(e?.members[1]?.pos).toEqual({ line: 3, column: 2, endLine: 3, endColumn: 33 });
  });

  // v1.4/device-types/sound/description.tex:106 and :767: headings, implicit values, trailing comments
  it("reads implicit values, heading comments and trailing comments", () => {
    const [e] = only(parse("enum {\n    /* jack control request types */\n    VIRTIO_SND_R_JACK_INFO = 1,\n    VIRTIO_SND_R_JACK_REMAP,\n\n    /* PCM control request types */\n    VIRTIO_SND_R_PCM_INFO = 0x0100,\n    VIRTIO_SND_CHMAP_NONE = 0,  /* undefined */\n    VIRTIO_SND_CHMAP_BRC        /* bottom right center */\n};\n"), "enum");
    expect(e?.name).toBeNull();
    expect(e?.members).toEqual([
      { name: "VIRTIO_SND_R_JACK_INFO", valueText: "1", leadingComment: "jack control request types", pos: expect.any(Object) },
      { name: "VIRTIO_SND_R_JACK_REMAP", pos: expect.any(Object) },
      { name: "VIRTIO_SND_R_PCM_INFO", valueText: "0x0100", leadingComment: "PCM control request types", pos: expect.any(Object) },
      { name: "VIRTIO_SND_CHMAP_NONE", valueText: "0", comment: "undefined", pos: expect.any(Object) },
      { name: "VIRTIO_SND_CHMAP_BRC", comment: "bottom right center", pos: expect.any(Object) },
    ]);
  });

  // v1.4/device-types/media/description.tex:458: values that are names
  it("keeps symbolic values as text", () => {
    const [e] = only(parse("enum virtio_media_memory {\n    VIRTIO_MEDIA_MMAP = V4L2_MEMORY_MMAP,\n    VIRTIO_MEDIA_SHARED_PAGES = V4L2_MEMORY_USERPTR,\n};\n"), "enum");
    expect(e?.members.map((m) => m.valueText)).toEqual(["V4L2_MEMORY_MMAP", "V4L2_MEMORY_USERPTR"]);
  });

  it("reports a missing comma between enumerators and keeps both", () => {
    const r = parse("enum e {\n\tA = 1\n\tB = 2,\n};\n");
    expect(only(r, "enum")[0]?.members.map((m) => m.name)).toEqual(["A", "B"]);
    expect(r.problems).toEqual([{ reason: "missing-enum-comma", message: "missing `,` between enumerators `A` and `B`", pos: { line: 2, column: 7, endLine: 2, endColumn: 7 }, expected: '","' }]);
  });
});

describe("typedef", () => {
  it("reads simple typedefs", () => {
    const r = parse("typedef le32 virtio_id;\ntypedef u8 mac_addr[6];\ntypedef struct virtq_desc *desc_ptr;\n");
    expect(only(r, "typedef").map((t) => [t.name, t.typeText])).toEqual([
      ["virtio_id", "le32"],
      ["mac_addr", "u8[6]"],
      ["desc_ptr", "struct virtq_desc *"],
    ]);
    expect(r.problems).toEqual([]);
  });

  it("reads a typedef of a struct body as a struct and a typedef", () => {
    const r = parse("typedef struct virtio_x {\n\tle32 a;\n} virtio_x_t;\n");
    expect(r.items.map((i) => i.kind)).toEqual(["struct", "typedef"]);
    expect((r.items[0] as StructItem).name).toBe("virtio_x");
    expect(r.items[1] as TypedefItem).toMatchObject({ name: "virtio_x_t", typeText: "struct virtio_x" });
  });
});

describe("code and not-C listings", () => {
  // v1.4/split-ring.tex:90
  it("reads a macro and a function definition", () => {
    const r = parse("#define ALIGN(x) (((x) + qalign) & ~qalign)\nstatic inline unsigned virtq_size(unsigned int qsz)\n{\n     return ALIGN(sizeof(struct virtq_desc)*qsz + sizeof(u16)*(3 + qsz))\n          + ALIGN(sizeof(u16)*3 + sizeof(struct virtq_used_elem)*qsz);\n}\n");
    expect(r.items.map((i) => i.kind)).toEqual(["define", "code"]);
    expect((r.items[1] as CodeItem).text.startsWith("static inline unsigned virtq_size")).toBe(true);
    expect(r.items[1]?.pos).toEqual({ line: 2, column: 1, endLine: 6, endColumn: 2 });
  });

  // v1.4/content.tex:289: statements with a comment inside form one code item
  it("merges consecutive statements into one code item", () => {
    const body = "u32 before, after;\ndo {\n        before = get_config_generation(device);\n        // read config entry/entries.\n        after = get_config_generation(device);\n} while (after != before);\n";
    const r = parse(body);
    expect(r.items).toEqual([{ kind: "code", text: body.trimEnd(), pos: { line: 1, column: 1, endLine: 6, endColumn: 27 } }]);
  });

  // v1.4/transport-pci.tex:551, v1.4/introduction.tex:326, v1.4/device-types/gpio/description.tex:153
  it("reads bare expressions, initialisers and pseudo-code loops as code", () => {
    expect(parse("        cap.offset + queue_notify_off * notify_off_multiplier\n").items.map((i) => i.kind)).toEqual(["code"]);
    expect(parse("CPU_TO_BE16(B << 15 | A)\n").items.map((i) => i.kind)).toEqual(["code"]);
    expect(parse("u8 gpio_names[] = {\n    'M', 'M', 'C', '-', 'C', 'D', 0,\n    0,\n    'R', 'e', 'd', ' ', 'L', 'E', 'D', 0,\n    0\n};\n").items.map((i) => i.kind)).toEqual(["code"]);
    // v1.4/packed-ring.tex:597
    const r = parse("/* Note: vq->avail_wrap_count is initialized to 1 */\n\nid = alloc_id(vq);\nfor (each buffer element b) {\n        sgs++;\n        if (b is not the last buffer element) {\n                f |= VIRTQ_DESC_F_NEXT;\n        }\n}\nvq->sgs[id] = sgs;\n/* ID included in the last descriptor in the list */\nvq->desc[last].id = id;\n");
    expect(r.items.map((i) => i.kind)).toEqual(["comment", "code"]);
    expect((r.items[1] as CodeItem).text).toContain("/* ID included in the last descriptor in the list */");
  });

  // v1.4/admin-cmds-resource-objects.tex:22: a lone member line with its comment
  it("keeps a comment on the line of a statement in the code item", () => {
    const r = parse("le32 limit; /* maximum resource id = limit - 1 */\n");
    expect(r.items).toEqual([{ kind: "code", text: "le32 limit; /* maximum resource id = limit - 1 */", pos: { line: 1, column: 1, endLine: 1, endColumn: 50 } }]);
  });

  it("keeps preprocessor conditionals as code", () => {
    const r = parse("#if 0\n#define X 1\n#endif\n");
    expect(r.items.map((i) => i.kind)).toEqual(["code", "define", "code"]);
    expect((r.items[0] as CodeItem).text).toBe("#if 0");
  });

  // seeds/virtio-ism-v3.mail.txt:139 (first lines)
  it("classifies ASCII art", () => {
    const art = "|-------------------------------------------------|\n| |--------------|    |--------------|    |\n| | VM   [M1]    |    | VM     [M2]  |    |\n| |    |cq|     |    |   |cq|       |    |\n|-------------------------------------------------|\n";
    const r = parse(art);
    expect(r.items).toEqual([{ kind: "opaque", reason: "ascii-art", text: art.trimEnd(), pos: { line: 1, column: 1, endLine: 5, endColumn: 52 } }]);
    expect(r.problems).toEqual([]);
  });

  // v1.4/device-types/crypto/description.tex:1853, v1.4/transport-mmio.tex:21, v1.4/device-types/iommu/description.tex:561
  it("classifies ASN.1, device trees and pseudo-code", () => {
    expect((parse("Ecdsa-Sig-Value ::= SEQUENCE {\n    r INTEGER,\n    s INTEGER\n}\n").items[0] as OpaqueItem).reason).toBe("asn1");
    const dt = parse('// EXAMPLE: virtio_block device taking 512 bytes at 0x1e000, interrupt 42.\nvirtio_block@1e000 {\n        compatible = "virtio,mmio";\n        reg = <0x1e000 0x200>;\n        interrupts = <42>;\n}\n');
    expect(dt.items.map((i) => (i.kind === "opaque" ? `opaque:${i.reason}` : i.kind))).toEqual(["comment", "opaque:device-tree"]);
    // The `}` and the C-looking `compatible = ...;` line belong to the device-tree run: no stray-brace problem.
    expect(dt.problems).toEqual([]);
    const iommu = parse("(3) a = map(0, 4);\n    b = map(5, 9);\n    unmap(0, 9)                  -> succeeds, unmaps a and b\n");
    expect(iommu.items.map((i) => (i.kind === "opaque" ? `opaque:${i.reason}` : i.kind))).toEqual(["opaque:not-c"]);
    expect((parse("\\begin{itemize}\n\\item one\n").items[0] as OpaqueItem).reason).toBe("latex");
  });

  // seeds/virtio-ism-v3.mail.txt:390: a struct, a comment and defines, in order
  it("returns several items in source order", () => {
    const r = parse("struct virtio_ism_ctrl {\n\tu8 class;\n\tu8 ack;\n};\n\n/* ack values */\n#define VIRTIO_ISM_OK      0\n#define VIRTIO_ISM_ERR     255\n\nenum e { A };\ntypedef le16 t;\n");
    expect(r.items.map((i) => (i.kind === "define" ? i.name : i.kind))).toEqual(["struct", "comment", "VIRTIO_ISM_OK", "VIRTIO_ISM_ERR", "enum", "typedef"]);
    expect(r.items[1]).toEqual({ kind: "comment", text: "ack values", pos: { line: 6, column: 1, endLine: 6, endColumn: 17 } });
  });
});

describe("positions", () => {
  it("maps offsets to file lines and columns; tabs are one column", () => {
    const s = struct("\n\nstruct a {\n\tle32 x;\n};\n");
    expect(s.pos).toEqual({ line: 3, column: 1, endLine: 5, endColumn: 3 });
    expect(s.members[0]?.pos).toEqual({ line: 4, column: 2, endLine: 4, endColumn: 9 });
  });

  it("adds the start position, and the start column only on the first line", () => {
    const r = parseListing("struct a { le32 x; };\nstruct b {\n\tle32 y;\n};", { line: 100, column: 7 });
    expect(r.items[0]?.pos).toEqual({ line: 100, column: 7, endLine: 100, endColumn: 28 });
    expect(r.items[1]?.pos).toEqual({ line: 101, column: 1, endLine: 103, endColumn: 3 });
  });

  it("adds a stripped line prefix to the columns of every line after the first", () => {
    // seeds/virtio-ism-v3.mail.txt:216-223, body with the mail's `> +` removed from each line
    const r = parseListing("struct virtio_ism_config {\n\tle128 cdid;\n};\n", { line: 217, column: 4 }, { linePrefixWidth: 3 });
    const s = r.items[0] as StructItem;
    expect(s.pos).toEqual({ line: 217, column: 4, endLine: 219, endColumn: 6 });
    expect(s.members[0]?.pos).toEqual({ line: 218, column: 5, endLine: 218, endColumn: 16 });
  });

  it("sanitises nonsensical starts instead of throwing", () => {
    const r = parseListing("#define A 1\n", { line: -5, column: Number.NaN }, { linePrefixWidth: -2 });
    expect(r.items[0]?.pos).toEqual({ line: 1, column: 1, endLine: 1, endColumn: 12 });
  });
});

describe("recovery", () => {
  // v1.4/device-types/net/description.tex:595 (lines 618-622 of the file)
  it("recovers from a missing `;` after a member and from prose annotations", () => {
    const r = parse("struct virtio_net_hdr {\n        le16 num_buffers;\n        le32 hash_value;        (Only if VIRTIO_NET_F_HASH_REPORT negotiated)\n        le16 outer_th_offset    (Only if VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO or VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO negotiated)\n        le16 inner_nh_offset;   (Only if VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO or VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO negotiated)\n        le16 outer_nh_offset;   /* Only if VIRTIO_NET_F_OUT_NET_HEADER negotiated */\n};\n");
    const s = r.items[0] as StructItem;
    expect(fields(s).map((f) => [f.name, f.comment])).toEqual([
      ["num_buffers", undefined],
      ["hash_value", "(Only if VIRTIO_NET_F_HASH_REPORT negotiated)"],
      ["outer_th_offset", "(Only if VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO or VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO negotiated)"],
      ["inner_nh_offset", "(Only if VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO or VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO negotiated)"],
      ["outer_nh_offset", "Only if VIRTIO_NET_F_OUT_NET_HEADER negotiated"],
    ]);
    const missing = r.problems.filter((p) => p.reason === "missing-semicolon");
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ message: "missing `;` after member `outer_th_offset`", pos: { line: 4, column: 29, endLine: 4, endColumn: 29 } });
    expect(missing[0]?.expected).toContain('";"');
    expect(r.problems.filter((p) => p.reason === "non-c-annotation").map((p) => p.pos.line)).toEqual([3, 4, 5]);
  });

  it("recovers from a missing `;` without any annotation, keeping the next member", () => {
    const r = parse("struct s {\n\tle16 a\n\tle16 b;\n};\n");
    expect(fields(r.items[0] as StructItem).map((f) => f.name)).toEqual(["a", "b"]);
    expect(r.problems).toEqual([{ reason: "missing-semicolon", message: "missing `;` after member `a`", pos: { line: 2, column: 8, endLine: 2, endColumn: 8 }, expected: '"," or ";"' }]);
  });

  // seeds/vhost-pci-net.mail.txt:267
  it("flags `}` without `;` and reads the next item", () => {
    const r = parse("struct vhost_pci_ctrl_driver_feature_bits {\n        u64 feature_bits;\n}\n#define VHOST_PCI_CTRL_PEER_MEM_INFO 1\n");
    expect(r.items.map((i) => i.kind)).toEqual(["struct", "define"]);
    const s = r.items[0] as StructItem;
    expect(s.missingSemicolon).toBe(true);
    expect(s.pos).toEqual({ line: 1, column: 1, endLine: 3, endColumn: 2 });
    expect(r.problems).toEqual([]);
  });

  it("skips a broken member up to its `;`, reports what was expected, and keeps the rest", () => {
    const r = parse("struct s {\n\tle32 a;\n\tle32 = 5;\n\tle32 b;\n};\n#define AFTER 1\n");
    expect(fields(r.items[0] as StructItem).map((f) => f.name)).toEqual(["a", "b"]);
    expect(r.items[1]).toMatchObject({ kind: "define", name: "AFTER" });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ reason: "bad-member", pos: { line: 3, column: 7, endLine: 3, endColumn: 11 } });
    expect(r.problems[0]?.expected).toContain("identifier");
  });

  it("reports an unclosed body at the end of the listing and keeps its members", () => {
    const r = parse("struct s {\n\tle32 a;\n\tstruct {\n\t\tu8 b;\n");
    const s = r.items[0] as StructItem;
    expect(s.members.map((m) => m.kind)).toEqual(["field", "nested"]);
    expect(s.pos).toEqual({ line: 1, column: 1, endLine: 4, endColumn: 8 });
    expect(r.problems.map((p) => [p.reason, p.pos.line, p.pos.column, p.pos.endColumn])).toEqual([
      ["unclosed-body", 4, 8, 8],
      ["unclosed-body", 4, 8, 8],
    ]);
    expect(r.problems[0]?.expected).toContain('"}"');
    expect(r.problems[0]?.expected).toContain("identifier");
  });

  it("ends a body missing its `};` where the next definition starts in column 1", () => {
    const r = parse("struct a {\n\tle32 x;\n\nstruct b {\n\tle32 y;\n};\n#define Z 1\n");
    expect(r.items.map((i) => (i.kind === "struct" || i.kind === "define" ? `${i.kind} ${i.name}` : i.kind))).toEqual(["struct a", "struct b", "define Z"]);
    expect(r.items[0]?.pos).toEqual({ line: 1, column: 1, endLine: 2, endColumn: 9 });
    expect(r.problems).toEqual([{ reason: "unclosed-body", message: "`struct a` has no closing `}` before the next definition", pos: { line: 2, column: 9, endLine: 2, endColumn: 9 }, expected: '"}"' }]);
    // An indented definition inside a body stays nested.
    expect(fields(struct("struct a {\n\tstruct b {\n\t\tu8 y;\n\t} b;\n};\n"))).toEqual([]);
  });

  it("reports a `}` without an open body", () => {
    const r = parse("#define A 1\n};\n#define B 2\n");
    expect(only(r, "define").map((d) => d.name)).toEqual(["A", "B"]);
    expect(r.problems).toEqual([{ reason: "unbalanced-brace", message: "`}` without an open struct, union or enum body", pos: { line: 2, column: 1, endLine: 2, endColumn: 3 } }]);
  });

  // v1.4/admin.tex:255
  it("ends an unterminated comment at its line and keeps the member after it", () => {
    const r = parse("struct virtio_admin_cmd_list {\n       /* Indicates which of the below fields were returned\n       le64 device_admin_cmd_opcodes[];\n};\n");
    const s = r.items[0] as StructItem;
    expect(s.members.map((m) => m.kind)).toEqual(["comment", "field"]);
    expect(r.problems).toEqual([{ reason: "unterminated-comment", message: "`/*` comment without `*/`; taken to end at the end of its line", pos: { line: 2, column: 8, endLine: 2, endColumn: 60 }, expected: '"*/"' }]);
  });

  // v1.4/device-types/net/description.tex:1723
  it("reports member names that are not identifiers", () => {
    const r = parse("struct virtio_net_ctrl {\n        u8 class;\n        u8 command-specific-data[];\n        u8 ack;\n};\n");
    expect(fields(r.items[0] as StructItem).map((f) => f.name)).toEqual(["class", "command-specific-data", "ack"]);
    expect(r.problems).toEqual([{ reason: "invalid-identifier", message: "member name `command-specific-data` is not a C identifier", pos: { line: 3, column: 12, endLine: 3, endColumn: 33 } }]);
  });

  // v1.4/device-types/gpu/description.tex:732 and v1.4/device-types/net/description.tex:2011
  it("reports define values ending in `;` and prose after a define's value", () => {
    const semi = parse("#define VIRTIO_GPU_CONTEXT_INIT_CAPSET_ID_MASK 0x000000ff;\n");
    expect(only(semi, "define")[0]?.valueText).toBe("0x000000ff;");
    expect(semi.problems.map((p) => p.reason)).toEqual(["define-trailing-semicolon"]);
    const prose = parse(" #define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET        0 (for automatic receive steering)\n");
    expect(only(prose, "define")[0]).toMatchObject({ valueText: "0", comment: "(for automatic receive steering)", indent: 1 });
    expect(prose.problems.map((p) => p.reason)).toEqual(["non-c-annotation"]);
  });

  it("reports a nested body without `;` and a declarator after a top-level body", () => {
    const nested = parse("struct s {\n\tstruct {\n\t\tu8 a;\n\t} inner\n\tu8 b;\n};\n");
    expect(fields(nested.items[0] as StructItem).map((f) => f.name)).toEqual(["b"]);
    expect(nested.problems.map((p) => [p.reason, p.message])).toEqual([["missing-semicolon", "missing `;` after `struct { ... } inner`"]]);
    const declared = parse("struct s {\n\tu8 a;\n} var;\n");
    expect((declared.items[0] as StructItem).missingSemicolon).toBeUndefined();
    expect(declared.problems.map((p) => p.reason)).toEqual(["declarator-after-body"]);
  });

  it("reports preprocessor conditionals inside a body, and bit widths that are not numbers", () => {
    const r = parse("struct s {\n#if X\n\tu8 a : WIDTH;\n#endif\n};\n");
    expect(r.problems.map((p) => p.reason)).toEqual(["directive-in-body", "bad-bit-width", "directive-in-body"]);
    expect(fields(r.items[0] as StructItem)[0]).toMatchObject({ name: "a" });
    expect(fields(r.items[0] as StructItem)[0]?.bits).toBeUndefined();
  });

  it("treats too deeply nested brackets as not C, without recursing", () => {
    // The struct's `{` is the first level, so the MAX_NESTING-th `(` is the first one too deep.
    const body = `struct s {\n${"(".repeat(MAX_NESTING)}\n};\n`;
    const r = parse(body);
    expect(r.items).toEqual([{ kind: "opaque", reason: "not-c", text: body, pos: { line: 1, column: 1, endLine: 4, endColumn: 1 } }]);
    expect(r.problems).toEqual([{ reason: "nesting-too-deep", message: `brackets nest deeper than ${MAX_NESTING} levels; the listing is not read as C`, pos: { line: 2, column: MAX_NESTING, endLine: 2, endColumn: MAX_NESTING + 1 } }]);
    expect(parse(`${"(".repeat(MAX_NESTING)}${")".repeat(MAX_NESTING)};\n`).problems).toEqual([]);
  });

  it("bounds recursion that brackets do not show: prefix chains, casts, else-if and ?: nesting", () => {
    for (const body of [`x = ${"- ".repeat(5000)}1;\n`, `if (a) x; ${"else if (a) x; ".repeat(3000)}\n`, `x = ${"a ? ".repeat(3000)}a${" : a".repeat(3000)};\n`]) {
      const r = parse(body);
      expect(r.problems.map((p) => p.reason)).toEqual(["nesting-too-deep"]);
      expect(r.items.map((i) => i.kind)).toEqual(["opaque"]);
    }
    // `(a)(a)...` as nested casts hits the bound; read as a chain of calls it is still C.
    const casts = parse(`${"(a)".repeat(3000)};\n`);
    expect(casts.problems.map((p) => p.reason)).toEqual(["nesting-too-deep"]);
    expect(casts.items.map((i) => i.kind)).toEqual(["code"]);
    // Shallow versions of the same are ordinary code.
    expect(parse(`x = ${"- ".repeat(20)}1;\nif (a) x; else if (b) y; else z;\nx = a ? b : c ? d : e;\n`).items.map((i) => i.kind)).toEqual(["code"]);
  });

  it("stops spending work on an operator chain that never ends, and says so", () => {
    // Every line starts a comma expression that runs to the end of the listing without its `;`.
    const r = parse(`f(${"x,\n".repeat(2000)}`);
    expect(r.items.map((i) => i.kind)).toEqual(["opaque"]);
    expect(r.problems.map((p) => p.reason)).toEqual(["too-complex"]);
  });

  it("answers empty and non-string bodies without throwing", () => {
    expect(parse("")).toEqual({ items: [], problems: [] });
    expect(parse("  \n\t\n")).toEqual({ items: [], problems: [] });
    expect(parseListing(undefined as unknown as string, AT_1_1)).toEqual({ items: [], problems: [] });
  });
});

describe("enums in item positions", () => {
  it("gives enums a leading comment like structs", () => {
    const r = parse("/* supported jack features */\nenum {\n    VIRTIO_SND_JACK_F_REMAP = 0\n};\n");
    expect(r.items).toHaveLength(1);
    expect((r.items[0] as EnumItem).leadingComment).toBe("supported jack features");
  });
});
