/**
 * Checking a proposal against a newer base than the one it was written for.
 *
 * A proposal mailed in 2016 may be read again years later: the spec has moved on, and bits, IDs and register
 * offsets it claimed may have been taken since. This compares what the proposal brings (the IR nodes whose lines
 * came from the mail) with the IR of a newer tree and reports, for each claim, what the newer spec already puts
 * there.
 *
 * @module
 */
import type { Diagnostic, Field, SourceSpan, SpecIR, Struct } from "../ir/types.js";

/** What the proposal itself brings: lines the patch added (context lines are the old spec's). */
const fromMail = (s: SourceSpan) => s.mail?.added === true;

/** Reports the proposal's feature bits, device IDs and struct fields that collide with `newer`. */
export function lintAgainst(proposal: SpecIR, newer: SpecIR, newerName: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const where = (s: SourceSpan) => `${newerName}/${s.file}:${s.line}`;

  // Device-independent feature bits.
  const newerBits = new Map(newer.featureBits.map((f) => [f.bit, f]));
  for (const f of proposal.featureBits.filter((x) => fromMail(x.source))) {
    const taken = newerBits.get(f.bit);
    if (taken && taken.name !== f.name) {
      out.push({
        severity: "error",
        code: "rebase-feature-bit",
        message: `${f.name}(${f.bit}) collides with ${taken.name}(${taken.bit}) in ${newerName} (${where(taken.source)})`,
        source: f.source,
        hint: `free device-independent bits in ${newerName}: ${freeBits(newer).join(", ") || "none below 64"}`,
      });
    }
  }

  // Device IDs: against the newer tree's devices.
  for (const d of proposal.devices.filter((x) => fromMail(x.source))) {
    if (d.deviceId === null) continue;
    const taken = newer.devices.find((n) => n.deviceId === d.deviceId);
    if (taken && norm(taken.name) !== norm(d.name)) {
      out.push({ severity: "error", code: "rebase-device-id", message: `${d.name} uses device ID ${d.deviceId}, which ${newerName} gives to ${taken.name} (${where(taken.source)})`, source: d.source });
    }
    // Device-specific feature bits of the same device, if the newer spec has it.
    const same = newer.devices.find((n) => norm(n.name) === norm(d.name));
    if (same) {
      for (const f of d.features.filter((x) => fromMail(x.source))) {
        const t = same.features.find((x) => x.bit === f.bit && x.name !== f.name && (x.group ?? "") === (f.group ?? ""));
        if (t) out.push({ severity: "error", code: "rebase-feature-bit", message: `${f.name}(${f.bit}) collides with ${t.name} in ${newerName} (${where(t.source)})`, source: f.source });
      }
    }
  }

  // Register/struct offsets: fields the proposal adds to a struct that the newer spec also defines.
  for (const st of proposal.structs) {
    const added = st.fields.filter((f) => fromMail(f.source));
    if (added.length === 0 || added.length === st.fields.length) continue;
    const other = newer.structs.find((s) => s.name === st.name);
    if (!other) continue;
    for (const f of added) {
      const clash = overlapping(f, other);
      if (clash.length === 0) continue;
      out.push({
        severity: "error",
        code: "rebase-offset",
        message: `${st.name}.${f.name} (offset ${f.offset}, ${f.size} bytes) overlaps ${clash.map((c) => `${c.name} (offset ${c.offset}, ${c.size} bytes)`).join(", ")} in ${newerName} (${where(other.source)})`,
        source: f.source,
        hint: other.size !== null ? `${newerName}'s ${st.name} is ${other.size} bytes: new fields would start at ${other.size}` : undefined,
      });
    }
  }
  return out.map((d) => (d.hint === undefined ? (({ hint: _h, ...rest }) => rest)(d) : d));
}

function overlapping(f: Field, other: Struct): Field[] {
  if (f.offset === null || f.size === null) return [];
  const a0 = f.offset;
  const a1 = f.offset + f.size;
  return other.fields.filter((g) => g.name !== f.name && g.offset !== null && g.size !== null && g.offset < a1 && a0 < g.offset + g.size);
}

function freeBits(ir: SpecIR): number[] {
  const used = new Set(ir.featureBits.map((f) => f.bit));
  const max = Math.max(0, ...used);
  const out: number[] = [];
  for (let b = 24; b <= Math.min(63, max + 4); b++) if (!used.has(b)) out.push(b);
  return out;
}

function norm(name: string): string {
  return name.toLowerCase().replace(/\bdevice\b/g, "").replace(/[^a-z0-9]/g, "");
}
