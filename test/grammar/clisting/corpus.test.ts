// Every lstlisting of the three spec trees and the two proposal mails, parsed and checked against
// independent line counts, the file text at every reported position, and the list of real defects.

import { afterAll, describe, expect, it } from "vitest";
import { parseListing, type ListingItem, type ListingParse, type Member } from "../../../grammar/clisting/clisting.js";
import { MAILS, TREES, readShared, seedListings, sharedRoot, treeListings, type ListingFixture } from "./fixtures.js";

const root = sharedRoot();

interface Parsed {
  fixture: ListingFixture;
  result: ListingParse;
}

interface Counts {
  listings: number;
  structs: number;
  defines: number;
  enums: number;
  typedefs: number;
  code: number;
  opaque: number;
  comments: number;
  missingSemicolon: number;
  problems: number;
}

const table: Record<string, Counts> = {};

function parseAll(fixtures: ListingFixture[]): Parsed[] {
  return fixtures.map((fixture) => ({ fixture, result: parseListing(fixture.body, { line: fixture.line, column: fixture.column }, { linePrefixWidth: fixture.linePrefixWidth }) }));
}

function walkMembers(members: readonly Member[], visit: (m: Member) => void): void {
  for (const m of members) {
    visit(m);
    if (m.kind === "nested") walkMembers(m.members, visit);
  }
}

function countAll(parsed: Parsed[]): Counts {
  const c: Counts = { listings: parsed.length, structs: 0, defines: 0, enums: 0, typedefs: 0, code: 0, opaque: 0, comments: 0, missingSemicolon: 0, problems: 0 };
  for (const { result } of parsed) {
    c.problems += result.problems.length;
    for (const item of result.items) {
      if (item.kind === "struct") {
        c.structs++;
        if (item.missingSemicolon) c.missingSemicolon++;
        walkMembers(item.members, (m) => {
          if (m.kind === "define") c.defines++;
        });
      } else if (item.kind === "define") c.defines++;
      else if (item.kind === "enum") c.enums++;
      else if (item.kind === "typedef") c.typedefs++;
      else if (item.kind === "code") c.code++;
      else if (item.kind === "opaque") c.opaque++;
      else c.comments++;
    }
  }
  return c;
}

