/**
 * Feature bits: the list items of each device's "Feature bits" section (and its subsections), and the
 * device-independent bits of the "Reserved Feature Bits" chapter, legacy ones included and marked.
 *
 * The spec writes a bit as a description item `\item[NAME (n)] text`, and sometimes without brackets,
 * `\item NAME (n) text` (the crypto device's VIRTIO_CRYPTO_F_* bits); both are read. A bit named UNUSED or
 * RESERVED is marked reserved.
 *
 * @module
 */
import type { DocSection, Document, ListItem } from "../../document/document.js";
import { squash } from "../text.js";
import type { FeatureBit } from "../types.js";
import { listItems } from "./context.js";
import type { DevicesOutput } from "./devices.js";
import type { SectionsOutput } from "./sections.js";

/** Adds each device's feature bits to it; returns the device-independent ones. */
export function featuresPass(doc: Document, secs: Pick<SectionsOutput, "descendants" | "sectionLabel">, devs: DevicesOutput): FeatureBit[] {
  for (const dev of devs.devices) {
    const sub = secs.descendants(devs.deviceSection.get(dev)!).map((i) => doc.sections[i]!);
    const fb = sub.find((s) => /^feature bits$/i.test(s.title));
    if (fb) {
      for (const s of [fb, ...secs.descendants(fb.index).map((i) => doc.sections[i]!)]) {
        for (const item of listItems(s.blocks)) {
          const bit = featureOfItem(item);
          if (!bit) continue;
          const f: FeatureBit = { name: bit.name, bit: bit.bit, description: bit.description, device: dev.slug, section: secs.sectionLabel(s.index), source: item.span };
          if (s !== fb && !s.normative) f.group = s.title;
          mark(f, s);
          dev.features.push(f);
        }
      }
    }
  }
  const featureBits: FeatureBit[] = [];
  for (const s of doc.sections) {
    if (!/reserved feature bits/i.test(s.title) || s.normative) continue;
    for (const item of listItems(s.blocks)) {
      const bit = featureOfItem(item);
      if (!bit) continue;
      const f: FeatureBit = { name: bit.name, bit: bit.bit, description: bit.description, section: secs.sectionLabel(s.index), source: item.span };
      mark(f, s);
      featureBits.push(f);
    }
  }
  return featureBits;
}

function mark(f: FeatureBit, s: DocSection): void {
  if (/\blegacy\b/i.test(s.title)) f.legacy = true;
  if (/^(?:UNUSED|RESERVED)(?:_|$)/.test(f.name)) f.reserved = true;
}

const BIT_RE = /^\[?\s*([A-Z][A-Z0-9_]+)\s*\(\s*(\d+)\s*\)\]?/;

/** `\item[NAME (n)] text` or `\item NAME (n) text`: the bit, and its description without the name. */
export function featureOfItem(item: Pick<ListItem, "label" | "body">): { name: string; bit: number; description: string } | undefined {
  const labelled = featureFromItem(item.label);
  if (labelled) return { ...labelled, description: renderOnce(squash(item.body.text)) };
  if (item.label !== "") return undefined;
  const text = squash(item.body.text);
  const m = BIT_RE.exec(text);
  return m ? { name: m[1]!, bit: Number(m[2]), description: renderOnce(text.slice(m[0].length).trim()) } : undefined;
}

export function featureFromItem(label: string): { name: string; bit: number } | undefined {
  const m = /^([A-Z][A-Z0-9_]+)\s*\(\s*(\d+)\s*\)/.exec(label.trim());
  return m ? { name: m[1]!, bit: Number(m[2]) } : undefined;
}

/**
 * The spec writes `\ref{X}~\nameref{X}` (number, then title) and both render as `[X]`; a description says the
 * reference once.
 */
export function renderOnce(text: string): string {
  return text.replace(/(\[[^\][]+\])(?:[\s~]*\1)+/g, "$1");
}
