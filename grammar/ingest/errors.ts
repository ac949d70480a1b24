/**
 * Errors and diagnostics of the ingest stage.
 *
 * Every way an input can be unusable has a stable kebab-case code ({@link IngestErrorCode}); the code is the
 * `Diagnostic.code` and the `IngestError.reason`, so callers and tests branch on it, never on message text.
 *
 * @module
 */
import type { Diagnostic, Severity, SourceSpan } from "../ir/types.js";

/** Codes of the errors that make an input unusable (the CLI exits 2 on any of them). */
export type IngestErrorCode =
  | "input-not-found"
  | "input-unreadable"
  | "input-too-large"
  | "input-binary"
  | "input-unrecognised"
  | "base-required"
  | "base-not-found"
  | "base-file-missing"
  | "new-file-exists"
  | "tree-empty"
  | "tree-too-large"
  | "patch-truncated"
  | "hunk-header-malformed"
  | "hunk-count-mismatch"
  | "hunk-does-not-apply"
  | "hunk-out-of-order"
  | "unwrap-unresolved"
  | "unwrap-ambiguous"
  | "unwrap-too-complex"
  | "patch-unsupported"
  | "path-unsafe"
  | "series-part-missing"
  | "series-part-duplicate"
  | "base-commit-not-found"
  | "mail-malformed";

/** Codes of warnings and notes ingest emits about an input it could use. */
export type IngestNoteCode =
  | "diffstat-mismatch"
  | "not-utf8"
  | "entry-ambiguous"
  | "base-ignored"
  | "file-skipped"
  | "hunk-offset"
  | "lines-unwrapped"
  | "binary-skipped"
  | "base-commit-chosen"
  | "series-part"
  | "message-skipped"
  | "mail-decoded";

/**
 * The input cannot be used: unreadable, not a patch, truncated, or a hunk that cannot be unwrapped or applied.
 * `diagnostics` holds exactly one error (plus any warnings/notes gathered before it); `reason` is its code.
 */
export class IngestError extends Error {
  /** The error diagnostic first, then the warnings and notes collected before the failure. */
  readonly diagnostics: Diagnostic[];
  /** Code of the error diagnostic. */
  readonly reason: IngestErrorCode;

  constructor(error: Diagnostic & { code: IngestErrorCode }, earlier: readonly Diagnostic[] = []) {
    super(`${error.source.file}:${error.source.line}:${error.source.column}: ${error.message}`);
    this.name = "IngestError";
    this.reason = error.code;
    this.diagnostics = [error, ...earlier];
  }
}

/** A span covering one point (1-based line and column) of `file`. */
export function pointSpan(file: string, line: number, column = 1): SourceSpan {
  return { file, line, column, endLine: line, endColumn: column };
}

/** A diagnostic at one point. */
export function diagnosticAt(
  severity: Severity,
  code: IngestErrorCode | IngestNoteCode,
  message: string,
  source: SourceSpan,
  hint?: string,
): Diagnostic {
  const d: Diagnostic = { severity, code, message, source };
  if (hint !== undefined) d.hint = hint;
  return d;
}

/** Builds and throws an {@link IngestError} at `source`. */
export function fail(
  code: IngestErrorCode,
  message: string,
  source: SourceSpan,
  opts: { hint?: string; earlier?: readonly Diagnostic[] } = {},
): never {
  const d = diagnosticAt("error", code, message, source, opts.hint) as Diagnostic & { code: IngestErrorCode };
  throw new IngestError(d, opts.earlier ?? []);
}
