/**
 * Codecs compiled from schemas at run time against the generated ones, over every struct of every generated
 * folder: on random bytes and feature words, the compiled decode returns the same value or refuses with a
 * CodecError of the same reason (and decodedLength agrees); where encode compiles, encoding the decoded value
 * gives the generated encoder's bytes.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../../runtime/codec/errors.js";
import { compileCodec, SchemaCompileError } from "../../../runtime/codec/compile.js";
import type { StructCodec, StructSchema } from "../../../runtime/codec/schema.js";

const ROOT = "generated";
function folders(): string[] {
  const out: string[] = [];
  for (const spec of readdirSync(ROOT, { withFileTypes: true })) {
    if (!spec.isDirectory()) continue;
    const dir = join(ROOT, spec.name);
    if (existsSync(join(dir, "structs.ts"))) out.push(dir);
    else for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory() && existsSync(join(dir, sub.name, "structs.ts"))) out.push(join(dir, sub.name));
  }
  return out.sort();
}

type AnyCodec = StructCodec<unknown, unknown>;
async function codecsOf(dir: string): Promise<AnyCodec[]> {
  const m = (await import(pathToFileURL(resolve(dir, "structs.ts")).href)) as Record<string, unknown>;
  return Object.entries(m)
    .filter(([k, v]) => k.endsWith("Codec") && typeof v === "object" && v !== null && "schema" in v)
    .map(([, v]) => v as AnyCodec);
}

function outcome(f: () => unknown): { value?: unknown; error?: string } {
  try {
    return { value: f() };
  } catch (err) {
    if (err instanceof CodecError) return { error: err.reason };
    throw err;
  }
}

describe("compileCodec agrees with the generated codecs", async () => {
  const all = new Map<string, StructSchema>();
  const perFolder: [string, AnyCodec[]][] = [];
  for (const dir of folders()) {
    const codecs = await codecsOf(dir);
    perFolder.push([dir, codecs]);
  }
  // One resolver over every folder (the split tree's devices import common structs).
  for (const [, codecs] of perFolder) for (const c of codecs) if (!all.has(c.schema.name)) all.set(c.schema.name, c.schema);
  const resolver = (name: string) => all.get(name);
  const tally = { structs: 0, decodeCompared: 0, encodeCompiled: 0, encodeCompared: 0 };

  for (const [dir, codecs] of perFolder) {
    it(`${dir}: ${codecs.length} structs`, () => {
      for (const c of codecs) {
        const compiled = compileCodec(c.schema, (n) => codecs.find((x) => x.schema.name === n)?.schema ?? resolver(n));
        tally.structs++;
        const maxLength = Math.min(300, (c.schema.maxSize ?? c.schema.minSize + 64) + 8);
        fc.assert(
          fc.property(fc.uint8Array({ maxLength }), fc.nat(4), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (bytes, offset, features) => {
            const options = { features };
            const want = outcome(() => c.decode(bytes, offset, options));
            const got = outcome(() => compiled.decode(bytes, offset, options));
            expect(got, `${c.schema.name} decode at ${offset} of ${bytes.length}`).toEqual(want);
            tally.decodeCompared++;
            const wantLen = outcome(() => c.decodedLength(bytes, offset, options));
            if (wantLen.value !== undefined) expect(outcome(() => compiled.decodedLength(bytes, offset, options)), `${c.schema.name} decodedLength`).toEqual(wantLen);
            if (want.value !== undefined && compiled.encode) {
              const n = c.encodedLength(want.value, options);
              const a = new Uint8Array(n + 2);
              const b = new Uint8Array(n + 2);
              c.encode(want.value, a, 1, options);
              expect(compiled.encode(want.value as Record<string, unknown>, b, 1, options), `${c.schema.name} encode length`).toBe(n);
              expect(b, `${c.schema.name} encode bytes`).toEqual(a);
              tally.encodeCompared++;
            }
          }),
          { numRuns: 40 },
        );
        if (compiled.encode) tally.encodeCompiled++;
        else expect(compiled.encodeUnsupported).toMatch(/union|bit-fields|feature-conditional|encode needs nested/);
      }
    });
  }

  it("covers every struct, and says so", () => {
    console.log(`compileCodec: ${tally.structs} structs, ${tally.decodeCompared} decodes compared, encode compiled for ${tally.encodeCompiled} (${tally.encodeCompared} encodes compared)`);
    expect(tally.structs).toBeGreaterThan(300);
    expect(tally.encodeCompared).toBeGreaterThan(1000);
  });

  it("caches per schema and refuses an unknown nested struct by name", () => {
    const [, codecs] = perFolder[0]!;
    const s = codecs[0]!.schema;
    expect(compileCodec(s, resolver)).toBe(compileCodec(s, resolver));
    const orphan: StructSchema = { ...s, name: "orphan", fields: [{ ...s.fields[0]!, wire: "struct", struct: "nowhere", array: { kind: "scalar" } }] };
    expect(() => compileCodec(orphan)).toThrow(SchemaCompileError);
    expect(() => compileCodec(orphan)).toThrow(/nested struct nowhere/);
  });
});
