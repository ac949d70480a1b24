/**
 * A struct's byte layout as an SVG drawing, from the IR: rows of 8 bytes, each field a box over its bytes (split
 * where it wraps a row), bit-fields as boxes over their bits inside the storage integer, unions as one box per
 * member stacked in lanes, fields present only under a feature drawn dashed with the feature named, variable-length
 * arrays drawn open-ended and the fields after them placed relative to their end. The playground and the API docs
 * draw the same picture from this module; it has no dependencies (plain strings), so it runs anywhere.
 *
 * Every box carries `data-path`, `data-offset` and `data-size` so a page can highlight the field a decoder reads.
 *
 * @module
 */
import type { Field, Struct } from "../../grammar/ir/types.js";

/** Drawing options. */
export interface StructDiagramOptions {
  /** Bytes per row (default 8). */
  bytesPerRow?: number;
  /** Pixel width of one byte (default 72). */
  byteWidth?: number;
  /** Bytes drawn for a variable-length array (default: one row's worth, open-ended). */
  variableBytes?: number;
}

/** One box to draw: a field (or member, or bit-field) over a byte range, in a lane. */
interface Box {
  path: string;
  label: string;
  offset: number;
  size: number;
  lane: number;
  bits?: { offset: number; width: number; storage: number };
  conditional?: string;
  open?: boolean;
  relative?: string;
}

const ROW_HEIGHT = 34;
const LANE_HEIGHT = 30;
const LEFT = 64;
const TOP = 22;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function typeOf(f: Field): string {
  const t = f.type;
  const base = t.kind === "primitive" ? t.name : t.kind === "pointer" ? `${t.target} *` : t.kind === "struct" ? `struct ${t.name}` : t.name;
  const a = f.array;
  const dim = a.kind === "fixed" ? `[${a.length}]` : a.kind === "expr" ? `[${a.expr}]` : a.kind === "flexible" ? "[]" : "";
  return f.members ? (f.aggregate === "union" ? "union" : "struct") : base + dim + (f.bitWidth !== undefined ? `:${f.bitWidth}` : "");
}

/** Lays the fields out as boxes; unions put each member in its own lane. */
function boxes(fields: readonly Field[], base: number, prefix: string, lane: number, variable: number, out: Box[], depth: number): number {
  let lanes = lane + 1;
  let afterVariable: string | undefined;
  let variableEnd = 0;
  for (const f of fields) {
    const path = prefix + f.name;
    const conditional = f.presence ? `${f.presence.negotiated ? "if" : "unless"} ${f.presence.feature}` : undefined;
    let offset = f.offset;
    let relative: string | undefined;
    if (offset === null) {
      if (!f.afterVariable) continue;
      offset = variableEnd + f.afterVariable.offset;
      relative = `+${f.afterVariable.offset} after ${f.afterVariable.field}`;
    } else if (afterVariable) relative = undefined;
    const at = base + offset;
    const size = f.size ?? (f.elementSize !== null && f.array.kind !== "fixed" ? variable : f.elementSize ?? variable);
    const open = f.size === null;
    if (f.members && f.members.length && depth < 6) {
      if (f.aggregate === "union") {
        // Each member in its own lane under the union's box.
        out.push({ path, label: f.anonymous ? "union" : `union ${f.name}`, offset: at, size: f.size ?? variable, lane, open, ...(conditional ? { conditional } : {}) });
        let l = lane + 1;
        for (const m of f.members) {
          const used = boxes([{ ...m, offset: 0 }], at, `${path}.`, l, variable, out, depth + 1);
          l = used;
        }
        lanes = Math.max(lanes, l);
      } else {
        lanes = Math.max(lanes, boxes(f.members, at, `${path}.`, lane, variable, out, depth + 1));
      }
    } else {
      const bits = f.bitWidth !== undefined && f.size !== null ? { offset: f.bitOffset ?? 0, width: f.bitWidth, storage: f.size * 8 } : undefined;
      out.push({ path, label: `${f.name}: ${typeOf(f)}`, offset: at, size, lane, ...(bits ? { bits } : {}), ...(conditional ? { conditional } : {}), ...(open ? { open } : {}), ...(relative ? { relative } : {}) });
    }
    if (open) {
      afterVariable = f.name;
      variableEnd = at + size;
    }
  }
  return lanes;
}

/**
 * Draws `struct`'s layout.
 * @returns an `<svg>` element as text (width and height set; `class="vk-struct-diagram"`)
 */
