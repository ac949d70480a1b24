/**
 * Fuzz test over every decoder of every generated folder (the seeds' and each folder of the split v1.4
 * tree): every exported `decode*`, `measure*` and `read*` function and every view's `over`, called with random
 * bytes (also inside a larger buffer), hostile offsets (negative, fractional, NaN, past the end) and random
 * feature words; reply decoders also with command names outside their table (`__proto__`, `constructor`,
 * random strings); every command table (`commands.ts`) through the runtime's `decodeCommand`, with its codes and
 * random ones, both directions. Each call must return or throw a CodecError: any other exception is a generator
 * bug.
 *
 * The folders are found on disk, so a new device folder is fuzzed without touching this file.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CodecError, decodeCommand, type CommandTable } from "../../runtime/codec/index.js";

const ROOT = "generated";

/** Every generated folder with an index.ts: `generated/<spec>/` and, for split trees, `generated/<spec>/<folder>/`. */
function generatedFolders(): string[] {
  const out: string[] = [];
  for (const spec of readdirSync(ROOT, { withFileTypes: true })) {
    if (!spec.isDirectory() || spec.name.startsWith(".")) continue;
    const dir = join(ROOT, spec.name);
    if (existsSync(join(dir, "index.ts"))) out.push(dir);
    else for (const sub of readdirSync(dir, { withFileTypes: true })) if (sub.isDirectory() && existsSync(join(dir, sub.name, "index.ts"))) out.push(join(dir, sub.name));
  }
  return out.sort();
}

const offsetArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 140 }) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53, -(2 ** 31)) },
);
const featuresArb = fc.oneof(fc.constantFrom(0n, (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
/**
 * Random bytes, sometimes a window into a larger buffer (non-zero byteOffset), sometimes starting with a small
 * value: status and type fields come first, and the paths behind a valid one (a success status, a known
 * event type) are where a decoder goes deepest.
 */
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 160 }),
  fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.uint8Array({ maxLength: 160 })).map(([first, rest]) => Uint8Array.of(first, ...rest)),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(16), fc.nat(160)).map(([b, start, len]) => b.subarray(Math.min(start, b.length), Math.min(b.length, start + len))),
);
const RUNS = 40;

let calls = 0;
let codecErrors = 0;

/** Runs `f`; passes when it returns or throws a CodecError, fails (rethrows) on any other exception. */
function returnsOrCodecError(what: string, f: () => unknown): void {
  calls++;
  try {
    f();
  } catch (err) {
    if (err instanceof CodecError) {
      codecErrors++;
      return;
    }
    throw new Error(`${what} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} instead of a CodecError`, { cause: err });
  }
}

type Fn = (...args: unknown[]) => unknown;

/** A generated command table: entries with a numeric code and codecs (not the control tables' struct names). */
function isCommandTable(name: string, value: unknown): value is CommandTable {
  if (!/Commands$/.test(name) || typeof value !== "object" || value === null) return false;
  const entries = Object.values(value as Record<string, unknown>);
  return entries.length > 0 && entries.every((e) => typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "number" && ["request", "reply"].every((k) => { const c = (e as Record<string, unknown>)[k]; return c === undefined || (typeof c === "object" && c !== null && typeof (c as { decode?: unknown }).decode === "function"); }));
}

const folders = generatedFolders();

describe("every generated decoder refuses hostile input with CodecError only", () => {
  it("finds the seeds' folders and the split tree's", () => {
    expect(folders).toContain(join(ROOT, "ism"));
    expect(folders.length).toBeGreaterThanOrEqual(3);
  });
  for (const folder of folders) {
    it(`${folder}`, async () => {
      const mod = (await import(/* @vite-ignore */ pathToFileURL(join(process.cwd(), folder, "index.ts")).href)) as Record<string, unknown>;
      let fuzzed = 0;
      for (const [name, value] of Object.entries(mod)) {
        if (isCommandTable(name, value)) {
          const codes = Object.values(value).map((e) => e.code);
          fc.assert(
            fc.property(fc.oneof(fc.constantFrom(...codes), fc.integer({ min: -1, max: 0x10000 })), fc.constantFrom("request" as const, "reply" as const), bytesArb, offsetArb, featuresArb, (code, direction, bytes, offset, features) => {
              returnsOrCodecError(`${folder}: decodeCommand(${name}, ${direction}, ${code})`, () => decodeCommand(value, direction, code, bytes, offset, { features }));
            }),
            { numRuns: RUNS * 4 },
          );
          fuzzed++;
          continue;
        }
        if (typeof value !== "function") continue;
        const fn = value as Fn;
        const reply = /^decode[A-Z]\w*Reply$/.exec(name);
        if (reply) {
          const table = mod[`${name.slice("decode".length, -"Reply".length).replace(/^./, (c) => c.toLowerCase())}Commands`];
          const known = table && typeof table === "object" ? Object.keys(table) : [];
          const commandArb = fc.oneof(...(known.length ? [fc.constantFrom(...known)] : []), fc.constantFrom("__proto__", "constructor", "toString", ""), fc.string({ maxLength: 8 }));
          fc.assert(
            fc.property(commandArb, bytesArb, offsetArb, featuresArb, (command, bytes, offset, features) => {
              returnsOrCodecError(`${folder}: ${name}(${JSON.stringify(command)})`, () => fn(command, bytes, offset, { features }));
            }),
            { numRuns: RUNS * 4 },
          );
          fuzzed++;
        } else if (/^decode[A-Z]\w*Events$/.test(name)) {
          fc.assert(fc.property(bytesArb, featuresArb, (bytes, features) => returnsOrCodecError(`${folder}: ${name}`, () => fn(bytes, { features }))), { numRuns: RUNS * 4 });
          fuzzed++;
        } else if (/^(decode|measure)[A-Z]/.test(name)) {
          fc.assert(fc.property(bytesArb, offsetArb, featuresArb, (bytes, offset, features) => returnsOrCodecError(`${folder}: ${name}`, () => fn(bytes, offset, { features }))), { numRuns: RUNS });
          fuzzed++;
        } else if (/^read[A-Z]/.test(name)) {
          fc.assert(
            fc.property(bytesArb, offsetArb, featuresArb, (bytes, offset, features) =>
              returnsOrCodecError(`${folder}: ${name}`, () => fn(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset, { features })),
            ),
            { numRuns: RUNS },
          );
          fuzzed++;
        } else if (/View$/.test(name) && typeof (fn as unknown as { over?: unknown }).over === "function") {
          const over = (fn as unknown as { over: Fn }).over.bind(fn);
          fc.assert(fc.property(bytesArb, offsetArb, featuresArb, (bytes, offset, features) => returnsOrCodecError(`${folder}: ${name}.over`, () => over(bytes, offset, { features }))), { numRuns: RUNS });
          fuzzed++;
        }
      }
      // A folder that exports no decoder at all would make this test pass vacuously.
      if (Object.keys(mod).some((k) => k.endsWith("Schema"))) expect(fuzzed).toBeGreaterThan(0);
    }, 120_000);
  }
  afterAll(() => {
    process.stdout.write(`decoder fuzz: ${calls} calls over ${folders.length} folders, ${codecErrors} CodecErrors, no other exception\n`);
  });
});
