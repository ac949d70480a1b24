/**
 * Linux as the layout oracle of the whole spec: every struct that is both in the IR of virtio 1.4 and in the
 * uapi `<linux/virtio_*.h>` headers must have the size, member offsets and member sizes that gcc gives it, and
 * every feature bit, `#define` constant and device ID that Linux names must have the IR's value. Where the spec
 * and Linux really differ, test/fixtures/linux-oracle/allow-list.json says so with a reason; any other
 * difference fails, and so does an allow-list entry that no longer matches a difference.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runFrontEnd } from "../../grammar/pipeline.js";
import type { Field, SpecIR, Struct } from "../../grammar/ir/types.js";
import {
  cOracleProgram,
  linuxOracleMissing,
  parseOracleOutput,
  readLinuxHeaders,
  runC,
  type LinuxHeaders,
  type OracleAnswer,
  type OracleRequest,
} from "../helpers/linux-oracle.js";

const V14 = "../shared/virtio-spec/v1.4";
const ALLOW_LIST = "test/fixtures/linux-oracle/allow-list.json";
/**
 * Differences that are virtiokit's defects, not the spec's, each with the work that removes it: pinned so that
 * the test fails both on a new defect and when a listed one is fixed (then the entry goes).
 */
const TOOLKIT_DEFECTS = "test/fixtures/linux-oracle/toolkit-defects.json";
const missing = !existsSync(V14) ? `${V14} is missing` : linuxOracleMissing();
if (missing) console.warn(`Linux oracle skipped: ${missing}`);

interface AllowEntry {
  /** The difference, as {@link compareWithLinux} spells it (`<struct>[.<field>] <aspect>` or `define <NAME>`). */
  key: string;
  reason: string;
}

/** IR fields as C sees them: members of an anonymous struct/union are members of the enclosing struct. */
function cMembers(fields: readonly Field[], base: number | null = 0): { field: Field; offset: number | null }[] {
  return fields.flatMap((f) => {
    const offset = base !== null && f.offset !== null ? base + f.offset : null;
    return f.anonymous && f.members ? cMembers(f.members, offset) : [{ field: f, offset }];
  });
}

