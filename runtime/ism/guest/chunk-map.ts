/**
 * A picture of devices' chunk maps: which chunk slots of each device's memory hold which region. The same
 * region has the same letter in every device, so the picture shows how one region sits at different slots
 * (different offsets) in each device that maps it.
 *
 * @module
 */
import type { IsmDeviceCore } from "../core.js";

/** Slots per picture row. */
const ROW_SLOTS = 64;
/** Letters for regions, in order of first appearance. */
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** One device to draw. */
export interface ChunkMapDevice {
  /** Label (guest name). */
  readonly label: string;
  /** The device core. */
  readonly core: IsmDeviceCore;
}

/** One region of the legend. */
export interface ChunkMapLegendEntry {
  /** Its letter. */
  readonly letter: string;
  /** Its token. */
  readonly token: bigint;
  /** Its size in bytes. */
  readonly size: number;
  /** Devices mapping it, with the slot of its first chunk there. */
  readonly placements: ReadonlyArray<{ readonly label: string; readonly firstSlot: number }>;
}

/** The rendered picture and its legend. */
export interface ChunkMapPicture {
  /** Lines of text (no trailing newline). */
  readonly lines: readonly string[];
  /** Regions drawn. */
  readonly legend: readonly ChunkMapLegendEntry[];
}

/**
 * Draws the chunk maps of `devices`: one character per chunk slot (`.` free, a letter per region), 64 slots a
 * row; consecutive identical rows are drawn once with a repeat count.
 */
export function renderChunkMaps(devices: readonly ChunkMapDevice[], names: ReadonlyMap<bigint, string> = new Map()): ChunkMapPicture {
  const letters = new Map<bigint, string>();
  const legend = new Map<bigint, { letter: string; token: bigint; size: number; placements: { label: string; firstSlot: number }[] }>();
  const labelWidth = Math.max(...devices.map((d) => d.label.length), 1);
  const lines: string[] = [];
  for (const { label, core } of devices) {
    const chunkSize = core.memory.chunkSize;
    const slots = new Array<string>(core.memory.chunkCount).fill(".");
    for (const region of core.attachedRegions()) {
      let letter = letters.get(region.token);
      if (letter === undefined) {
        letter = LETTERS[letters.size % LETTERS.length]!;
        letters.set(region.token, letter);
        legend.set(region.token, { letter, token: region.token, size: region.size, placements: [] });
      }
      legend.get(region.token)!.placements.push({ label, firstSlot: region.chunks[0]! / chunkSize });
      for (const offset of region.chunks) slots[offset / chunkSize] = letter;
    }
    const used = slots.filter((s) => s !== ".").length;
    const head = `${label.padEnd(labelWidth)}  devid 0x${core.devid.toString(16).padStart(16, "0")}  ${used}/${slots.length} slots used`;
    lines.push(head);
    let previous = "";
    let repeat = 0;
    let firstRow = 0;
    const flush = (): void => {
      if (repeat === 0) return;
      const from = firstRow * ROW_SLOTS;
      const to = Math.min(slots.length, (firstRow + repeat) * ROW_SLOTS) - 1;
      lines.push(`${"".padEnd(labelWidth)}  [${previous}] ${String(from).padStart(5)}-${String(to).padEnd(5)}${repeat > 1 ? ` (${repeat} rows alike)` : ""}`);
    };
    for (let row = 0; row * ROW_SLOTS < slots.length; row++) {
      const text = slots.slice(row * ROW_SLOTS, (row + 1) * ROW_SLOTS).join("").padEnd(ROW_SLOTS, " ");
      if (text === previous) {
        repeat++;
        continue;
      }
      flush();
      previous = text;
      repeat = 1;
      firstRow = row;
    }
    flush();
  }
  for (const entry of legend.values()) {
    const name = names.get(entry.token);
    const where = entry.placements.map((p) => `${p.label}@slot ${p.firstSlot}`).join(", ");
    lines.push(`${entry.letter} = token 0x${entry.token.toString(16).padStart(16, "0")}${name === undefined ? "" : ` (${name})`}, ${entry.size} bytes: ${where}`);
  }
  return { lines, legend: [...legend.values()] };
}
