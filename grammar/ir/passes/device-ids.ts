/**
 * The device ID table: a table whose header names a "Device ID" column. Every row is kept, with the device
 * chapter of that ID when the spec has one (most IDs are reserved for devices without a chapter).
 *
 * @module
 */
import type { Document } from "../../document/document.js";
import { squash } from "../text.js";
import type { Device, DeviceIdEntry } from "../types.js";

export function deviceIdsPass(doc: Document, devices: Device[]): DeviceIdEntry[] {
  const out: DeviceIdEntry[] = [];
  for (const s of doc.sections) for (const b of s.blocks) {
    if (b.kind !== "table") continue;
    const header = b.rows[0]?.map((c) => c.toLowerCase()) ?? [];
    const idCol = header.findIndex((c) => c.includes("device id"));
    if (idCol < 0) continue;
    const nameCol = header.findIndex((c, i) => i !== idCol && c.trim() !== "");
    for (const row of b.rows.slice(1)) {
      const idText = row[idCol]?.trim() ?? "";
      if (!/^\d+$/.test(idText)) continue;
      const id = Number(idText);
      const e: DeviceIdEntry = { id, name: squash(row[nameCol < 0 ? 1 : nameCol] ?? ""), source: b.span };
      const dev = devices.find((d) => d.deviceId === id);
      if (dev) e.device = dev.slug;
      out.push(e);
    }
  }
  return out;
}
