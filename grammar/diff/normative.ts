/**
 * Requirements and conformance lists: what a device or driver must now do differently.
 *
 * Requirements pair by their text's hash (in the same section, then anywhere: a moved requirement is no
 * change), then by similar wording within the same section (a reworded or re-levelled requirement).
 *
 * @module
 */
import type { Requirement } from "../ir/types.js";
import type { DiffContext } from "./context.js";
import { isSyntheticName, matchLists, similarity, words } from "./match.js";

/** Below this word overlap two requirements of one section are different requirements. */
const REWORD_SIMILARITY = 0.5;

/**
 * Word overlap of two sentences; a sentence of eight or more words kept whole inside a longer one (a requirement
 * extended with a clause) counts as a rewording of it too.
 */
function textSimilarity(a: string, b: string): number {
  const jaccard = similarity(a, b);
  const wa = new Set(words(a));
  const wb = new Set(words(b));
  const [small, large] = wa.size <= wb.size ? [wa, wb] : [wb, wa];
  if (small.size < 8) return jaccard;
  let kept = 0;
  for (const w of small) if (large.has(w)) kept++;
  return kept / small.size >= 0.9 ? Math.max(jaccard, REWORD_SIMILARITY) : jaccard;
}

function quote(text: string): string {
  return text.length > 120 ? `"${text.slice(0, 117)}..."` : `"${text}"`;
}

function where(r: Requirement): string {
  return `${r.role} requirement in '${r.sectionTitle}'`;
}

export function diffRequirements(ctx: DiffContext): void {
  const olds = ctx.oldIR.requirements;
  const news = ctx.newIR.requirements;
  const m = matchLists(
    olds,
    news,
    (r) => `${r.role}\0${ctx.mapSection(r.section)}\0${r.textHash}`,
    (r) => `${r.role}\0${r.section}\0${r.textHash}`,
    [
      (o, n) => o.role === n.role && o.textHash === n.textHash,
      (o, n) => {
        if (o.role !== n.role || ctx.mapSection(o.section) !== n.section) return false;
        const s = textSimilarity(o.text, n.text);
        return s >= REWORD_SIMILARITY ? s : false;
      },
    ],
  );
  for (const { old: o, new: n } of m.pairs) {
    if (o.textHash === n.textHash) continue;
    const base = { class: "normative" as const, entity: "requirement" as const, path: n.id, device: n.device, old: o.source, new: n.source };
    if (o.level !== n.level) {
      ctx.emit({ ...base, kind: "level", properties: [{ property: "level", old: o.level, new: n.level }], message: `${where(n)}: ${o.level} → ${n.level}: ${quote(n.text)}` });
    } else {
      ctx.emit({ ...base, kind: "reworded", properties: [{ property: "text", old: o.text, new: n.text }], message: `${where(n)} reworded: ${quote(o.text)} → ${quote(n.text)}` });
    }
  }
  for (const r of m.removed) {
    const o = r.old;
    ctx.emit({ class: "normative", kind: "removed", entity: "requirement", path: o.id, device: o.device ? ctx.deviceSlugs.get(o.device) : undefined, message: `${where(o)} removed (${o.level}): ${quote(o.text)}`, old: o.source, new: ctx.newSectionSpan(o.section) });
  }
  const newFeatureNames = ctx.addedFeatures.map((f) => f.name);
  // Names this diff adds (feature bits, codes, structs, appended fields): a sentence about them binds only
  // implementations that take up what is new. Field names count only when distinctive (`resource_id`, not `flags`).
  const addedNames = new Set<string>();
  for (const c of ctx.changes) {
    if (c.class !== "additive" || c.kind !== "added" || !c.newName || isSyntheticName(c.newName)) continue;
    if (c.entity === "requirement" || c.entity === "conformance" || c.entity === "virtqueue" || c.entity === "device") continue;
    if (c.entity === "field" && !c.newName.includes("_")) continue;
    addedNames.add(c.newName);
  }
  const mentionsNew = (text: string): string | undefined => text.match(/[A-Za-z_][A-Za-z0-9_]*/g)?.find((w) => addedNames.has(w));
  const newDevices = new Set(ctx.newIR.devices.map((d) => d.slug).filter((s) => ![...ctx.deviceSlugs.values()].includes(s)));
  for (const a of m.added) {
    const n = a.new;
    // A requirement that comes with a new section, device or feature binds only who opts in: compatible.
    const feature = newFeatureNames.find((f) => n.text.includes(f));
    const mentioned = feature ?? mentionsNew(n.text);
    const opted = ctx.addedSections.has(n.section) || (n.device !== undefined && newDevices.has(n.device)) || mentioned !== undefined;
    ctx.emit({
      class: opted ? "additive" : "normative", kind: "added", entity: "requirement", path: n.id, device: n.device,
      message: `${where(n)} added (${n.level})${feature ? ` under new feature ${feature}` : mentioned ? ` about new ${mentioned}` : ""}: ${quote(n.text)}`, old: ctx.oldSectionSpan(n.section), new: n.source,
    });
  }
}

export function diffConformance(ctx: DiffContext): void {
  const m = matchLists(ctx.oldIR.conformance, ctx.newIR.conformance, (c) => ctx.mapSection(c.label), (c) => c.label);
  for (const { old: o, new: n } of m.pairs) {
    const refs = matchLists(o.refs, n.refs, (r) => ctx.mapSection(r.label), (r) => r.label);
    for (const r of refs.removed) {
      ctx.emit({ class: "normative", kind: "removed", entity: "conformance", path: `${n.label}.${r.old.label}`, message: `conformance list '${n.title}' no longer lists '${r.old.label}'`, old: r.old.source, new: n.source });
    }
    for (const a of refs.added) {
      const opted = ctx.addedSections.has(a.new.label);
      ctx.emit({ class: opted ? "additive" : "normative", kind: "added", entity: "conformance", path: `${n.label}.${a.new.label}`, message: `conformance list '${n.title}' now lists '${a.new.label}'`, old: o.source, new: a.new.source });
    }
  }
  for (const r of m.removed) ctx.emit({ class: "normative", kind: "removed", entity: "conformance", path: r.old.label, message: `conformance list '${r.old.title}' removed`, old: r.old.source, new: ctx.newSectionSpan(r.old.label) });
  for (const a of m.added) ctx.emit({ class: "additive", kind: "added", entity: "conformance", path: a.new.label, message: `conformance list '${a.new.title}' added (${a.new.refs.length} refs)`, new: a.new.source });
}