export function structDiagramSvg(struct: Struct, options: StructDiagramOptions = {}): string {
  const perRow = options.bytesPerRow ?? 8;
  const bw = options.byteWidth ?? 72;
  const variable = options.variableBytes ?? perRow;
  const list: Box[] = [];
  const lanes = boxes(struct.fields, 0, "", 0, variable, list, 0);
  const total = Math.max(struct.size ?? 0, struct.minSize, ...list.map((b) => b.offset + b.size), 1);
  const rowCount = Math.ceil(total / perRow);
  // Each row as tall as the lanes its boxes use; a run of rows that the same boxes cover whole (a long array, a
  // union of arrays) is drawn as its first and last row with an elision between them.
  const touching = Array.from({ length: rowCount }, () => [] as Box[]);
  for (const b of list) {
    const first = Math.floor(b.offset / perRow);
    const last = b.bits ? first : Math.floor((b.offset + Math.max(1, b.size) - 1) / perRow);
    for (let r = first; r <= last && r < rowCount; r++) touching[r]!.push(b);
  }
  const whole = (r: number): string | undefined => {
    const bs = touching[r]!;
    const covered = bs.length > 0 && bs.every((b) => b.offset <= r * perRow && b.offset + b.size >= (r + 1) * perRow && !b.bits);
    return covered ? bs.map((b) => b.path).join("|") : undefined;
  };
  type Row = { kind: "row"; index: number } | { kind: "gap"; from: number; to: number };
  const rows: Row[] = [];
  for (let r = 0; r < rowCount; r++) {
    const key = whole(r);
    let end = r;
    while (key !== undefined && end + 1 < rowCount && whole(end + 1) === key) end++;
    if (end - r >= 3) {
      rows.push({ kind: "row", index: r }, { kind: "gap", from: r + 1, to: end - 1 }, { kind: "row", index: end });
      r = end;
    } else rows.push({ kind: "row", index: r });
  }
  const heightOf = (row: Row): number =>
    row.kind === "gap" ? 18 : Math.max(ROW_HEIGHT, (Math.max(0, ...touching[row.index]!.map((b) => b.lane)) + 1) * LANE_HEIGHT + 4);
  const yOf = new Map<number, number>();
  let y0 = TOP;
  for (const row of rows) {
    if (row.kind === "row") yOf.set(row.index, y0);
    y0 += heightOf(row);
  }
  const width = LEFT + perRow * bw + 8;
  const height = y0 + 8;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="vk-struct-diagram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(`layout of struct ${struct.name}: ${struct.size ?? `at least ${struct.minSize}`} bytes`)}" font-family="monospace" font-size="11">`,
  );
  parts.push(`<title>${esc(`struct ${struct.name}: ${struct.size !== null ? `${struct.size} bytes` : `at least ${struct.minSize} bytes`}`)}</title>`);
  // Byte ruler and row offsets.
  for (let i = 0; i < perRow; i++) parts.push(`<text x="${LEFT + i * bw + bw / 2}" y="14" text-anchor="middle" fill="#666">+${i}</text>`);
  for (const row of rows) {
    if (row.kind === "gap") {
      const y = [...yOf].find(([r]) => r === row.from - 1)![1] + heightOf({ kind: "row", index: row.from - 1 });
      parts.push(`<text x="${LEFT + (perRow * bw) / 2}" y="${y + 13}" text-anchor="middle" fill="#666">⋮ bytes ${row.from * perRow}–${(row.to + 1) * perRow - 1}: the same fields continue</text>`);
      continue;
    }
    const y = yOf.get(row.index)!;
    parts.push(`<text x="${LEFT - 6}" y="${y + 18}" text-anchor="end" fill="#666">${row.index * perRow}</text>`);
    parts.push(`<rect x="${LEFT}" y="${y}" width="${perRow * bw}" height="${heightOf(row) - 2}" fill="#fafafa" stroke="#ddd"/>`);
  }
  for (const b of list) {
    // A box may wrap rows: one segment per row it touches (rows in an elided run are not drawn).
    let start = b.offset;
    const end = b.offset + b.size;
    while (start < end) {
      const row = Math.floor(start / perRow);
      const rowEnd = Math.min(end, (row + 1) * perRow);
      const rowY = yOf.get(row);
      if (rowY === undefined) {
        start = rowEnd;
        continue;
      }
      let x = LEFT + (start % perRow) * bw;
      let w = (rowEnd - start) * bw;
      if (b.bits) {
        // Bits inside the storage integer, least significant bit at the right of the storage's bytes (little-endian numbering).
        const sx = LEFT + (b.offset % perRow) * bw;
        const sw = Math.min(b.size, perRow) * bw;
        w = (b.bits.width / b.bits.storage) * sw;
        x = sx + sw - ((b.bits.offset + b.bits.width) / b.bits.storage) * sw;
      }
      const y = rowY + 2 + b.lane * LANE_HEIGHT;
      const dash = b.conditional ? ` stroke-dasharray="4 3"` : "";
      const fill = b.label.startsWith("union") ? "#eef3ff" : b.bits ? "#fff4e0" : b.conditional ? "#f3fff0" : "#e8f4fa";
      const label = b.label + (b.conditional ? ` (${b.conditional})` : "") + (b.relative ? ` [${b.relative}]` : "") + (b.bits ? ` bits ${b.bits.offset}..${b.bits.offset + b.bits.width - 1}` : "");
      parts.push(
        `<g class="vk-field" data-path="${esc(b.path)}" data-offset="${b.offset}" data-size="${b.size}"${b.bits ? ` data-bits="${b.bits.offset}:${b.bits.width}"` : ""}>` +
          `<title>${esc(`${b.path}: offset ${b.offset}, ${b.size} byte${b.size === 1 ? "" : "s"}${b.open ? " (variable length)" : ""}${b.conditional ? `, ${b.conditional}` : ""}`)}</title>` +
          `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(2, w - 2).toFixed(1)}" height="${LANE_HEIGHT - 4}" rx="3" fill="${fill}" stroke="#357"${dash}/>` +
          `<text x="${(x + 4).toFixed(1)}" y="${y + 17}">${esc(fit(label, w - 8))}${b.open && rowEnd >= end ? " …" : ""}</text>` +
          `</g>`,
      );
      start = rowEnd;
      if (b.bits) break;
    }
  }
  parts.push("</svg>");
  return parts.join("");
}

/** Shortens a label to what fits in `px` pixels of 11 px monospace (about 6.6 px a character). */
function fit(label: string, px: number): string {
  const max = Math.max(1, Math.floor(px / 6.6));
  return label.length <= max ? label : label.slice(0, Math.max(1, max - 1)) + "…";
}
