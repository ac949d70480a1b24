/**
 * Stage 2 of reading a mail: from decoded messages to the patches to apply, in order. A patch series
 * (`[PATCH v3 2/5]` subjects) is put in part order, its cover letter (`0/5`) skipped; a missing or doubled
 * part is an error at the message that shows the gap. Messages that carry no patch are skipped with a note.
 *
 * @module
 */
import type { Diagnostic } from "../ir/types.js";
import type { DecodedMessage } from "./decode.js";
import { diagnosticAt, pointSpan } from "./errors.js";

/** The part number of a series message, from its subject. */
export interface SeriesTag {
  /** 1-based part number (0: the cover letter). */
  part: number;
  /** Number of parts the series announces. */
  total: number;
  /** The version (`v3` → 3; 1 when none is given). */
  version: number;
}

/** `[PATCH v3 2/5]`, `[RFC PATCH 2/5]`, `[PATCH virtio-spec v2 02/10]`: the `n/m` of a bracketed tag. */
const TAG_RE = /\[([^\]]*?)\b0*(\d+)\/0*(\d+)\s*\]/;

/** The series tag of a subject, undefined when it has none. */
export function seriesTag(subject: string | undefined): SeriesTag | undefined {
  if (subject === undefined) return undefined;
  const m = TAG_RE.exec(subject);
  if (!m) return undefined;
  const part = Number(m[2]);
  const total = Number(m[3]);
  if (!(total >= 1) || part > total) return undefined;
  const v = /\bv(\d+)\b/i.exec(m[1]!);
  return { part, total, version: v ? Number(v[1]) : 1 };
}

/** A message to apply, with its place in the series when it has one. */
export interface OrderedMessage {
  message: DecodedMessage;
  tag?: SeriesTag;
}

/** Result of {@link orderMessages}. */
export interface OrderedMessages {
  /** The messages to apply, in order. */
  messages: OrderedMessage[];
  /** Errors (missing or doubled parts), one per problem. */
  errors: Diagnostic[];
}

/**
 * Orders `messages` (those that carry a patch, as `hasPatch` says) for applying. Without series tags the
 * file's order is kept. With them, every message with a patch must have one, from one series (one `total`,
 * one version), parts 1..total each exactly once; the cover letter (part 0) and patchless messages are
 * skipped with a `message-skipped` note.
 */
export function orderMessages(messages: readonly DecodedMessage[], hasPatch: (m: DecodedMessage) => boolean, mailFile: string, notes: Diagnostic[]): OrderedMessages {
  const errors: Diagnostic[] = [];
  const withPatch: OrderedMessage[] = [];
  for (const message of messages) {
    const tag = seriesTag(message.headers.get("subject"));
    const at = pointSpan(mailFile, message.startLine);
    if (tag?.part === 0) {
      notes.push(diagnosticAt("note", "message-skipped", `skipped the cover letter '${message.headers.get("subject")}'`, at));
      continue;
    }
    if (!hasPatch(message)) {
      if (messages.length > 1) notes.push(diagnosticAt("note", "message-skipped", `skipped the message at line ${message.startLine}: it carries no patch`, at));
      continue;
    }
    withPatch.push(tag ? { message, tag } : { message });
  }
  const tagged = withPatch.filter((m) => m.tag);
  if (tagged.length === 0 || withPatch.length === 1) return { messages: withPatch, errors };

  const first = tagged[0]!.tag!;
  for (const m of withPatch) {
    const at = pointSpan(mailFile, m.message.startLine);
    if (!m.tag) errors.push(diagnosticAt("error", "series-part-missing", `the message at line ${m.message.startLine} carries a patch but its subject has no part number (n/${first.total})`, at));
    else if (m.tag.total !== first.total || m.tag.version !== first.version) {
      errors.push(
        diagnosticAt(
          "error",
          "series-part-duplicate",
          `'${m.message.headers.get("subject")}' belongs to another series than the first part (v${first.version}, ${first.total} parts): one series per file`,
          at,
        ),
      );
    }
  }
  const byPart = new Map<number, OrderedMessage>();
  for (const m of tagged) {
    const prev = byPart.get(m.tag!.part);
    if (prev) {
      errors.push(
        diagnosticAt("error", "series-part-duplicate", `part ${m.tag!.part}/${m.tag!.total} appears twice (lines ${prev.message.startLine} and ${m.message.startLine})`, pointSpan(mailFile, m.message.startLine)),
      );
    } else byPart.set(m.tag!.part, m);
  }
  for (let k = 1; k <= first.total; k++) {
    if (!byPart.has(k)) {
      const after = [...byPart.keys()].filter((p) => p > k).sort((a, b) => a - b)[0];
      const where = after !== undefined ? byPart.get(after)!.message.startLine : tagged[tagged.length - 1]!.message.startLine;
      errors.push(diagnosticAt("error", "series-part-missing", `part ${k}/${first.total} of the series is missing from the file`, pointSpan(mailFile, where)));
    }
  }
  return { messages: [...byPart.values()].sort((a, b) => a.tag!.part - b.tag!.part), errors };
}
