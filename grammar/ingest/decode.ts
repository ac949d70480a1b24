/**
 * Stage 1 of reading a mail: undoing the transport. An mbox file is split into its messages; each message's
 * MIME structure is taken apart (`multipart/*`, the patch inline or as an attachment), its bodies decoded
 * (`quoted-printable`, `base64`, `7bit`/`8bit`, with their charset) and `format=flowed` text (RFC 3676,
 * `DelSp=yes` included) turned back into its lines. What comes out is the text a patch finder can read,
 * each line with the line of the input file it came from, so diagnostics still point into the file as saved.
 *
 * A message without MIME headers (a bare diff, a web-archived copy, a reply pasted into a file) is passed on
 * line for line: nothing here guesses at an encoding a header does not declare.
 *
 * @module
 */
import type { Diagnostic } from "../ir/types.js";
import { diagnosticAt, pointSpan } from "./errors.js";

/** One line of decoded text and the 1-based line of the input file that carried (the start of) it. */
export interface SourceLine {
  text: string;
  line: number;
}

/** One message of the input, decoded. */
export interface DecodedMessage {
  /** 1-based input line where the message starts. */
  startLine: number;
  /** Header name (lower case) → unfolded value of its first occurrence; empty for a message without headers. */
  headers: Map<string, string>;
  /** The header lines as they stand, then the decoded text of every body part that can hold a patch. */
  lines: SourceLine[];
  /** What was undone (`quoted-printable`, `base64`, `format=flowed`, `multipart`), for notes. */
  decoded: string[];
}

/** Largest MIME nesting followed (a patch mail has one or two levels). */
const MAX_MIME_DEPTH = 8;
const HEADER_RE = /^([!-9;-~]+):[ \t]?(.*)$/;
/** An mbox `From ` separator line: `From <sender or commit> <date>` (git writes `From <sha> Mon Sep 17 …`). */
const MBOX_FROM_RE = /^From \S+ .*\b\d{4}\s*$|^From \S+\s*$/;

/**
 * Splits `lines` (the whole input) into messages: at mbox `From ` lines when the input starts with one
 * (each followed by a header block), else the input is one message. mboxrd quoting (`>From ` for a body line
 * `From `) is undone inside an mbox.
 */
export function splitMessages(lines: readonly string[]): SourceLine[][] {
  const numbered = lines.map((text, i) => ({ text, line: i + 1 }));
  const first = numbered.findIndex((l) => l.text.trim() !== "");
  if (first < 0 || !MBOX_FROM_RE.test(numbered[first]!.text) || !HEADER_RE.test(numbered[first + 1]?.text ?? "")) return [numbered];
  const starts: number[] = [];
  for (let i = first; i < numbered.length; i++) {
    const prevBlank = i === first || numbered[i - 1]!.text === "";
    if (prevBlank && MBOX_FROM_RE.test(numbered[i]!.text) && HEADER_RE.test(numbered[i + 1]?.text ?? "")) starts.push(i);
  }
  return starts.map((s, k) =>
    numbered.slice(s, starts[k + 1] ?? numbered.length).map((l) => (/^>+From /.test(l.text) ? { text: l.text.slice(1), line: l.line } : l)),
  );
}

/** Decodes one message (see the module comment); warnings (unknown charset, bad base64) go to `diagnostics`. */
export function decodeMessage(lines: readonly SourceLine[], mailFile: string, diagnostics: Diagnostic[]): DecodedMessage {
  const startLine = lines[0]?.line ?? 1;
  const head = readHeaders(lines, 0);
  if (!head) return { startLine, headers: new Map(), lines: [...lines], decoded: [] };
  const decoded: string[] = [];
  const body = decodeEntity(head.headers, lines.slice(head.bodyStart), 0, { mailFile, diagnostics, decoded });
  return { startLine, headers: head.headers, lines: [...lines.slice(0, head.bodyStart), ...body], decoded };
}

interface DecodeContext {
  mailFile: string;
  diagnostics: Diagnostic[];
  decoded: string[];
}

/**
 * The header block at `start`: RFC 5322 `Name: value` lines (continuations folded in) up to a blank line.
 * An mbox `From ` line may precede it. Undefined when the text there is not a header block (then the message
 * is read as it stands), or when it declares nothing about MIME, so a plain mail is never rewritten.
 */
