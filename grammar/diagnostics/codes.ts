/**
 * The catalogue of diagnostic codes: every code the document model, the IR passes and lint emit, with its
 * severity and what it means. Ingest's codes are typed in `ingest/errors.ts` and joined here, so
 * {@link DiagnosticCode} is every code a {@link Diagnostic} can carry.
 *
 * Callers and tests branch on the code, never on message text.
 *
 * @module
 */
import type { IngestErrorCode, IngestNoteCode } from "../ingest/errors.js";
import type { Severity } from "../ir/types.js";

/** What one code means and at which severities it is reported. */
export interface DiagnosticCodeInfo {
  /** The severities the code is reported at; the first is the usual one. */
  severities: readonly Severity[];
  /** The stage that reports it. */
  stage: "document" | "ir" | "lint" | "lint-against";
  meaning: string;
}

/** Every code of the document, IR and lint stages. */
export const DIAGNOSTIC_CODES = {
  // document model (grammar/document/document.ts)
  "latex-syntax": { severities: ["error"], stage: "document", meaning: "the LaTeX cannot be parsed (unbalanced braces, unterminated environment)" },
  "unknown-environment": { severities: ["error"], stage: "document", meaning: "an environment that is neither LaTeX's, a loaded package's, nor defined in the tree" },
  "macro-arity": { severities: ["error"], stage: "document", meaning: "a spec macro (\\devicenormative, …) called with the wrong number of arguments" },
  "missing-input": { severities: ["warning"], stage: "document", meaning: "\\input names a file the tree does not have" },
  "recursive-input": { severities: ["error"], stage: "document", meaning: "\\input includes a file that is already being read" },
  "missing-entry": { severities: ["error"], stage: "document", meaning: "the tree has no entry file (the spec's main .tex)" },
  // IR passes (grammar/ir/passes/)
  "device-id-missing": { severities: ["warning"], stage: "ir", meaning: "a device's Device ID section gives no number" },
  "listing-syntax": { severities: ["error"], stage: "ir", meaning: "a C listing does not parse" },
  "listing-not-c": { severities: ["warning"], stage: "ir", meaning: "a listing is not C (pseudo-code, shell, prose); not read as wire structures" },
  "struct-syntax": { severities: ["error"], stage: "ir", meaning: "a struct definition is malformed (no ';' after the closing brace)" },
  "duplicate-constant": { severities: ["warning", "error"], stage: "ir", meaning: "a constant is defined twice (error when the values differ)" },
  "constant-value": { severities: ["warning"], stage: "ir", meaning: "a #define's value is not an integer constant expression" },
  "undefined-function-macro": { severities: ["error"], stage: "ir", meaning: "a #define's value calls a function-like macro the spec does not define, within two edits of one it does (a typo)" },
  "class-without-commands": { severities: ["warning"], stage: "ir", meaning: "a command class has no command indented under it" },
  "command-link-ambiguous": { severities: ["warning"], stage: "ir", meaning: "the text does not say which request struct goes with which command" },
  "command-link-role-unknown": { severities: ["warning"], stage: "ir", meaning: "a struct named or defined where a command is described, with no word saying whether it is the request or the reply" },
  "command-without-request": { severities: ["note"], stage: "ir", meaning: "a command code the text ties no request struct to" },
  "command-without-reply": { severities: ["note"], stage: "ir", meaning: "a command code the text ties no reply struct to" },
  "event-without-struct": { severities: ["warning"], stage: "ir", meaning: "an event type the text never links to a struct" },
  "count-field-inferred": { severities: ["note"], stage: "ir", meaning: "an array's element count taken from field names only, not from the text" },
  "normative-without-requirement": { severities: ["warning"], stage: "ir", meaning: "a normative section holds no MUST/SHOULD/MAY sentence" },
  "wire-type-outside-vocabulary": { severities: ["warning"], stage: "ir", meaning: "a field's type is outside the spec's type vocabulary (le128, void *, uint32_t): laid out by its plain size, but not a spec wire type" },
  "bit-field-type": { severities: ["error"], stage: "ir", meaning: "a bit-field whose declared type is not an integer it can be packed into" },
  "bit-field-overflow": { severities: ["error"], stage: "ir", meaning: "bit-fields wider than the integer they are declared in" },
  // lint (grammar/lint/lint.ts)
  "unknown-macro": { severities: ["error"], stage: "lint", meaning: "a macro that is neither LaTeX's, a loaded package's, nor defined in the tree" },
  "macro-from-missing-input": { severities: ["note"], stage: "lint", meaning: "a macro defined nowhere in the tree, taken to come from a file the build generates (a \\input the tree lacks)" },
  "duplicate-label": { severities: ["error"], stage: "lint", meaning: "a \\label defined twice" },
  "label-prefix": { severities: ["warning"], stage: "lint", meaning: "a section label without the spec's 'sec:' prefix" },
  "dangling-ref": { severities: ["error"], stage: "lint", meaning: "a \\ref to a label nobody defines" },
  "undefined-identifier": { severities: ["error"], stage: "lint", meaning: "a constant-like name in the text that the spec never defines" },
  "field-name-spelling": { severities: ["warning"], stage: "lint", meaning: "\\field{x} spelled differently from the struct field it names" },
  "undefined-field": { severities: ["warning"], stage: "lint", meaning: "\\field{x} names no field of any struct in scope" },
  "undefined-type": { severities: ["error"], stage: "lint", meaning: "a field's type is used but not defined" },
  "external-type": { severities: ["warning"], stage: "lint", meaning: "a field's struct type is not defined in the spec but named after another specification its chapter names (FUSE, V4L2)" },
  "native-endian": { severities: ["warning"], stage: "lint", meaning: "a multi-byte field without byte order (uNN instead of leNN/beNN)" },
  "misaligned-field": { severities: ["warning"], stage: "lint", meaning: "a field not at a multiple of its natural alignment" },
  "unused-constant": { severities: ["warning"], stage: "lint", meaning: "a constant defined but never used in the text" },
  "feature-bit-collision": { severities: ["error"], stage: "lint", meaning: "two feature bits with one number" },
  "feature-bit-mismatch": { severities: ["error"], stage: "lint", meaning: "one feature name given two bit numbers" },
  "feature-bit-reserved": { severities: ["error"], stage: "lint", meaning: "a device feature bit in the device-independent range" },
  "device-id-collision": { severities: ["error"], stage: "lint", meaning: "two devices with one device ID, or an ID the device ID table gives to another device" },
  "normative-label-misplaced": { severities: ["error"], stage: "lint", meaning: "a normative section whose label files it under another device than the one whose chapter holds it" },
  "normative-label-mismatch": { severities: ["warning"], stage: "lint", meaning: "a normative section whose title and label name different topics" },
  // lint --against (grammar/lint/lint-against.ts)
  "rebase-device-id": { severities: ["error"], stage: "lint-against", meaning: "the proposal's device ID is taken in the newer spec" },
  "rebase-feature-bit": { severities: ["error"], stage: "lint-against", meaning: "the proposal's feature bit is taken in the newer spec" },
  "rebase-offset": { severities: ["error"], stage: "lint-against", meaning: "the proposal's register offset is taken in the newer spec" },
} as const satisfies Record<string, DiagnosticCodeInfo>;

/** A code of the document, IR or lint stages. */
export type SpecDiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Every code a diagnostic can carry. */
export type DiagnosticCode = SpecDiagnosticCode | IngestErrorCode | IngestNoteCode;

/** The catalogue entry of a document, IR or lint code; undefined for ingest codes (see `ingest/errors.ts`). */
export function diagnosticCodeInfo(code: string): DiagnosticCodeInfo | undefined {
  return Object.hasOwn(DIAGNOSTIC_CODES, code) ? DIAGNOSTIC_CODES[code as SpecDiagnosticCode] : undefined;
}
