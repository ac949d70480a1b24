/**
 * Feature bits: the list items of each device's "Feature bits" section (and its subsections), and the
 * device-independent bits of the "Reserved Feature Bits" chapter.
 *
 * @module
 */
import type { Document } from "../../document.js";
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
          const bit = featureFromItem(item.label);
          if (!bit) continue;
          const f: FeatureBit = { name: bit.name, bit: bit.bit, description: squash(item.body.text), device: dev.slug, section: secs.sectionLabel(s.index), source: item.span };
          if (s !== fb && !s.normative) f.group = s.title;
          dev.features.push(f);
        }
      }
    }
  }
  const featureBits: FeatureBit[] = [];
  for (const s of doc.sections) {
    if (!/reserved feature bits/i.test(s.title) || s.normative || /legacy/i.test(s.title)) continue;
    for (const item of listItems(s.blocks)) {
      const bit = featureFromItem(item.label);
      if (bit) featureBits.push({ name: bit.name, bit: bit.bit, description: squash(item.body.text), section: secs.sectionLabel(s.index), source: item.span });
    }
  }
  return featureBits;
}

export function featureFromItem(label: string): { name: string; bit: number } | undefined {
  const m = /^([A-Z][A-Z0-9_]+)\s*\(\s*(\d+)\s*\)/.exec(label.trim());
  return m ? { name: m[1]!, bit: Number(m[2]) } : undefined;
}