function readHeaders(lines: readonly SourceLine[], start: number): { headers: Map<string, string>; bodyStart: number } | undefined {
  let i = start;
  if (i < lines.length && MBOX_FROM_RE.test(lines[i]!.text)) i++;
  const headers = new Map<string, string>();
  let last: string | undefined;
  let count = 0;
  for (; i < lines.length; i++) {
    const t = lines[i]!.text;
    if (t === "") break;
    if ((t.startsWith(" ") || t.startsWith("\t")) && last !== undefined) {
      headers.set(last, headers.get(last)! + " " + t.trim());
      continue;
    }
    const m = HEADER_RE.exec(t);
    if (!m) return undefined;
    last = m[1]!.toLowerCase();
    if (!headers.has(last)) headers.set(last, m[2]!.trim());
    count++;
  }
  if (count === 0 || i >= lines.length) return undefined;
  return { headers, bodyStart: i + 1 };
}

/** A `Content-Type` value: the media type (lower case) and its parameters (names lower case, values unquoted). */
export function parseContentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (value === undefined) return { type: "text/plain", params };
  const [type, ...rest] = splitParams(value);
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq <= 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    params.set(p.slice(0, eq).trim().toLowerCase(), v);
  }
  return { type: (type ?? "text/plain").trim().toLowerCase(), params };
}

/** Splits a header value at `;` outside double quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let k = 0; k < value.length; k++) {
    const c = value[k]!;
    if (c === '"' && value[k - 1] !== "\\") quoted = !quoted;
    if (c === ";" && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Media types whose body can carry a patch (besides `text/*` other than HTML). */
const PATCH_TYPES = /^(?:application\/(?:x-patch|x-diff|patch|diff|octet-stream|mbox)|message\/rfc822)$/;

/** Decodes one MIME entity's body (its headers already read) into lines that can hold a patch. */
function decodeEntity(headers: Map<string, string>, body: readonly SourceLine[], depth: number, ctx: DecodeContext): SourceLine[] {
  const ct = parseContentType(headers.get("content-type"));
  if (ct.type.startsWith("multipart/") && depth < MAX_MIME_DEPTH) {
    const boundary = ct.params.get("boundary");
    if (boundary) {
      mark(ctx, "multipart");
      return decodeMultipart(ct.type, boundary, body, depth, ctx);
    }
  }
  if (ct.type === "message/rfc822" && depth < MAX_MIME_DEPTH) {
    const inner = readHeaders(body, 0);
    if (inner) return [...body.slice(0, inner.bodyStart), ...decodeEntity(inner.headers, body.slice(inner.bodyStart), depth + 1, ctx)];
    return [...body];
  }
  const cte = (headers.get("content-transfer-encoding") ?? "7bit").trim().toLowerCase();
  const charset = ct.params.get("charset");
  let lines: SourceLine[];
  if (cte === "quoted-printable") {
    mark(ctx, "quoted-printable");
    lines = decodeQuotedPrintable(body, charset, ctx);
  } else if (cte === "base64") {
    mark(ctx, "base64");
    lines = decodeBase64(body, charset, ctx);
  } else lines = [...body];
  if (ct.type === "text/plain" && ct.params.get("format")?.toLowerCase() === "flowed") {
    mark(ctx, "format=flowed");
    lines = unflow(lines, ct.params.get("delsp")?.toLowerCase() === "yes");
  }
  return lines;
}

function mark(ctx: DecodeContext, what: string): void {
  if (!ctx.decoded.includes(what)) ctx.decoded.push(what);
}

/**
 * The parts of a multipart body, each decoded; the text of every part that can hold a patch, in order. Of a
 * `multipart/alternative`, only the first plain-text alternative (the others say the same in HTML).
 */
