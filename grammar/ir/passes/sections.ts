/**
 * Pass 1: sections, their labels and tree, and every prose sentence split once for the linking rules.
 *
 * @module
 */
import type { DocSection, Document } from "../../document.js";
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
  const sectionLabel = (i: number): string => {
    const s = doc.sections[i]!;
    return s.label ?? `anon:${s.span.file}:${s.span.line}`;
  };
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

export const titleIs = (s: DocSection, re: RegExp) => re.test(s.title);
