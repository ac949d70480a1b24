/**
 * Sentence-level reading of spec prose: splitting into sentences and finding RFC 2119 keywords.
 *
 * @module
 */
import type { RequirementLevel } from "./types.js";

/** Keywords by strength; earlier is stronger. MUST NOT and MUST are equally binding, listed negative first. */
export const LEVELS: RequirementLevel[] = [
  "MUST NOT", "MUST", "SHALL NOT", "SHALL", "REQUIRED", "SHOULD NOT", "SHOULD", "RECOMMENDED", "MAY", "OPTIONAL",
];

const KEYWORD_RE = /\b(MUST NOT|MUST|SHALL NOT|SHALL|SHOULD NOT|SHOULD|REQUIRED|RECOMMENDED|MAY|OPTIONAL)\b/g;

/** The RFC 2119 keywords of a sentence, in order (upper case only, as the spec writes them). */
export function keywordsOf(sentence: string): RequirementLevel[] {
  return [...sentence.matchAll(KEYWORD_RE)].map((m) => m[1] as RequirementLevel);
}

/** The binding level of a sentence: its strongest keyword. */
export function levelOf(keywords: RequirementLevel[]): RequirementLevel | undefined {
  let best: RequirementLevel | undefined;
  for (const k of keywords) if (best === undefined || LEVELS.indexOf(k) < LEVELS.indexOf(best)) best = k;
  // MUST and MUST NOT are the same strength: report the one the sentence uses first.
  if (best === "MUST NOT" && keywords.includes("MUST") && keywords.indexOf("MUST") < keywords.indexOf("MUST NOT")) return "MUST";
  return best;
}

const ABBREVIATIONS = /\b(e\.g|i\.e|etc|vs|cf|Fig|No|Sec)\.$/;

/** Splits text into sentences, returning each with its start offset. Whitespace is preserved in offsets. */
export function splitSentences(text: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  // A sentence ends at . ! ? before whitespace; the next one may start in lower case, since the spec starts
  // sentences with field names ("devid MUST NOT be 0."). Abbreviations are not ends.
  const re = /[.!?](?=\s+\S|\s*$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const end = m.index + 1;
    const candidate = text.slice(start, end);
    if (ABBREVIATIONS.test(candidate)) continue;
    // "1.0" or "0.5" is not a sentence end: the regex already requires whitespace after the dot.
    push(candidate, start);
    start = end;
  }
  if (start < text.length) push(text.slice(start), start);
  return out;

  function push(s: string, offset: number): void {
    const lead = s.length - s.trimStart().length;
    const t = s.trim();
    if (t !== "") out.push({ text: t, offset: offset + lead });
  }
}

/** Collapses whitespace to single spaces. */
export function squash(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** Lower-case slug: `Device Types / ISM Device` → `device-types-ism-device`. */
export function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Identifier-shaped constant names in text (VIRTIO_ISM_OK, VHOST_PCI_CTRL_MAC). */
export const CONSTANT_NAME_RE = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/** Plural/singular-insensitive comparison of a word with an identifier (`chunks` ~ `chunk`). */
export function sameNoun(a: string, b: string): boolean {
  const norm = (x: string) => x.toLowerCase().replace(/(es|s)$/, "");
  return norm(a) === norm(b);
}

/** Levenshtein distance, capped for speed (`cap + 1` once the distance is known to exceed `cap`). */
export function editDistance(a: string, b: string, cap = 8): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > cap) return cap + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