function decodeMultipart(type: string, boundary: string, body: readonly SourceLine[], depth: number, ctx: DecodeContext): SourceLine[] {
  const delimiter = `--${boundary}`;
  const parts: SourceLine[][] = [];
  let current: SourceLine[] | undefined;
  for (const l of body) {
    const t = l.text.trimEnd();
    if (t === delimiter || t === `${delimiter}--`) {
      if (current) parts.push(current);
      current = t === delimiter ? [] : undefined;
      if (t !== delimiter) break;
      continue;
    }
    current?.push(l);
  }
  if (current) parts.push(current);
  const out: SourceLine[] = [];
  for (const part of parts) {
    // A part with no headers starts with the blank line; its type is text/plain (RFC 2046 §5.1.3).
    const head = part[0]?.text === "" ? { headers: new Map<string, string>(), bodyStart: 1 } : readPartHeaders(part);
    if (!head) continue;
    const pt = parseContentType(head.headers.get("content-type"));
    const attachmentName = /name="?([^";]+)/i.exec(head.headers.get("content-disposition") ?? "")?.[1] ?? pt.params.get("name") ?? "";
    const carries =
      pt.type.startsWith("multipart/") ||
      (pt.type.startsWith("text/") && pt.type !== "text/html") ||
      PATCH_TYPES.test(pt.type) ||
      /\.(?:patch|diff|txt|mbox)$/i.test(attachmentName);
    if (!carries) continue;
    const decodedPart = decodeEntity(head.headers, part.slice(head.bodyStart), depth + 1, ctx);
    out.push(...decodedPart);
    if (type === "multipart/alternative" && pt.type === "text/plain") break;
  }
  return out;
}

/** A part's header block (unlike a message's, it may declare no MIME header at all). */
function readPartHeaders(part: readonly SourceLine[]): { headers: Map<string, string>; bodyStart: number } | undefined {
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (let i = 0; i < part.length; i++) {
    const t = part[i]!.text;
    if (t === "") return { headers, bodyStart: i + 1 };
    if ((t.startsWith(" ") || t.startsWith("\t")) && last !== undefined) {
      headers.set(last, headers.get(last)! + " " + t.trim());
      continue;
    }
    const m = HEADER_RE.exec(t);
    if (!m) return undefined;
    last = m[1]!.toLowerCase();
    if (!headers.has(last)) headers.set(last, m[2]!.trim());
  }
  return undefined;
}

/** Decodes bytes in `charset` (default UTF-8); an unknown charset is read as UTF-8 with a warning. */
function decodeCharset(bytes: Uint8Array, charset: string | undefined, at: number, ctx: DecodeContext): string {
  const label = (charset ?? "utf-8").trim().toLowerCase();
  try {
    return new TextDecoder(label === "us-ascii" ? "utf-8" : label).decode(bytes);
  } catch {
    ctx.diagnostics.push(
      diagnosticAt("warning", "not-utf8", `unknown charset '${charset}'; read as UTF-8`, pointSpan(ctx.mailFile, at)),
    );
    return new TextDecoder("utf-8").decode(bytes);
  }
}

/** Bytes of a string whose characters are all below 256 (the raw input after QP/base64 decoding). */
function utf8Bytes(s: string): Uint8Array {
  return UTF8.encode(s);
}

/** One encoder for the module: ingest also runs in the browser playground, where Node's `Buffer` is absent. */
const UTF8 = new TextEncoder();

/** The bytes of a base64 text whose length is a multiple of 4 (`atob` is in browsers and Node alike). */
function base64Bytes(s: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    // A '=' inside the text (padding mid-body): decode quantum by quantum, dropping the ones atob refuses.
    bin = "";
    for (let k = 0; k < s.length; k += 4) {
      try {
        bin += atob(s.slice(k, k + 4));
      } catch {
        /* an unusable quantum carries no bytes */
      }
    }
  }
  const out = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
  return out;
}

/**
 * Quoted-printable (RFC 2045 §6.7): `=XX` is a byte, `=` at the end of a line a soft break (the line goes on
 * in the next), trailing blanks of an encoded line are transport padding. Each decoded line keeps the input
 * line where it started. A `=` not followed by two hex digits is kept as it is (the RFC's advice for
 * robustness).
 */
export function decodeQuotedPrintable(body: readonly SourceLine[], charset: string | undefined, ctx: DecodeContext): SourceLine[] {
  const out: SourceLine[] = [];
  let bytes: number[] = [];
  let startLine: number | undefined;
  const flush = () => {
    out.push({ text: decodeCharset(Uint8Array.from(bytes), charset, startLine!, ctx), line: startLine! });
    bytes = [];
    startLine = undefined;
  };
  for (const l of body) {
    startLine ??= l.line;
    let t = l.text.replace(/[ \t]+$/, "");
    const soft = t.endsWith("=");
    if (soft) t = t.slice(0, -1);
    for (let k = 0; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(t.slice(k + 1, k + 3))) {
        bytes.push(parseInt(t.slice(k + 1, k + 3), 16));
        k += 2;
      } else if (c < 0x80) bytes.push(c);
      else bytes.push(...utf8Bytes(t[k]!));
    }
    if (!soft) flush();
  }
  if (startLine !== undefined) flush();
  return splitDecoded(out);
}

