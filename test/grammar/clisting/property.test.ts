// Property tests: parseListing returns (never throws) on any text, its positions stay inside the
// listing and point at the text they describe, and a parse leaves no state behind.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseListing, type ListingParse, type Member, type Pos } from "../../../grammar/clisting/clisting.js";
import { sharedRoot, treeListings } from "./fixtures.js";

interface Start {
  line: number;
  column: number;
  prefix: number;
}

/** Offset in `body` of a file position, inverting the mapping parseListing documents. */
function offsetOf(body: string, start: Start, line: number, column: number): number {
  const lines = body.split("\n");
  const index = line - start.line;
  let offset = 0;
  for (let i = 0; i < index; i++) offset += (lines[i] as string).length + 1;
  return offset + (index === 0 ? column - start.column : column - 1 - start.prefix);
}

function allPositions(result: ListingParse): Pos[] {
  const out: Pos[] = [];
  const members = (list: readonly Member[]) => {
    for (const m of list) {
      out.push(m.pos);
      if (m.kind === "nested") members(m.members);
    }
  };
  for (const item of result.items) {
    out.push(item.pos);
    if (item.kind === "struct") members(item.members);
    if (item.kind === "enum") for (const m of item.members) out.push(m.pos);
  }
  for (const p of result.problems) out.push(p.pos);
  return out;
}

/** The invariants every parse must satisfy; returns a description of the first broken one, or null. */
function violation(body: string, start: Start): string | null {
  let result: ListingParse;
  try {
    result = parseListing(body, { line: start.line, column: start.column }, { linePrefixWidth: start.prefix });
  } catch (error) {
    return `threw ${String(error)}`;
  }
  for (const pos of allPositions(result)) {
    const from = offsetOf(body, start, pos.line, pos.column);
    const to = offsetOf(body, start, pos.endLine, pos.endColumn);
    if (!(from >= 0 && from <= to && to <= body.length)) return `position ${JSON.stringify(pos)} outside the body (offsets ${from}..${to} of ${body.length})`;
  }
  let previous = -1;
  for (const item of result.items) {
    const from = offsetOf(body, start, item.pos.line, item.pos.column);
    if (from < previous) return `items out of order at ${JSON.stringify(item.pos)}`;
    previous = from;
    if (item.kind === "code" || item.kind === "opaque") {
      if (body.slice(from, from + item.text.length) !== item.text) return `${item.kind} text is not the source at ${JSON.stringify(item.pos)}`;
      if (offsetOf(body, start, item.pos.endLine, item.pos.endColumn) !== from + item.text.length) return `${item.kind} end does not match its text`;
    }
  }
  const again = parseListing(body, { line: start.line, column: start.column }, { linePrefixWidth: start.prefix });
  if (JSON.stringify(again) !== JSON.stringify(result)) return "a second parse of the same text differs";
  return null;
}

/** Pieces of C, of the spec's defects and of not-C, so random text reaches deep into the grammar. */
const FRAGMENTS = [
  "struct", "union", "enum", "typedef", " ", " ", "\n", "\n", "\t", "{", "}", "};", ";", ",", ":", "=", "*", "(", ")", "[", "]",
  "le32", "u8", "x", "name_1", "A", "0", "1", "0x10", "/*", "*/", "/* c */", "//", "// c\n", "#define", "#define A 1\n", "#if 0\n",
  "\\\n", "'", '"', "$\\ldots$", "...", "|", "+--+", "::=", "@", "(Only if X negotiated)", "-", "__attribute__((packed))", "le16 {",
  "for (;;)", "if (x)", "return", "do", "while", "sizeof", "->", "<<", "?", "\r", "\u00e9",
];

const fragmentText = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((parts) => parts.join(""));
const start = fc.record({ line: fc.integer({ min: 1, max: 5000 }), column: fc.integer({ min: 1, max: 40 }), prefix: fc.integer({ min: 0, max: 4 }) });

const SAMPLES = [
  "struct virtio_ism_ctrl {\n\tu8 class;\n\tu8 command;\n\tu8 command_specific_data[];\n\tu8 ack;\n};\n\n/* ack values */\n#define VIRTIO_ISM_OK      0\n",
  "struct vhost_pci_ctrl_peer_mem_info {\n#define VHOST_PCI_MEM_INFO_NEED_MAP_N 0\n        u8 need_map;\n        u8 other_mem_info[];\n}\n",
  "struct pvirtq_event_suppress {\n        le16 {\n             desc_event_off : 15; /* Offset */\n             desc_event_wrap : 1;\n        } desc;\n};\n",
  "enum virtio_gpu_ctrl_type {\n        /* 2d commands */\n        VIRTIO_GPU_CMD_GET_DISPLAY_INFO = 0x0100,\n        VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,\n};\n",
  "u32 before, after;\ndo {\n        before = get_config_generation(device);\n} while (after != before);\n",
];

/** Real listings when the inputs are there, the samples above otherwise. */
const corpus = (() => {
  const root = sharedRoot();
  const real = root === null ? [] : treeListings(root, "v1.4").map((f) => f.body);
  return real.length > 0 ? real : SAMPLES;
})();

/** A random edit of a real listing: delete, insert or duplicate text, or swap two lines. */
const mutated = fc
  .record({
    listing: fc.integer({ min: 0, max: corpus.length - 1 }),
    edits: fc.array(
      fc.record({ kind: fc.constantFrom("delete", "insert", "duplicate", "swap"), at: fc.nat(), length: fc.integer({ min: 0, max: 40 }), text: fc.constantFrom(...FRAGMENTS) }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ listing, edits }) => {
    let body = corpus[listing] as string;
    for (const edit of edits) {
      const at = body.length === 0 ? 0 : edit.at % body.length;
      if (edit.kind === "delete") body = body.slice(0, at) + body.slice(at + edit.length);
      else if (edit.kind === "insert") body = body.slice(0, at) + edit.text + body.slice(at);
      else if (edit.kind === "duplicate") body = body.slice(0, at) + body.slice(at, at + edit.length) + body.slice(at);
      else {
        const lines = body.split("\n");
        const a = at % lines.length;
        const b = (at + edit.length) % lines.length;
        [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
        body = lines.join("\n");
      }
    }
    return body;
  });

describe("parseListing properties", () => {
  it("holds its invariants on random C-like fragments", () => {
    fc.assert(fc.property(fragmentText, start, (body, s) => violation(body, s) === null), { numRuns: 400 });
  });

  it("holds its invariants on arbitrary strings, including lone surrogates and control characters", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 160 }), start, (body, s) => violation(body, s) === null), { numRuns: 200 });
  });

  it("holds its invariants on random edits of real listings", () => {
    fc.assert(fc.property(mutated, start, (body, s) => violation(body, s) === null), { numRuns: 300 });
  });

  it("checks positions with an inverse that matches the documented mapping", () => {
    // Body line 2 ("cd") is file line 4; its columns are shifted by the 2-character prefix.
    expect(offsetOf("ab\ncd", { line: 3, column: 5, prefix: 2 }, 4, 4)).toBe(4);
    expect(offsetOf("ab\ncd", { line: 3, column: 5, prefix: 2 }, 3, 6)).toBe(1);
  });
});
