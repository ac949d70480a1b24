/**
 * Plain data (JSON-like, plus bigint) as a TypeScript literal on one line: `{ name: "x", size: 8 }`.
 *
 * @module
 */
import { propKey } from "../names.js";

/** Renders `value` as a TypeScript expression; object keys in insertion order, so output is deterministic. */
export function tsLiteral(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return entries.length ? `{ ${entries.map(([k, v]) => `${propKey(k)}: ${tsLiteral(v)}`).join(", ")} }` : "{}";
  }
  throw new Error(`cannot render ${typeof value} as a literal`);
}
