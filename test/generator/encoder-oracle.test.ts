/**
 * Linux as the byte-for-byte oracle of the generated v1.4 codecs. For every struct that is in the v1.4 IR, has a
 * generated codec, and is in `<linux/virtio_*.h>` with the same names, offsets and size (the layout oracle,
 * test/grammar/linux-oracle.test.ts, compares those), a C program compiled by gcc fills every member of the Linux
 * struct (array elements and nested structs included) with distinct values and prints its bytes; the generated
 * encoder must write exactly those bytes for the same values, and the generated decoder must read the C bytes
 * back as those values.
 *
 * A struct is left out only for a reason the test prints (a union, a feature-conditional or counted field, a
 * member Linux names differently or lays out otherwise — the layout oracle's allow-list says why those differ).
 * Skipped with one line where gcc or the headers are missing.
 */
import { endianness } from "node:os";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { FieldSchema, StructSchema } from "../../runtime/codec/index.js";
import { linuxOracleMissing, readLinuxHeaders, runC, type LinuxHeaders } from "../helpers/linux-oracle.js";

const GENERATED = "generated/virtio-1.4";
const missing = linuxOracleMissing() ?? (endianness() !== "LE" ? "the host is big-endian (the C program stores host-endian integers)" : undefined);
if (missing) console.warn(`encoder oracle skipped: ${missing}`);

/** One generated struct codec: its schema and its encode/decode functions. */
interface Codec {
  schema: StructSchema;
  encode: (value: unknown, bytes: Uint8Array, offset?: number, options?: unknown) => number;
  decode: (bytes: Uint8Array, offset?: number, options?: unknown) => unknown;
}

