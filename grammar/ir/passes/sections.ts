/**
 * Pass 1: sections, their labels and tree, and every prose sentence split once for the linking rules.
 *
 * @module
 */
import type { DocSection, Document } from "../../document/document.js";
import { splitSentences } from "../text.js";
import type { Section } from "../types.js";
import { prosesOf, type Sentence } from "./context.js";

export interface SectionsOutput {
  /** The IR label of a document section: its \label, or a position-based stand-in. */
  sectionLabel: (i: number) => string;
  sections: Section[];
  children: Map<number, number[]>;
  /** Every section below `i`, depth first. */
  descendants: (i: number) => number[];
  sentences: Sentence[];
  sentencesBySection: Map<number, Sentence[]>;
}

export function sectionsPass(doc: Document): SectionsOutput {
  const anonLabels = anonymousSectionLabels(doc.sections);
  const sectionLabel = (i: number): string => doc.sections[i]!.label ?? anonLabels.get(i)!;
  const sections: Section[] = doc.sections
    .filter((s) => s.level >= -1)
    .map((s) => {
      const out: Section = { label: sectionLabel(s.index), title: s.title, level: s.level, source: s.span };
      if (s.parent !== undefined && doc.sections[s.parent]!.level >= -1) out.parent = sectionLabel(s.parent);
      if (s.normative) out.normative = s.normative;
      return out;
    });
  const children = new Map<number, number[]>();
  for (const s of doc.sections) if (s.parent !== undefined) (children.get(s.parent) ?? children.set(s.parent, []).get(s.parent)!).push(s.index);
  const descendants = (i: number): number[] => {
    const out: number[] = [];
    const walk = (j: number) => {
      for (const c of children.get(j) ?? []) {
        out.push(c);
        walk(c);
      }
    };
    walk(i);
    return out;
  };
  // Every sentence of the document's prose, split once and reused by the linking rules.
  const sentences: Sentence[] = [];
  const sentencesBySection = new Map<number, Sentence[]>();
  for (const s of doc.sections) {
    const list: Sentence[] = [];
    for (const prose of prosesOf(s.blocks)) for (const x of splitSentences(prose.text)) list.push({ section: s.index, prose, text: x.text, offset: x.offset });
    sentencesBySection.set(s.index, list);
    sentences.push(...list);
  }
  return { sectionLabel, sections, children, descendants, sentences, sentencesBySection };
}

/**
 * Stand-in labels for sections without a \label: the nearest labelled ancestor's label and the titles below it,
 * e.g. `anon:sec:Device Types / RTC Device/device-operation/clock-ids`, with `~2`, `~3` for a repeated title.
 * Titles, not line numbers, so a line added above does not rename every later section (the diff and the
 * generated conformance files then change only where a title changes).
 */
function anonymousSectionLabels(all: readonly DocSection[]): Map<number, string> {
  const slug = (title: string) =>
    title
      .toLowerCase()
      .replace(/\\[a-z]+\*?/g, " ")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "untitled";
  const out = new Map<number, string>();
  const seen = new Map<string, number>();
  for (const s of all) {
    if (s.label !== undefined) continue;
    const path: string[] = [slug(s.title)];
    let anchor = "root";
    for (let p = s.parent; p !== undefined; p = all[p]!.parent) {
      const a = all[p]!;
      if (a.label !== undefined) {
        anchor = a.label;
        break;
      }
      path.unshift(slug(a.title));
    }
    const base = `anon:${anchor}/${path.join("/")}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.set(s.index, n === 1 ? base : `${base}~${n}`);
  }
  return out;
}

export const titleIs = (s: DocSection, re: RegExp) => re.test(s.title);
