/**
 * One physical line of a patch region as it stands in the mail, and what such a line can be: the start of a
 * patch line, a wrapped continuation, a `\ No newline` marker, or patch structure.
 *
 * @module
 */

/** One physical line of the patch region, as it stands in the mail. */
export interface MailLine {
  /** The line with the quote prefix removed; `""` for a quoted blank line (`>` alone). */
  text: string;
  /** 1-based line number in the mail. */
  line: number;
  /** 1-based column in the mail where `text` starts (1 + the quote prefix length). */
  column: number;
  /** Length of the line in the mail, prefix included: what the mail client's wrapping saw. */
  rawLength: number;
  /** false when the line lacks the quote prefix: it can only be a wrapped continuation. */
  quoted: boolean;
}

/** A line that can start a patch line: quoted and beginning with a prefix (or empty: a bare blank context). */
export function canStartPatchLine(l: MailLine): boolean {
  if (!l.quoted) return false;
  const c = l.text.charAt(0);
  return c === "" || c === " " || c === "+" || c === "-" || isMarker(l);
}

/** `\ No newline at end of file` (git localises the text, so only the `\ ` is checked). */
export function isMarker(l: MailLine): boolean {
  return l.quoted && l.text.startsWith("\\ ");
}

/** Lines that are patch structure and never the tail of a wrapped line. */
export function isStructural(l: MailLine): boolean {
  const t = l.text;
  return (
    l.quoted &&
    (t.startsWith("@@ -") || t.startsWith("diff --git ") || t === "-- " || t === "--" || /^index [0-9a-f]+\.\.[0-9a-f]+/.test(t))
  );
}

/** Whether a mail line may be the continuation of a wrapped line: not empty, not structure, not a marker. */
export function canContinue(l: MailLine): boolean {
  return l.text !== "" && !isStructural(l) && !isMarker(l);
}

/** A line that can only be a continuation: it may continue a line but cannot start one. */
export function mustContinue(l: MailLine): boolean {
  return canContinue(l) && !canStartPatchLine(l);
}

/**
 * Whether a hunk may end just before `next`: at the end of the region, or before a line that cannot be a
 * patch line (next hunk or file, signature, prose, an empty or unquoted line, a marker it will take).
 */
export function canEndBefore(next: MailLine | undefined): boolean {
  if (!next || !next.quoted || next.text === "" || isStructural(next) || isMarker(next)) return true;
  return !canStartPatchLine(next);
}
