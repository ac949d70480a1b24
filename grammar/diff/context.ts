/**
 * State shared by the stages of one diff: both IRs, the old → new name maps the matching stages build (so a
 * renamed struct is not a type change of every field that uses it), and the changes found so far.
 *
 * @module
 */
import type { FeatureBit, Section, SourceSpan, SpecIR } from "../ir/types.js";
import { matchLists, nameKey } from "./match.js";
import type { Change } from "./types.js";

export class DiffContext {
  readonly changes: Change[] = [];
  /** Old struct name → new struct name, for every matched struct. */
  readonly structNames = new Map<string, string>();
  /** Old device slug → new device slug. */
  readonly deviceSlugs = new Map<string, string>();
  /** Old constant name → new constant name. */
  readonly constantNames = new Map<string, string>();
  /** Old feature name → new feature name. */
  readonly featureNames = new Map<string, string>();
  /** Old section label → new section label. */
  readonly sectionLabels = new Map<string, string>();
  /** Feature bits of the new IR that the old one does not have. */
  readonly addedFeatures: FeatureBit[] = [];
  /** Labels of new-IR sections with no counterpart in the old IR. */
  readonly addedSections = new Set<string>();
  private readonly newSections: Map<string, Section>;
  private readonly oldSections: Map<string, Section>;
  private readonly oldLabels = new Map<string, string>();

  constructor(
    readonly oldIR: SpecIR,
    readonly newIR: SpecIR,
  ) {
    this.oldSections = new Map(oldIR.sections.map((s) => [s.label, s]));
    this.newSections = new Map(newIR.sections.map((s) => [s.label, s]));
    // Sections pair by label; a relabelled section by its title at the same level under the same parent title.
    const parentTitle = (s: Section, all: Map<string, Section>): string => (s.parent ? (all.get(s.parent)?.title ?? "") : "");
    const m = matchLists(oldIR.sections, newIR.sections, (s) => nameKey(s.label), (s) => nameKey(s.label), [
      (o, n) => o.title === n.title && o.level === n.level && parentTitle(o, this.oldSections) === parentTitle(n, this.newSections),
    ]);
    for (const p of m.pairs) {
      this.sectionLabels.set(p.old.label, p.new.label);
      this.oldLabels.set(p.new.label, p.old.label);
    }
    for (const a of m.added) this.addedSections.add(a.new.label);
  }

  emit(change: Change): void {
    this.changes.push(change);
  }

  /** The new-IR section an old-IR section label became (or the label itself when unknown). */
  mapSection(label: string): string {
    return this.sectionLabels.get(label) ?? label;
  }

  /** Where an old-IR section is in the new IR: the place to point at for something removed from it. */
  newSectionSpan(oldLabel: string): SourceSpan | undefined {
    const label = this.sectionLabels.get(oldLabel);
    return label === undefined ? undefined : this.newSections.get(label)?.source;
  }

  /** Where a new-IR section was in the old IR: the place to point at for something added to it. */
  oldSectionSpan(newLabel: string): SourceSpan | undefined {
    const label = this.oldLabels.get(newLabel);
    return label === undefined ? undefined : this.oldSections.get(label)?.source;
  }

  /** An old struct name as the new IR calls it. */
  mapStruct(name: string): string {
    return this.structNames.get(name) ?? name;
  }
}