/** Device ID constant Linux would give a device: the prefix of its feature bits (`VIRTIO_NET_F_*` → `VIRTIO_ID_NET`). */
function deviceIdName(features: readonly { name: string }[]): string | undefined {
  const counts = new Map<string, number>();
  for (const f of features) {
    const m = /^VIRTIO_([A-Z0-9]+)_.*?F_/.exec(f.name);
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  return best ? `VIRTIO_ID_${best[0]}` : undefined;
}

interface Comparison {
  structs: string[];
  /** Structs with no difference at all. */
  equal: string[];
  /** Every difference, keyed. */
  differences: Map<string, string>;
  /** Values compared: constants, feature bits, device IDs. */
  values: { constants: number; features: number; deviceIds: number };
}

function oracleRequest(ir: SpecIR, linux: LinuxHeaders): { request: OracleRequest; structs: Struct[] } {
  const structs = ir.structs.filter((s) => linux.structs.has(s.name));
  const defines = new Set<string>();
  for (const c of ir.constants) if (linux.defines.has(c.name)) defines.add(c.name);
  for (const f of [...ir.featureBits, ...ir.devices.flatMap((d) => d.features)]) if (linux.defines.has(f.name)) defines.add(f.name);
  for (const d of ir.devices) {
    const id = deviceIdName(d.features);
    if (id && d.deviceId !== null && linux.defines.has(id)) defines.add(id);
  }
  return { request: { structs: structs.map((s) => ({ name: s.name, members: linux.structs.get(s.name)!.members })), defines: [...defines].sort() }, structs };
}

function compareWithLinux(ir: SpecIR, linux: LinuxHeaders, structs: Struct[], c: OracleAnswer): Comparison {
  const differences = new Map<string, string>();
  const equal: string[] = [];
  for (const s of structs) {
    const before = differences.size;
    const irSize = s.size ?? s.minSize;
    const cSize = c.sizes.get(s.name)!;
    const linuxMembers = linux.structs.get(s.name)!.members;
    // sizeof of a struct ending in a flexible array includes C's tail padding; the array's offset is compared instead.
    const flexibleEnd = s.size === null && linuxMembers[linuxMembers.length - 1]?.flexible === true;
    if (irSize !== cSize && !flexibleEnd) differences.set(`${s.name} size`, `IR ${irSize}${s.size === null ? " (minimum)" : ""}, Linux ${cSize}`);
    const ours = cMembers(s.fields);
    for (const { field, offset } of ours) {
      const lm = linuxMembers.find((m) => m.name === field.name);
      if (!lm) {
        differences.set(`${s.name}.${field.name} only-in-spec`, `Linux has no member ${field.name}`);
        continue;
      }
      if (lm.bitField) continue;
      const at = c.members.get(`${s.name}.${field.name}`)!;
      if (offset !== null && offset !== at.offset) differences.set(`${s.name}.${field.name} offset`, `IR ${offset}, Linux ${at.offset}`);
      if (field.size !== null && at.size !== null && field.size !== at.size) differences.set(`${s.name}.${field.name} size`, `IR ${field.size}, Linux ${at.size}`);
      if ((field.size === null) !== (at.size === null)) differences.set(`${s.name}.${field.name} variable`, `IR ${field.size === null ? "variable" : field.size}, Linux ${at.size === null ? "flexible" : at.size}`);
    }
    for (const m of linuxMembers) if (!ours.some((o) => o.field.name === m.name)) differences.set(`${s.name}.${m.name} only-in-linux`, `the spec has no field ${m.name}`);
    if (differences.size === before) equal.push(s.name);
  }
  const values = { constants: 0, features: 0, deviceIds: 0 };
  const check = (name: string, value: number | null, kind: keyof typeof values) => {
    const v = c.defines.get(name);
    if (v === undefined) return;
    values[kind]++;
    if (value === null || BigInt(value) !== v) differences.set(`define ${name}`, `IR ${value}, Linux ${v}`);
  };
  for (const k of ir.constants) check(k.name, k.value, "constants");
  for (const f of [...ir.featureBits, ...ir.devices.flatMap((d) => d.features)]) check(f.name, f.bit, "features");
  for (const d of ir.devices) {
    const id = deviceIdName(d.features);
    if (id) check(id, d.deviceId, "deviceIds");
  }
  return { structs: structs.map((s) => s.name), equal, differences, values };
}

describe.skipIf(missing !== undefined)("Linux uapi headers as the layout oracle of virtio 1.4", () => {
  it("agrees on every struct, constant, feature bit and device ID both define, outside the allow-list", () => {
    const { ir } = runFrontEnd(V14);
    const linux = readLinuxHeaders();
    const { request, structs } = oracleRequest(ir, linux);
    const answer = parseOracleOutput(runC(cOracleProgram(linux.headers, request)));
    const cmp = compareWithLinux(ir, linux, structs, answer);
    const allow: AllowEntry[] = JSON.parse(readFileSync(ALLOW_LIST, "utf8"));
    for (const e of allow) expect(e.reason.trim().length, `allow-list entry ${e.key} has no reason`).toBeGreaterThan(10);
    const defects: AllowEntry[] = JSON.parse(readFileSync(TOOLKIT_DEFECTS, "utf8"));
    const allowed = new Set(allow.map((e) => e.key));
    const pinned = new Set(defects.map((e) => e.key));
    const failing = [...cmp.differences].filter(([k]) => !allowed.has(k) && !pinned.has(k)).map(([k, v]) => `${k}: ${v}`);
    const stale = [...allow, ...defects].filter((e) => !cmp.differences.has(e.key)).map((e) => e.key);
    const allowListedStructs = cmp.structs.filter((s) => !cmp.equal.includes(s) && [...cmp.differences.keys()].filter((k) => k.split(/[ .]/)[0] === s).every((k) => allowed.has(k)));
    console.log(
      `Linux oracle: ${cmp.structs.length} structs compared, ${cmp.equal.length} equal, ${allowListedStructs.length} differ only as allow-listed, ` +
        `${cmp.structs.length - cmp.equal.length - allowListedStructs.length} failing; values compared: ${cmp.values.constants} constants, ${cmp.values.features} feature bits, ${cmp.values.deviceIds} device IDs; ${cmp.differences.size} differences: ` +
        `${[...cmp.differences.keys()].filter((k) => allowed.has(k)).length} allow-listed, ${[...cmp.differences.keys()].filter((k) => pinned.has(k)).length} pinned toolkit defects, ${failing.length} failing`,
    );
    expect(cmp.structs.length).toBeGreaterThan(90);
    expect(cmp.values.features).toBeGreaterThan(60);
    expect(cmp.values.deviceIds).toBeGreaterThan(10);
    expect(failing).toEqual([]);
    expect(stale, "allow-list entries that match no difference").toEqual([]);
  });
});
