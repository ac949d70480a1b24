/**
 * The hex panel's field-by-field decoder on real v1.4 structs: values by the IR layout (little- and big-endian
 * integers, bit-fields inside their storage, union members all at the union's offset, arrays), and clear messages
 * for input that is not hex or too short.
 */
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SpecIR, Struct } from "../../grammar/ir/types.js";
import { runFrontEnd } from "../../grammar/pipeline.js";
import { decodeStruct, parseHex } from "../../playground/hex-decode.js";

let ir: SpecIR;
beforeAll(() => {
  ir = runFrontEnd("spec/virtio-1.4").ir;
}, 60_000);
const struct = (n: string): Struct => ir.structs.find((s) => s.name === n)!;
const values = (n: string, hex: string): Record<string, string> => {
  const r = decodeStruct(ir, struct(n), parseHex(hex) as Uint8Array);
  return Object.fromEntries(r.fields.map((f) => [f.path, f.value]));
};

describe("parseHex", () => {
  it("takes spaces, 0x prefixes, colons and commas", () => {
    expect([...(parseHex("0x01 02:0A,ff") as Uint8Array)]).toEqual([1, 2, 10, 255]);
  });
  it("says what is wrong with text that is not hex", () => {
    expect(parseHex("01 2")).toBe("odd number of hex digits (3)");
    expect(parseHex("01 zz")).toBe("'z' is not a hex digit (at digit 3)");
  });
});

describe.skipIf(!existsSync("spec/virtio-1.4"))("decodeStruct", () => {
  it("little-endian fields of virtio_blk_discard_write_zeroes and the bit-fields of its flags", () => {
    const v = values("virtio_blk_discard_write_zeroes", "10 00 00 00 00 00 00 00  08 00 00 00  03 00 00 00");
    expect(v["sector"]).toBe("16 (0x10)");
    expect(v["num_sectors"]).toBe("8");
    expect(v["flags.unmap"]).toBe("1");
    expect(v["flags.reserved"]).toBe("1"); // bit 1 of the le32
  });

  it("a union's members are all read at the union's offset", () => {
    const s = struct("virtio_input_config");
    const bytes = new Uint8Array(136);
    bytes[8] = 0x41; // 'A' as the first char of u.string, or u.bitmap[0] = 65, or u.abs.min's low byte
    const r = decodeStruct(ir, s, bytes);
    const at8 = r.fields.filter((f) => f.offset === 8).map((f) => `${f.path}=${f.value}`);
    expect(at8).toEqual(expect.arrayContaining(["u.string[0]='A' (65)", "u.bitmap[0]=65 (0x41)", "u.abs.min=65 (0x41)"]));
  });

  it("says where the pasted bytes run out", () => {
    const r = decodeStruct(ir, struct("virtio_blk_discard_write_zeroes"), new Uint8Array(10));
    expect(r.problems).toEqual(["num_sectors: needs bytes 8..11, only 10 pasted"]);
    expect(r.fields.map((f) => f.path)).toEqual(["sector"]);
  });
});

/** A generated decoder's value as the hex panel's paths (`a.b`, `c[3]`) → integer. */
function flatten(v: unknown, prefix: string, out: Map<string, bigint>): void {
  if (typeof v === "number" || typeof v === "bigint") out.set(prefix, BigInt(v));
  else if (v instanceof Uint8Array || Array.isArray(v)) [...(v as ArrayLike<unknown> & Iterable<unknown>)].forEach((e, i) => flatten(e, `${prefix}[${i}]`, out));
  else if (v && typeof v === "object") for (const [k, e] of Object.entries(v)) flatten(e, prefix ? `${prefix}.${k}` : k, out);
}
/** The integer in a panel value: `16 (0x10)` → 16, `'A' (65)` → 65. */
const integerOf = (text: string): bigint => BigInt(/^'.*' \((\d+)\)$/.exec(text)?.[1] ?? text.split(" ")[0]!);
const keyOf = (path: string) => path.replace(/[^A-Za-z0-9_.[\]]/g, "_");

describe.skipIf(!existsSync("spec/virtio-1.4"))("decodeStruct against the generated decoders", () => {
  it("reads every field of every fixed-size v1.4 struct as the generated codec does (random bytes)", async () => {
    const { readdirSync } = await import("node:fs");
    const { pathToFileURL } = await import("node:url");
    const { resolve } = await import("node:path");
    let structs = 0;
    let fields = 0;
    for (const dir of readdirSync("generated/virtio-1.4")) {
      if (!existsSync(`generated/virtio-1.4/${dir}/structs.ts`)) continue;
      const m = (await import(pathToFileURL(resolve(`generated/virtio-1.4/${dir}/structs.ts`)).href)) as Record<string, unknown>;
      for (const [name, c] of Object.entries(m)) {
        if (!name.endsWith("Codec")) continue;
        const codec = c as { schema: { name: string; size: number | null; fields: { presence?: unknown }[] }; decode(b: Uint8Array): unknown };
        const s = struct(codec.schema.name);
        if (codec.schema.size === null || codec.schema.size > 4096 || codec.schema.fields.some((f) => f.presence) || !s) continue;
        const bytes = Uint8Array.from({ length: codec.schema.size }, (_, i) => (i * 151 + structs * 29 + 7) & 0xff);
        const want = new Map<string, bigint>();
        flatten(codec.decode(bytes), "", want);
        const r = decodeStruct(ir, s, bytes);
        if (r.fields.some((f) => / more elements$/.test(f.value))) continue; // the panel elides long arrays
        const got = new Map(r.fields.map((f) => [keyOf(f.path), integerOf(f.value)]));
        expect(Object.fromEntries(got), codec.schema.name).toEqual(Object.fromEntries([...want].map(([k, v]) => [keyOf(k), v])));
        structs++;
        fields += got.size;
      }
    }
    console.log(`hex panel = generated decoders on ${structs} v1.4 structs, ${fields} field values`);
    expect(structs).toBeGreaterThan(150);
  }, 60_000);
});