/** Every generated top-level struct codec of the v1.4 tree, by spec name. */
async function generatedCodecs(): Promise<Map<string, Codec>> {
  const out = new Map<string, Codec>();
  for (const dir of readdirSync(GENERATED, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const mod = (await import(/* @vite-ignore */ resolve(GENERATED, dir, "index.ts"))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (!name.endsWith("Schema") || typeof value !== "object" || value === null) continue;
      const schema = value as StructSchema;
      const stem = name.slice(0, -"Schema".length);
      const encode = mod[`encode${stem}`];
      const decode = mod[`decode${stem}`];
      if (typeof encode === "function" && typeof decode === "function" && !out.has(schema.name)) {
        out.set(schema.name, { schema, encode: encode as Codec["encode"], decode: decode as Codec["decode"] });
      }
    }
  }
  return out;
}

/** A leaf the C program assigns: its C lvalue, byte size, wire type, and the value. */
interface Leaf {
  lvalue: string;
  size: number;
  wire: string;
  value: bigint;
}

/** Distinct bytes for leaf `k`, element `j`: byte b is (seed + b), seed from k and j, no byte zero. */
function valueFor(k: number, j: number, size: number): bigint {
  const seed = (k * 37 + j * 11 + 1) % 251;
  let v = 0n;
  for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(((seed + b) % 255) + 1);
  return v;
}

const NUMBER_WIRES = new Set(["u8", "le16", "le32", "be16", "be32"]);

/**
 * The TypeScript value and the C assignments for a schema, or why it cannot be filled. Nested structs recurse
 * through their own generated schemas; every field must be a Linux member of the same name.
 */
function fill(
  schema: StructSchema,
  cPath: string,
  codecs: Map<string, Codec>,
  linux: LinuxHeaders,
  leaves: Leaf[],
  depth = 0,
): { value: Record<string, unknown> } | { skip: string } {
  if (schema.kind === "union") return { skip: "a union (encode takes one member; C has all)" };
  const members = linux.structs.get(schema.name)?.members;
  if (!members) return { skip: `struct ${schema.name} is not in the Linux headers` };
  const value: Record<string, unknown> = {};
  for (const f of schema.fields as readonly FieldSchema[]) {
    if (f.presence) return { skip: `field ${f.name} is present only under ${f.presence.feature}` };
    if (f.bits) return { skip: `field ${f.name} is a bit-field (Linux's uapi headers declare none)` };
    if (f.array.kind === "counted" || f.array.kind === "rest") return { skip: `field ${f.name} is a variable-length array` };
    const lm = members.find((m) => m.name === f.name);
    if (!lm || lm.bitField || lm.flexible) return { skip: `Linux has no plain member ${f.name} (see the layout oracle's allow-list)` };
    const count = f.array.kind === "fixed" ? f.array.length : 1;
    const lv = (j: number): string => `${cPath}.${f.name}${f.array.kind === "fixed" ? `[${j}]` : ""}`;
    if (f.wire === "struct") {
      const nested = codecs.get(f.struct ?? "")?.schema;
      if (!nested || depth > 4) return { skip: `nested struct ${f.struct} has no generated codec` };
      const vs: Record<string, unknown>[] = [];
      for (let j = 0; j < count; j++) {
        const r = fill(nested, lv(j), codecs, linux, leaves, depth + 1);
        if ("skip" in r) return { skip: `${f.name}: ${r.skip}` };
        vs.push(r.value);
      }
      value[f.key] = f.array.kind === "fixed" ? vs : vs[0];
      continue;
    }
    if (f.wire === "bytes" || f.wire === "le128") return { skip: `field ${f.name} is ${f.wire}` };
    const vs: bigint[] = [];
    for (let j = 0; j < count; j++) {
      const v = valueFor(leaves.length, j, f.elementSize);
      vs.push(v);
      leaves.push({ lvalue: lv(j), size: f.elementSize, wire: f.wire, value: v });
    }
    const asTs = (v: bigint): number | bigint => (NUMBER_WIRES.has(f.wire) ? Number(v) : v);
    if (f.array.kind !== "fixed") value[f.key] = asTs(vs[0]!);
    else value[f.key] = f.wire === "u8" ? Uint8Array.from(vs.map(Number)) : vs.map(asTs);
  }
  return { value };
}

/** C for one leaf: host-endian assignment for little-endian fields, byte-swapped for big-endian ones. */
function assign(l: Leaf): string {
  const lit = `0x${l.value.toString(16)}ULL`;
  if (l.wire.startsWith("be")) return `  ${l.lvalue} = __builtin_bswap${l.size * 8}(${lit});`;
  return `  ${l.lvalue} = ${lit};`;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe.skipIf(missing !== undefined)("generated v1.4 codecs against gcc, byte for byte", () => {
  it("encode writes what C writes for the same values, and decode reads the C bytes back", async () => {
    const codecs = await generatedCodecs();
    const linux = readLinuxHeaders();
    const skipped = new Map<string, string>();
    const cases: { name: string; value: Record<string, unknown>; codec: Codec; leaves: Leaf[] }[] = [];
    for (const [name, codec] of codecs) {
      if (!linux.structs.has(name)) continue;
      if (codec.schema.size === null) {
        skipped.set(name, "no fixed size");
        continue;
      }
      const leaves: Leaf[] = [];
      const r = fill(codec.schema, "v", codecs, linux, leaves);
      if ("skip" in r) skipped.set(name, r.skip);
      else cases.push({ name, value: r.value, codec, leaves });
    }
    // One program: per struct, its sizeof and the offsets of the top-level members (the bytes are only comparable
    // where the layouts agree), then the bytes of a zeroed struct with every leaf assigned.
    const body = cases.map((c) => {
      const offsets = c.codec.schema.fields.map((f) => `  printf(" %zu", offsetof(struct ${c.name}, ${f.name}));`).join("\n");
      return `  {\n  struct ${c.name} v;\n  memset(&v, 0, sizeof v);\n${c.leaves.map(assign).join("\n")}\n  printf("${c.name} %zu", sizeof v);\n${offsets}\n  dump((const unsigned char *)&v, sizeof v);\n  }`;
    });
    const program =
      `#include <stdio.h>\n#include <stddef.h>\n#include <string.h>\n${linux.headers.map((h) => `#include <linux/${h}>`).join("\n")}\n` +
      `static void dump(const unsigned char *p, size_t n) { printf(" "); for (size_t i = 0; i < n; i++) printf("%02x", p[i]); printf("\\n"); }\n` +
      `int main(void) {\n${body.join("\n")}\n  return 0;\n}\n`;
    const lines = new Map(
      runC(program)
        .trim()
        .split("\n")
        .map((l) => l.split(" "))
        .map((w) => [w[0]!, { size: Number(w[1]), offsets: w.slice(2, -1).map(Number), bytes: w[w.length - 1]! }] as const),
    );
    const failures: string[] = [];
    let compared = 0;
    for (const c of cases) {
      const cOut = lines.get(c.name)!;
      const offsets = c.codec.schema.fields.map((f) => f.offset);
      if (cOut.size !== c.codec.schema.size || cOut.offsets.some((o, i) => o !== offsets[i])) {
        skipped.set(c.name, `Linux lays it out otherwise (sizeof ${cOut.size}, offsets ${cOut.offsets.join(",")}; see the layout oracle's allow-list)`);
        continue;
      }
      compared++;
      const ours = new Uint8Array(c.codec.schema.size!);
      c.codec.encode(c.value, ours);
      if (hex(ours) !== cOut.bytes) failures.push(`${c.name}: encode wrote ${hex(ours)}, C wrote ${cOut.bytes}`);
      const decoded = c.codec.decode(Uint8Array.from(Buffer.from(cOut.bytes, "hex")));
      try {
        expect(decoded).toEqual(c.value);
      } catch {
        failures.push(`${c.name}: decode of the C bytes gave ${JSON.stringify(decoded, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`);
      }
    }
    console.log(
      `encoder oracle: ${compared} structs compared byte for byte (${cases.reduce((n, c) => n + c.leaves.length, 0)} values), ${failures.length} differ; ` +
        `${skipped.size} in both but not compared:\n${[...skipped].map(([n, why]) => `  ${n}: ${why}`).join("\n")}`,
    );
    expect(compared).toBeGreaterThan(40);
    expect(failures).toEqual([]);
  }, 120_000);
});
