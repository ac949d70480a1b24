/**
 * Which normative requirements document which command handler.
 *
 * A command belongs to the normative sections whose label path equals its section's label path (labels
 * compared after the `sec:` / `devicenormative:` / `drivernormative:` prefix). Proposals do not always keep
 * the two labels in step (virtio-ism v3: section "Inform Update Event IRQ Vector", normative block "Inform
 * Event IRQ Vector"), so when nothing matches exactly, a normative section under the same parent whose title
 * words are all words of the command section's title is taken, and the TSDoc says the match was loose.
 *
 * @module
 */
import type { NormativeSection, Requirement, SpecIR } from "../../grammar/ir/types.js";
import { labelPath } from "./context.js";

/** Requirements matched to one section. */
export interface RequirementMatch {
  /** Device requirements first, then driver ones, each in document order. */
  requirements: Requirement[];
  /** Set when the match was not exact: the normative label paths used. */
  looseMatch?: string[];
}

function words(path: string): Set<string> {
  return new Set(path.toLowerCase().match(/[a-z0-9]+/g) ?? []);
}

/** The requirements of the normative sections that belong to spec section `section`. */
export function requirementsFor(ir: SpecIR, section: string): RequirementMatch {
  const path = labelPath(section);
  let matched: NormativeSection[] = ir.normativeSections.filter((n) => labelPath(n.label) === path);
  let loose = false;
  if (!matched.length) {
    const cut = path.lastIndexOf("/");
    const parent = cut >= 0 ? path.slice(0, cut).trim() : "";
    const leaf = words(cut >= 0 ? path.slice(cut + 1) : path);
    matched = ir.normativeSections.filter((n) => {
      const p = labelPath(n.label);
      const c = p.lastIndexOf("/");
      if ((c >= 0 ? p.slice(0, c).trim() : "") !== parent) return false;
      const w = [...words(c >= 0 ? p.slice(c + 1) : p)];
      return w.length > 0 && w.every((x) => leaf.has(x));
    });
    loose = matched.length > 0;
  }
  const byId = new Map(ir.requirements.map((r) => [r.id, r]));
  const ordered = [...matched].sort((a, b) => (a.role === b.role ? 0 : a.role === "device" ? -1 : 1));
  const requirements = ordered.flatMap((n) => n.requirements.map((id) => byId.get(id)).filter((r): r is Requirement => r !== undefined));
  const out: RequirementMatch = { requirements };
  if (loose) out.looseMatch = matched.map((n) => n.label);
  return out;
}
