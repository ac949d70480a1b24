/**
 * Pass 2 (discovery) and pass 9 (completion): devices.
 *
 * A section with a "Device ID" subsection is a device. Once structs, enums and constant groups exist, each
 * device gets its virtqueues (the list of its "Virtqueues" section), its configuration struct and the items
 * defined under its section.
 *
 * @module
 */
import type { Document } from "../../document/document.js";
import { slugify, squash } from "../text.js";
import type { ConstantGroup, Device, Enum, Struct, Virtqueue } from "../types.js";
import { listItems, type DiagnosticSink, type PlacedItem } from "./context.js";
import { titleIs, type SectionsOutput } from "./sections.js";

export interface DevicesOutput {
  devices: Device[];
  /** The slug of the device whose section encloses section `i`. */
  deviceOf: (i: number) => string | undefined;
  /** Index of a device section, for the passes that walk its subsections. */
  deviceSection: Map<Device, number>;
}

export function discoverDevicesPass(doc: Document, secs: Pick<SectionsOutput, "children" | "sectionLabel">, diagnostics: DiagnosticSink): DevicesOutput {
  const deviceBySection = new Map<number, string>();
  const deviceSection = new Map<Device, number>();
  const devices: Device[] = [];
  for (const s of doc.sections) {
    const kids = secs.children.get(s.index) ?? [];
    const idSection = kids.map((k) => doc.sections[k]!).find((k) => titleIs(k, /^device id$/i));
    if (!idSection) continue;
    const slug = slugify(s.title.replace(/\s+device$/i, ""));
    const idText = idSection.blocks.map((b) => (b.kind === "prose" ? b.prose.text : "")).join(" ");
    const idMatch = /\b(\d+)\b/.exec(idText);
    const deviceId = idMatch ? Number(idMatch[1]) : null;
    if (deviceId === null) {
      diagnostics.push({
        severity: "warning",
        code: "device-id-missing",
        message: `${s.title}: the Device ID section gives no number (${JSON.stringify(squash(idText)) || "empty"}); the device cannot be enumerated`,
        source: idSection.span,
      });
    }
    const dev: Device = {
      name: s.title,
      slug,
      deviceId,
      section: secs.sectionLabel(s.index),
      virtqueues: [],
      features: [],
      structs: [],
      enums: [],
      constantGroups: [],
      source: s.span,
    };
    devices.push(dev);
    deviceSection.set(dev, s.index);
    deviceBySection.set(s.index, slug);
  }
  // The device whose section encloses each section (computed once: sections come parent-first).
  const sectionDevice: (string | undefined)[] = [];
  for (const s of doc.sections) sectionDevice[s.index] = deviceBySection.get(s.index) ?? (s.parent !== undefined ? sectionDevice[s.parent] : undefined);
  return { devices, deviceOf: (i) => sectionDevice[i], deviceSection };
}

export interface DeviceItemsInput {
  doc: Document;
  secs: Pick<SectionsOutput, "descendants">;
  devs: DevicesOutput;
  placed: PlacedItem[];
  structs: Struct[];
  enums: Enum[];
  groups: ConstantGroup[];
}

/** Fills each device's virtqueues, configuration struct and owned structs, enums and constant groups. */
export function completeDevicesPass(input: DeviceItemsInput): void {
  const { doc, secs, devs, placed } = input;
  for (const dev of devs.devices) {
    const sub = secs.descendants(devs.deviceSection.get(dev)!).map((i) => doc.sections[i]!);
    const vq = sub.find((s) => /^virtqueues$/i.test(s.title));
    if (vq) {
      for (const item of listItems(vq.blocks)) {
        const m = /^(.+)$/.exec(item.label);
        if (!m) continue;
        const v: Virtqueue = { indexText: item.label, index: /^\d+$/.test(item.label) ? Number(item.label) : null, name: squash(item.body.text), source: item.span };
        dev.virtqueues.push(v);
      }
    }
    const cfg = sub.find((s) => /configuration layout/i.test(s.title) && !s.normative);
    if (cfg) {
      const config = configStructOf(placed.filter((p) => p.section === cfg.index), input.structs);
      if (config) dev.configStruct = config;
    }
    dev.structs = input.structs.filter((s) => s.device === dev.slug).map((s) => s.name);
    dev.enums = input.enums.filter((e) => e.device === dev.slug).map((e) => e.name);
    dev.constantGroups = input.groups.filter((g) => g.device === dev.slug).map((g) => g.id);
  }
}

/**
 * The configuration struct of a "Device configuration layout" section: of the structs defined there, the one no
 * other of them contains (the input device defines virtio_input_absinfo and virtio_input_devids, then
 * virtio_input_config holding both in a union). When several are uncontained, the first.
 */
export function configStructOf(items: PlacedItem[], structs: Struct[]): string | undefined {
  const names = items.flatMap((p) => (p.item.kind === "struct" && p.item.name ? [p.item.name] : []));
  if (names.length <= 1) return names[0];
  const byName = new Map(structs.map((s) => [s.name, s]));
  const contained = new Set<string>();
  const walk = (fields: Struct["fields"]) => {
    for (const f of fields) {
      if (f.type.kind === "struct") contained.add(f.type.name);
      if (f.members) walk(f.members);
    }
  };
  for (const n of names) {
    const st = byName.get(n);
    if (st) walk(st.fields);
  }
  return names.find((n) => !contained.has(n)) ?? names[0];
}
