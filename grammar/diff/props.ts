/**
 * Generic comparison of IR nodes property by property. Each node kind names the properties it handles itself
 * or ignores (positions, prose); every other property — including ones a newer IR adds, such as a field's bit
 * position — is compared as JSON and falls in the kind's default class, so new IR facts are diffed as soon as
 * the IR carries them.
 *
 * @module
 */
import type { PropertyChange } from "./types.js";

/** JSON with object keys sorted: equal values give equal strings whatever the key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined && !isSourceSpan(v)) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** A SourceSpan (or any object shaped like one): positions never make a change. */
export function isSourceSpan(v: unknown): boolean {
  return !!v && typeof v === "object" && !Array.isArray(v) && "file" in v && "line" in v && "column" in v;
}

/**
 * The properties of `o` and `n` that differ, except those in `skip`. Values may be rewritten by `normalise`
 * first (e.g. struct names through the rename map) so a renamed referent is not a change of the referrer.
 */
export function differingProperties(
  o: object,
  n: object,
  skip: ReadonlySet<string>,
  normalise: (property: string, value: unknown, side: "old" | "new") => unknown = (_p, v) => v,
): PropertyChange[] {
  const keys = new Set([...Object.keys(o), ...Object.keys(n)]);
  const out: PropertyChange[] = [];
  for (const k of [...keys].sort()) {
    if (skip.has(k)) continue;
    const ov = (o as Record<string, unknown>)[k];
    const nv = (n as Record<string, unknown>)[k];
    if (isSourceSpan(ov) || isSourceSpan(nv)) continue;
    if (Array.isArray(ov) && ov.every(isSourceSpan) && Array.isArray(nv) && nv.every(isSourceSpan)) continue;
    if (canonical(normalise(k, ov, "old")) !== canonical(normalise(k, nv, "new"))) out.push({ property: k, old: ov, new: nv });
  }
  return out;
}

/** A JSON value for a message: short, on one line. */
export function show(v: unknown): string {
  if (v === undefined) return "none";
  if (v === null) return "unknown";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = canonical(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `prop a → b` for each change, joined with `, `. */
export function describeProperties(changes: readonly PropertyChange[], render: (p: PropertyChange, v: unknown) => string = (_p, v) => show(v)): string {
  return changes.map((c) => `${c.property} ${render(c, c.old)} → ${render(c, c.new)}`).join(", ");
}