/** A decoded `=0A` inside a line is a line break of its own: split such lines, all at the same input line. */
function splitDecoded(lines: SourceLine[]): SourceLine[] {
  const out: SourceLine[] = [];
  for (const l of lines) {
    if (!l.text.includes("\n")) {
      out.push(l);
      continue;
    }
    const parts = l.text.split("\n");
    if (parts[parts.length - 1] === "") parts.pop();
    for (const p of parts) out.push({ text: p.endsWith("\r") ? p.slice(0, -1) : p, line: l.line });
  }
  return out;
}

/**
 * Base64 (RFC 2045 §6.8). The decoded text's lines are mapped back to the encoded line holding the first
 * byte of each, so a diagnostic lands near its text in the file as saved.
 */
export function decodeBase64(body: readonly SourceLine[], charset: string | undefined, ctx: DecodeContext): SourceLine[] {
  const chunks: Uint8Array[] = [];
  /** Decoded byte offset at which each encoded line starts. */
  const offsets: { offset: number; line: number }[] = [];
  let offset = 0;
  let carry = "";
  for (const l of body) {
    const t = l.text.replace(/[^A-Za-z0-9+/=]/g, "");
    if (t === "" && l.text.trim() !== "") continue;
    offsets.push({ offset, line: l.line });
    const all = carry + t;
    const usable = all.length - (all.length % 4);
    carry = all.slice(usable);
    const buf = base64Bytes(all.slice(0, usable));
    chunks.push(buf);
    offset += buf.length;
  }
  if (carry !== "") {
    ctx.diagnostics.push(
      diagnosticAt("warning", "not-utf8", `base64 body ends with ${carry.length} stray character(s)`, pointSpan(ctx.mailFile, body[body.length - 1]?.line ?? 1)),
    );
  }
  const bytes = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const text = decodeCharset(bytes, charset, body[0]?.line ?? 1, ctx);
  // Map line starts (as byte offsets of the UTF-8 re-encoding; exact for UTF-8 bodies) to encoded lines.
  const out: SourceLine[] = [];
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  let pos = 0;
  let o = 0;
  for (const p of parts) {
    while (o + 1 < offsets.length && offsets[o + 1]!.offset <= pos) o++;
    out.push({ text: p.endsWith("\r") ? p.slice(0, -1) : p, line: offsets[o]?.line ?? body[0]?.line ?? 1 });
    pos += UTF8.encode(p).length + 1;
  }
  return out;
}

/**
 * Undoes `format=flowed` (RFC 3676 §4): a line ending in a space is soft-broken and goes on in the next line
 * of the same quote depth (with `DelSp=yes` that space was added by the sender and is removed); the quote
 * marks are counted, and the space stuffed after them (or at the start of an unquoted line) is removed. The
 * signature separator `-- ` is never flowed. Quoted lines come out as `> ` repeated per depth, the form the
 * patch finder unquotes.
 */
export function unflow(lines: readonly SourceLine[], delSp: boolean): SourceLine[] {
  const out: SourceLine[] = [];
  let open: { depth: number; text: string; line: number } | undefined;
  const emit = (o: { depth: number; text: string; line: number }) => {
    out.push({ text: (o.depth > 0 ? "> ".repeat(o.depth) : "") + o.text, line: o.line });
  };
  for (const l of lines) {
    let depth = 0;
    while (l.text.charAt(depth) === ">") depth++;
    let content = l.text.slice(depth);
    if (content.startsWith(" ")) content = content.slice(1);
    const flowed = content.endsWith(" ") && content !== "-- ";
    if (open && open.depth !== depth) {
      // A soft break followed by another depth is broken (RFC 3676 §4.5): end the paragraph there.
      emit(open);
      open = undefined;
    }
    const piece = flowed && delSp ? content.slice(0, -1) : content;
    if (open) open.text += piece;
    else open = { depth, text: piece, line: l.line };
    if (!flowed) {
      emit(open);
      open = undefined;
    }
  }
  if (open) emit(open);
  return out;
}