/** Independent counts from the raw lines of the bodies. */
function lineCounts(fixtures: ListingFixture[]): { structs: number; defines: number; enums: number } {
  const lines = fixtures.flatMap((f) => f.body.split("\n"));
  return {
    // A struct/union definition starts in column 1 in every listing; declarations with `;` are code.
    structs: lines.filter((l) => /^(?:struct|union)\b[^;]*$/.test(l)).length,
    defines: lines.filter((l) => /^\s*#\s*define\b/.test(l)).length,
    enums: lines.filter((l) => /^\s*enum\b[^;]*$/.test(l)).length,
  };
}

/** `file:line reason` of every problem, and `file:line reason` of every opaque item. */
function findings(parsed: Parsed[]): { problems: string[]; opaque: string[]; missingSemicolon: string[] } {
  const problems: string[] = [];
  const opaque: string[] = [];
  const missingSemicolon: string[] = [];
  for (const { fixture, result } of parsed) {
    for (const p of result.problems) problems.push(`${fixture.file}:${p.pos.line} ${p.reason}`);
    for (const item of result.items) {
      if (item.kind === "opaque") opaque.push(`${fixture.file}:${item.pos.line} ${item.reason}`);
      if (item.kind === "struct" && item.missingSemicolon) missingSemicolon.push(`${fixture.file}:${item.pos.line} ${item.name}`);
    }
  }
  return { problems, opaque, missingSemicolon };
}

/**
 * Checks every position against the file: the text at each start is what the node says it is, and
 * each end lies within the listing. Returns the mismatches.
 */
function positionMismatches(parsed: Parsed[], fileText: (file: string) => string[]): string[] {
  const bad: string[] = [];
  for (const { fixture, result } of parsed) {
    const lines = fileText(fixture.file);
    const lastLine = fixture.line + fixture.body.split("\n").length - 1;
    const at = (pos: { line: number; column: number }) => (lines[pos.line - 1] ?? "").slice(pos.column - 1);
    const check = (what: string, pos: { line: number; column: number; endLine: number; endColumn: number }, starts: string) => {
      const inRange = pos.line >= fixture.line && pos.endLine <= lastLine && (pos.endLine > pos.line || pos.endColumn >= pos.column);
      if (!inRange || !at(pos).startsWith(starts)) bad.push(`${fixture.file}:${pos.line}:${pos.column} ${what}: expected ${JSON.stringify(starts)}, found ${JSON.stringify(at(pos).slice(0, 20))}`);
    };
    const member = (m: Member) => {
      if (m.kind === "field") check(`field ${m.name}`, m.pos, m.bits !== undefined && !at(m.pos).startsWith(m.typeText.split(" ")[0] as string) ? m.name : (m.typeText.split(" ")[0] as string));
      else if (m.kind === "nested") check(`nested ${m.name}`, m.pos, m.bitfieldBase ?? m.keyword);
      else if (m.kind === "define") check(`define ${m.name}`, m.pos, "#");
      else check("comment", m.pos, m.ellipsis ? m.text : at(m.pos).startsWith("//") ? "//" : "/*");
    };
    for (const item of result.items as ListingItem[]) {
      switch (item.kind) {
        case "struct":
          check(`struct ${item.name}`, item.pos, item.keyword);
          // The declaration ends at its `;`, or at the `}` (or attribute) when the `;` is missing.
          if (!item.missingSemicolon && !(lines[item.pos.endLine - 1] ?? "").slice(0, item.pos.endColumn - 1).endsWith(";")) bad.push(`${fixture.file}:${item.pos.endLine} struct ${item.name} does not end at ';'`);
          walkMembers(item.members, member);
          break;
        case "define":
          check(`define ${item.name}`, item.pos, "#");
          break;
        case "enum":
          check(`enum ${item.name}`, item.pos, "enum");
          for (const m of item.members) check(`enumerator ${m.name}`, m.pos, m.name);
          break;
        case "typedef":
          check(`typedef ${item.name}`, item.pos, "typedef");
          break;
        case "comment":
          check("comment", item.pos, item.ellipsis ? item.text : at(item.pos).startsWith("//") ? "//" : "/*");
          break;
        case "code":
        case "opaque":
          check(item.kind, item.pos, item.text.split("\n")[0] as string);
          break;
      }
    }
  }
  return bad;
}

describe.skipIf(root === null)("clisting on the real inputs (../shared)", () => {
  // vitest still runs a skipped suite's body to collect its tests: load nothing without the inputs.
  if (root === null) {
    it.skip("needs ../shared/virtio-spec and ../shared/seeds (or $VIRTIOKIT_SHARED)", () => {});
    return;
  }
  const shared = root;
  const parsedTrees = new Map<string, Parsed[]>();
  const parsedTree = (tree: (typeof TREES)[number]): Parsed[] => {
    let parsed = parsedTrees.get(tree);
    if (parsed === undefined) parsedTrees.set(tree, (parsed = parseAll(treeListings(shared, tree))));
    return parsed;
  };
  const fileCache = new Map<string, string[]>();
  const fileText = (file: string) => {
    let lines = fileCache.get(file);
    if (lines === undefined) fileCache.set(file, (lines = readShared(shared, file).split("\n")));
    return lines;
  };

  afterAll(() => {
    // The counts the brief asks for, in the test log.
    console.table(table);
  });

  for (const tree of TREES) {
    describe(tree, () => {
      const fixtures = treeListings(shared, tree);
      const parsed = parsedTree(tree);
      table[tree] = countAll(parsed);

      it("parses every listing, and finds the structs, defines and enums the lines show", () => {
        const counts = countAll(parsed);
        const expected = lineCounts(fixtures);
        expect(counts.structs).toBe(expected.structs);
        expect(counts.defines).toBe(expected.defines);
        expect(counts.enums).toBe(expected.enums);
      });

      it("reports positions that point at the node in the file", () => {
        expect(positionMismatches(parsed, fileText)).toEqual([]);
      });
    });
  }

  describe("v1.4 in detail", () => {
    const parsed = parsedTree("v1.4");
    const found = findings(parsed);
    const dt = "virtio-spec/v1.4/device-types";

    it("has about 320 structs", () => {
      expect(countAll(parsed).listings).toBe(347);
      expect(countAll(parsed).structs).toBeGreaterThan(300);
      expect(countAll(parsed).structs).toBeLessThan(340);
    });

    it("reports exactly the listings' real defects", () => {
      expect(found.problems).toEqual([
        // `/* Indicates which of the below fields were returned` is never closed.
        "virtio-spec/v1.4/admin.tex:256 unterminated-comment",
        // `#define VIRTIO_GPU_CONTEXT_INIT_CAPSET_ID_MASK 0x000000ff;`
        `${dt}/gpu/description.tex:732 define-trailing-semicolon`,
        // virtio_net_hdr: `le32 hash_value;        (Only if VIRTIO_NET_F_HASH_REPORT negotiated)` ...
        `${dt}/net/description.tex:618 non-c-annotation`,
        `${dt}/net/description.tex:619 non-c-annotation`,
        `${dt}/net/description.tex:620 non-c-annotation`,
        // ... and `le16 outer_th_offset    (Only if ...)` has no `;` at all.
        `${dt}/net/description.tex:621 missing-semicolon`,
        `${dt}/net/description.tex:621 non-c-annotation`,
        `${dt}/net/description.tex:622 non-c-annotation`,
        // `u8 command-specific-data[];` / `u8 command-specific-result[];`
        `${dt}/net/description.tex:1726 invalid-identifier`,
        `${dt}/net/description.tex:1728 invalid-identifier`,
        // ` #define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET        0 (for automatic receive steering)` and two more
        `${dt}/net/description.tex:2012 non-c-annotation`,
        `${dt}/net/description.tex:2013 non-c-annotation`,
        `${dt}/net/description.tex:2014 non-c-annotation`,
      ]);
    });

    it("flags the structs closed by `}` without `;`", () => {
      expect(found.missingSemicolon).toEqual([
        `${dt}/crypto/description.tex:2158 virtio_crypto_resource_obj_ipsec_sa_256b_key`,
        `${dt}/mem/description.tex:197 virtio_mem_req`,
        `${dt}/mem/description.tex:222 virtio_mem_resp`,
        `${dt}/mem/description.tex:315 virtio_mem_req_plug`,
        `${dt}/mem/description.tex:361 virtio_mem_req_unplug`,
        `${dt}/net/description.tex:2201 virtnet_rss_ctx_cap`,
        `${dt}/net/description.tex:2487 virtio_net_stats_capabilities`,
        `${dt}/net/description.tex:2520 virtio_net_stats_reply_hdr`,
        `${dt}/rpmb/description.tex:28 virtio_rpmb_config`,
      ]);
    });

    it("finds only non-C listings opaque", () => {
      expect(found.opaque).toEqual([
        "virtio-spec/v1.4/cl-cs05.tex:1926 ascii-art", // RSS context diagram
        "virtio-spec/v1.4/cl-cs05.tex:2069 ascii-art", // legacy interface diagram
        `${dt}/crypto/description.tex:864 asn1`, // RSAPrivateKey ::= SEQUENCE
        `${dt}/crypto/description.tex:897 asn1`, // ECPrivateKey ::= SEQUNCE
        `${dt}/crypto/description.tex:912 asn1`, // ECPoint ::= OCTET STRING
        `${dt}/crypto/description.tex:1853 asn1`, // Ecdsa-Sig-Value ::= SEQUENCE
        `${dt}/iommu/description.tex:561 not-c`, // (1) unmap(virt_start=0, ...) -> succeeds
        "virtio-spec/v1.4/transport-mmio.tex:22 device-tree", // virtio_block@1e000 { ... }
      ]);
    });
  });

  describe("base trees in detail", () => {
    it("base-985bbf3 (the ISM patch's base): the same defects as v1.4 had then", () => {
      const found = findings(parsedTree("base-985bbf3"));
      const base = "virtio-spec/base-985bbf3";
      expect(found.problems).toEqual([
        `${base}/content.tex:3391 non-c-annotation`,
        `${base}/content.tex:3392 non-c-annotation`,
        `${base}/content.tex:3393 non-c-annotation`,
        `${base}/content.tex:4025 invalid-identifier`,
        `${base}/content.tex:4287 non-c-annotation`,
        `${base}/content.tex:4288 non-c-annotation`,
        `${base}/content.tex:4289 non-c-annotation`,
        `${base}/virtio-gpu.tex:715 define-trailing-semicolon`,
      ]);
      expect(found.opaque).toEqual([
        `${base}/content.tex:1752 device-tree`,
        `${base}/virtio-crypto.tex:828 asn1`,
        `${base}/virtio-crypto.tex:861 asn1`,
        `${base}/virtio-crypto.tex:876 asn1`,
        `${base}/virtio-crypto.tex:1795 asn1`,
        `${base}/virtio-iommu.tex:561 not-c`,
      ]);
      expect(found.missingSemicolon.map((m) => m.split(" ")[1])).toEqual(["virtio_mem_req", "virtio_mem_resp", "virtio_mem_req_plug", "virtio_mem_req_unplug", "virtio_rpmb_config"]);
    });

    it("base-be7a82c: the scsi structs without `;`, one bad name, the device-tree example", () => {
      const found = findings(parsedTree("base-be7a82c"));
      expect(found.problems.map((p) => p.split(" ")[1])).toEqual(["invalid-identifier"]);
      expect(found.missingSemicolon.map((m) => m.split(" ")[1])).toEqual(["virtio_scsi_ctrl_tmf", "virtio_scsi_ctrl_an", "virtio_scsi_ctrl_an", "virtio_scsi_event"]);
      expect(found.opaque.map((o) => o.split(" ")[1])).toEqual(["device-tree"]);
    });
  });

  for (const mail of MAILS) {
    describe(mail.file, () => {
      const fixtures = seedListings(shared, mail);
      const parsed = parseAll(fixtures);
      table[mail.file] = countAll(parsed);

      it("parses every listing the patch adds, with positions into the mail", () => {
        expect(countAll(parsed).structs).toBe(lineCounts(fixtures).structs);
        expect(countAll(parsed).defines).toBe(lineCounts(fixtures).defines);
        expect(positionMismatches(parsed, fileText)).toEqual([]);
      });
    });
  }

  it("ISM mail: 15 structs, the enum, the command defines and the diagram; no defects", () => {
    const parsed = parseAll(seedListings(shared, MAILS[0]));
    const found = findings(parsed);
    expect(countAll(parsed)).toMatchObject({ listings: 22, structs: 15, enums: 1, opaque: 1, problems: 0, missingSemicolon: 0 });
    expect(found.opaque).toEqual(["seeds/virtio-ism-v3.mail.txt:140 ascii-art"]);
    // The class/command nesting: commands are tab-indented under their class.
    const defines = parsed.flatMap((p) => p.result.items).filter((i) => i.kind === "define");
    expect(defines.filter((d) => d.indent === 8).map((d) => d.name)).toEqual([
      "VIRTIO_ISM_CTRL_ALLOC_REGION",
      "VIRTIO_ISM_CTRL_QUERY_INFO",
      "VIRTIO_ISM_CTRL_ATTACH_REGION",
      "VIRTIO_ISM_CTRL_DETACH_REGION",
      "VIRTIO_ISM_CTRL_GRANT_SET_DEFAULT",
      "VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE",
      "VIRTIO_ISM_CTRL_EVENT_VECTOR_SET",
    ]);
  });

  it("vhost-pci mail: four structs closed by `}` without `;`, and defines inside them", () => {
    const parsed = parseAll(seedListings(shared, MAILS[1]));
    const found = findings(parsed);
    expect(found.problems).toEqual([]);
    expect(found.missingSemicolon).toEqual([
      "seeds/vhost-pci-net.mail.txt:268 vhost_pci_ctrl_driver_feature_bits",
      "seeds/vhost-pci-net.mail.txt:281 vhost_pci_ctrl_peer_mem_info",
      "seeds/vhost-pci-net.mail.txt:310 vhost_pci_ctrl_peer_virtq_info",
      "seeds/vhost-pci-net.mail.txt:338 vhost_pci_ctrl_dirty_page_logging",
    ]);
    const inside: string[] = [];
    for (const item of parsed.flatMap((p) => p.result.items)) {
      if (item.kind === "struct") walkMembers(item.members, (m) => m.kind === "define" && inside.push(`${m.insideStruct}.${m.name}`));
    }
    expect(inside).toEqual([
      "vhost_pci_ctrl_peer_mem_info.VHOST_PCI_MEM_INFO_NEED_MAP_N",
      "vhost_pci_ctrl_peer_mem_info.VHOST_PCI_MEM_INFO_NEED_MAP_Y",
      "vhost_pci_ctrl_peer_virtq_info.VHOST_PCI_PEER_VIRTQ_TX",
      "vhost_pci_ctrl_peer_virtq_info.VHOST_PCI_PEER_VIRTQ_RX",
      "vhost_pci_ctrl_dirty_page_logging.VHOST_PCI_DIRTY_PAGE_LOGGING_OFF",
      "vhost_pci_ctrl_dirty_page_logging.VHOST_PCI_DIRTY_PAGE_LOGGING_ON",
    ]);
  });
});
