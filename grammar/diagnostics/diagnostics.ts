/**
 * Printing of {@link Diagnostic}s, shared by every command that reports findings (apply, parse, lint).
 *
 * The text form is the one compilers use, so editors and CI annotators can jump to the position:
 * `file:line:col: severity: message [code]`, then indented lines for the hint and, when the input was a mail, the
 * line of the mail that carried the position.
 *
 * @module
 */
import type { Diagnostic } from "../ir/types.js";

/**
 * One diagnostic as text: `file:line:col: severity: message [code]`, plus `\n  hint: …` when it has a hint.
 * No trailing newline.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const { file, line, column } = d.source;
  let text = `${file}:${line}:${column}: ${d.severity}: ${d.message} [${d.code}]`;
  if (d.hint !== undefined && d.hint !== "") text += `\n  hint: ${d.hint}`;
  // Spec authors fix the mail they sent, not the post-patch tree: say where in the mail the line is.
  if (d.source.mail) text += `\n  mail: ${d.source.mail.file}:${d.source.mail.line}`;
  return text;
}

/**
 * One diagnostic as a single line of JSON (for `--json` output and tools): the {@link Diagnostic} object
 * itself, keys in a fixed order so the output is stable.
 */
export function formatDiagnosticJson(d: Diagnostic): string {
  const ordered: Diagnostic = { severity: d.severity, code: d.code, message: d.message, source: d.source };
  if (d.hint !== undefined) ordered.hint = d.hint;
  return JSON.stringify(ordered);
}

/**
 * Several diagnostics, one per line (text) or one JSON object per line (`json: true`), each line ending in
 * `\n`; the empty string when there are none.
 */
export function formatDiagnostics(ds: readonly Diagnostic[], opts: { json?: boolean } = {}): string {
  const format = opts.json === true ? formatDiagnosticJson : formatDiagnostic;
  return ds.map((d) => format(d) + "\n").join("");
}
