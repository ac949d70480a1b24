/**
 * Commands of every device (and of the admin virtqueue) that has request or message codes, and which struct
 * each sends and receives. This is where "which struct does this command send" is decided for codes that are
 * not class/command pairs of a control-queue framing struct (those: {@link commandsPass} in commands.ts).
 *
 * **Which constants are command codes** (each rule reads the spec's structure or wording, never a device name):
 * - a code field: a header-struct field named `type`, `code`, `opcode`, `cmd`, `command`, `request` or
 *   `msg_type`, or any field whose description item calls it the "type of request" / "request type" /
 *   "message type" (RPMB's `req_resp`);
 * - `#define`s written inside a struct body before its code field (`virtio_crypto_ctrl_header.opcode`,
 *   `virtio_can_control_out.msg_type`);
 * - a table whose header cell names the code field of a struct in the same section (admin `opcode & Name & …`);
 * - a wildcard `PREFIX_*` the text gives as a request/command/message type ("specifies a device request type
 *   (VIRTIO_SND_R_*)"), every code of that device with the prefix;
 * - "The type of the request is either a read (VIRTIO_BLK_T_IN), …": the constants named, and every code of the
 *   device sharing their common prefix;
 * - a listing introduced as "Type may be one of:" / "Possible request types are:", its defines;
 * - "\field{op} is one of the following" / "The values for \field{event} are:" before a listing or an
 *   `\item [NAME (n)]` list; an item "Sent by the device" makes that code an event, not a command;
 * - `#define NAME … /* message type *\/`.
 *
 * **Which struct a command sends (request) and receives (reply)**, strongest evidence first:
 * 1. `sentence`: a sentence whose subject is the command (it names the command, or the command is the subject
 *    of the item, section or previous sentence) and that names a struct — `struct X`, `the X structure`, a known
 *    struct name, or "the following structure(s)" (the next listing's outermost struct). The role is the nearest
 *    role word before the struct: request / command_specific_data / a device-readable field → request;
 *    response / reply / result / command_specific_result / "populated by the device" / a device-writable field
 *    → reply. "struct X for destroy session" applies to the commands whose names end in the phrase.
 * 2. `scope`: structs defined in the command's own item (`\item[CMD]`), in a section titled by the command
 *    (`\paragraph{VIRTIO_SND_R_JACK_INFO}`, "PLUG request", "Get Line Names"), after the command's `#define` in
 *    its listing, or the struct whose body defines the code; the role is read from the struct name's words
 *    (req/cmd/data/out/flf/vlf: request; resp/result/reply/input/in: reply). Helpers nested in another struct of
 *    the scope are not linked; a struct whose role cannot be read is a `command-link-role-unknown` warning.
 * 3. `quantifier`: "Each request except X is of form:", "All requests … have the layout:" — every command of the
 *    device but X; a command with a more specific request keeps this struct as its `header`.
 * 4. `header`: the struct holding the code field is the request itself when no struct embeds it (block, GPIO,
 *    RPMB); otherwise it is the command's `header`.
 *
 * A command left without a request or a reply is reported (`command-without-request`, `command-without-reply`,
 * notes): the spec does not tie a struct to it, and nothing is guessed.
 *
 * @module
 */
import { spanAt, type Document, type ListItem, type Prose } from "../../document/document.js";
import type { FieldMember, ListingItem, Member } from "../../clisting/clisting.js";
import { CONSTANT_NAME_RE, squash } from "../text.js";
import type { CommandLink, CommandLinkRule, SourceSpan, Struct } from "../types.js";
import { cmpSpan, type DiagnosticSink, type PlacedItem, type Sentence } from "./context.js";
import type { DefineItem } from "./constants.js";
import type { DevicesOutput } from "./devices.js";

/** A code as the spec defines it: a #define, an enum member or a table row. */
export interface CodeDef {
  name: string;
  value: number | null;
  source: SourceSpan;
  section: number;
  device: string | undefined;
  /** The struct whose body holds the #define. */
  insideStruct?: string;
  /** `section:block` of the listing that defines it. */
  listing?: string;
  /** The field (of `insideStruct`) the define gives values of. */
  field?: string;
  fromTable?: true;
  enumMember?: true;
  comment?: string;
}

/** A command (or event) code found by one of the discovery rules. */
export interface CodeSeed {
  def: CodeDef;
  kind: "command" | "event";
  /** The header struct and field that carry the code, when the rule says. */
  header?: string;
  codeField?: string;
  /** Which discovery rule found it. */
  rule: string;
}

export interface LinkedCommand {
  seed: CodeSeed;
  request?: string;
  reply?: string;
  header?: string;
  links: CommandLink[];
}

export interface CommandLinksInput {
  doc: Document;
  placed: PlacedItem[];
  sentences: Sentence[];
  defineItems: DefineItem[];
  lookup: (name: string) => number | null;
  enums: { name: string; members: { name: string; value: number | null; source: SourceSpan }[]; source: SourceSpan }[];
  structs: Struct[];
  structByName: Map<string, Struct>;
  devs: Pick<DevicesOutput, "deviceOf">;
  /** Constants already taken as class/command codes of a framing struct. */
  framed: Set<string>;
  /** Constant → parent constant (indented under it). */
  constantParent: Map<string, string>;
}

const CODE_FIELD_NAMES = new Set(["type", "code", "opcode", "cmd", "command", "request", "msg_type"]);
const REQUEST_TYPE_WORDING = /\b(?:type of (?:the )?requests?|request types?|message types?)\b/i;
const NAME_REPLY_WORDS = new Set(["resp", "response", "result", "reply", "input", "in", "inhdr"]);
const NAME_REQUEST_WORDS = new Set(["req", "request", "cmd", "command", "data", "out", "flf", "vlf"]);

/** Role a struct's name gives it: `virtio_rtc_resp_cfg` reply, `virtio_media_cmd_open` request. */
export function roleFromStructName(name: string): "request" | "reply" | undefined {
  const words = name.split("_");
  if (words.some((w) => NAME_REPLY_WORDS.has(w))) return "reply";
  if (words.some((w) => NAME_REQUEST_WORDS.has(w))) return "request";
  return undefined;
}

interface Listing {
  key: string;
  section: number;
  line: number;
  endLine: number;
  file: string;
  items: PlacedItem[];
}

export function commandLinksPass(input: CommandLinksInput, diagnostics: DiagnosticSink): { commands: LinkedCommand[]; events: CodeSeed[] } {
  const { doc, placed, structByName } = input;
  const scopeOf = (section: number) => input.devs.deviceOf(section) ?? "";

  // --- Listings and the structs they define, in document order.
  const listings = new Map<string, Listing>();
  for (const p of placed) {
    const key = `${p.section}:${p.block}`;
    const l = listings.get(key) ?? { key, section: p.section, line: p.span.line, endLine: p.span.endLine, file: p.span.file, items: [] };
    l.line = Math.min(l.line, p.span.line);
    l.endLine = Math.max(l.endLine, p.span.endLine);
    l.items.push(p);
    listings.set(key, l);
  }
  const listingsBySection = new Map<number, Listing[]>();
  for (const l of listings.values()) (listingsBySection.get(l.section) ?? listingsBySection.set(l.section, []).get(l.section)!).push(l);
  for (const ls of listingsBySection.values()) ls.sort((a, b) => a.line - b.line);
  const structsOf = (l: Listing): string[] => l.items.flatMap((p) => (p.item.kind === "struct" && p.item.name && structByName.has(p.item.name) ? [p.item.name] : []));
  /** Structs embedded (as a member type) by another struct: helpers, not messages of their own. */
  const embeddedBy = new Map<string, Set<string>>();
  for (const s of input.structs) for (const t of memberStructs(s)) (embeddedBy.get(t) ?? embeddedBy.set(t, new Set()).get(t)!).add(s.name);
  /** The outermost struct of a listing: the one no other struct of the listing embeds. */
  const rootStruct = (l: Listing): string | undefined => {
    const names = structsOf(l);
    const roots = names.filter((n) => !names.some((o) => o !== n && embeddedBy.get(n)?.has(o)));
    return roots[0];
  };

  // --- Direction of fields: comments "Device-readable part" / "Device write only portion" in framing structs.
  const fieldRole = new Map<string, "request" | "reply">();
  const conflicting = new Set<string>();
  for (const p of placed) if (p.item.kind === "struct") walkDirections(p.item.members, undefined, fieldRole, conflicting);
  for (const c of conflicting) fieldRole.delete(c);

  // --- Every code definition.
  const defs = new Map<string, CodeDef>();
  for (const d of input.defineItems) {
    if (defs.has(d.name) || d.p.item.kind === "define" && (d.p.item as { params?: string[] }).params) continue;
    const def: CodeDef = { name: d.name, value: input.lookup(d.name), source: d.pos, section: d.p.section, device: input.devs.deviceOf(d.p.section), listing: `${d.p.section}:${d.p.block}` };
    if (d.insideStruct) def.insideStruct = d.insideStruct;
    if (d.comment) def.comment = d.comment;
    if (d.p.item.kind === "struct") {
      const f = followingField(d.p.item.members, d.name);
      if (f) def.field = f;
    }
    defs.set(d.name, def);
  }
  for (const p of placed) {
    if (p.item.kind !== "enum") continue;
    const en = input.enums.find((e) => e.source.file === p.span.file && e.source.line === p.span.line);
    if (!en) continue;
    for (const m of en.members) if (!defs.has(m.name)) defs.set(m.name, { name: m.name, value: m.value, source: m.source, section: p.section, device: input.devs.deviceOf(p.section), listing: `${p.section}:${p.block}`, enumMember: true });
  }
  const defsOfScope = new Map<string, CodeDef[]>();
  const addToScope = (d: CodeDef) => (defsOfScope.get(d.device ?? "") ?? defsOfScope.set(d.device ?? "", []).get(d.device ?? "")!).push(d);
  for (const d of defs.values()) addToScope(d);

  // --- Code fields: by name, or by a description item calling the field the type of request.
  const codeFieldsOf = new Map<string, Set<string>>();
  const structSection = new Map<string, number>();
  for (const p of placed) if (p.item.kind === "struct" && p.item.name && !structSection.has(p.item.name)) structSection.set(p.item.name, p.section);
  for (const s of input.structs) for (const f of s.fields) if (CODE_FIELD_NAMES.has(f.name) && f.array.kind === "none" && !f.members) (codeFieldsOf.get(s.name) ?? codeFieldsOf.set(s.name, new Set()).get(s.name)!).add(f.name);
  const itemOfProse = new Map<Prose, { item: ListItem; section: number; list: { line: number; endLine: number }; next?: ListItem }>();
  for (const sec of doc.sections) for (const b of sec.blocks) {
    if (b.kind !== "list") continue;
    b.items.forEach((it, i) => itemOfProse.set(it.body, { item: it, section: sec.index, list: { line: b.span.line, endLine: b.span.endLine }, next: b.items[i + 1] }));
  }
  for (const [prose, it] of itemOfProse) {
    if (it.item.labelFields.length !== 1 || !REQUEST_TYPE_WORDING.test(prose.text.split(/[.;]/)[0] ?? "")) continue;
    const f = it.item.labelFields[0]!;
    for (const s of input.structs) if (structSection.get(s.name) !== undefined && scopeOf(structSection.get(s.name)!) === scopeOf(it.section) && s.fields.some((x) => x.name === f && !x.members)) (codeFieldsOf.get(s.name) ?? codeFieldsOf.set(s.name, new Set()).get(s.name)!).add(f);
  }
  /** The header struct with code field `field` nearest to a section (same section first, then the scope). */
  const headerFor = (scope: string, section: number, field?: string): { struct: string; field: string } | undefined => {
    let best: { struct: string; field: string; d: number } | undefined;
    for (const [s, fields] of codeFieldsOf) {
      const sec = structSection.get(s);
      if (sec === undefined || scopeOf(sec) !== scope || roleFromStructName(s) === "reply") continue;
      for (const f of fields) {
        if (field && f !== field) continue;
        // A struct its name calls a request is nearer than any other (virtio_rtc_req_head before virtio_rtc_notif_head).
        const d = Math.abs(sec - section) + (roleFromStructName(s) === "request" ? 0 : 10000);
        if (!best || d < best.d) best = { struct: s, field: f, d };
      }
    }
    return best && { struct: best.struct, field: best.field };
  };

  // --- Discovery.
  const seeds = new Map<string, CodeSeed>();
  const seed = (def: CodeDef, kind: CodeSeed["kind"], rule: string, header?: { struct: string; field: string }) => {
    // A wildcard reaches every constant with the prefix; one that is no integer (VIDIOC_G_FMT) is no code of it.
    if (seeds.has(def.name) || input.framed.has(def.name) || (def.value === null && rule === "wildcard")) return;
    const s: CodeSeed = { def, kind, rule };
    if (header) {
      s.header = header.struct;
      s.codeField = header.field;
    }
    seeds.set(def.name, s);
  };
  const withPrefix = (scope: string, prefix: string) => (defsOfScope.get(scope) ?? []).filter((d) => d.name.startsWith(prefix) && !input.constantParent.has(d.name));
  // (a) defines inside a struct body before its code field.
  for (const d of defs.values()) {
    // A `type` field is a code field here only in a struct its name calls a request (`virtio_pmem_req`); the
    // other code-field names (`opcode`, `msg_type`, …) say so themselves. Reply structs hold no command codes.
    const strong = d.field !== "type" || roleFromStructName(d.insideStruct ?? "") === "request";
    if (d.insideStruct && d.field && strong && roleFromStructName(d.insideStruct) !== "reply" && codeFieldsOf.get(d.insideStruct)?.has(d.field) && !input.constantParent.has(d.name)) {
      const isEvent = /event|notif/.test(d.insideStruct);
      seed(d, isEvent ? "event" : "command", "define-in-header", { struct: d.insideStruct, field: d.field });
    }
  }
  // (b) tables headed by a code field of a struct in the same section.
  for (const sec of doc.sections) for (const b of sec.blocks) {
    if (b.kind !== "table" || b.rows.length < 2) continue;
    const head = squash(b.rows[0]![0] ?? "").toLowerCase();
    const owner = [...codeFieldsOf].find(([s, fs]) => fs.has(head) && structSection.get(s) === sec.index && (head !== "type" || roleFromStructName(s) === "request"));
    if (!owner) continue;
    for (const row of b.rows.slice(1)) {
      const v = /^\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(row[0] ?? "");
      const name = /^\s*([A-Z][A-Z0-9_]+)\s*$/.exec(row[1] ?? "")?.[1];
      if (!v || !name) continue;
      const def: CodeDef = defs.get(name) ?? { name, value: Number(v[1]), source: b.span, section: sec.index, device: input.devs.deviceOf(sec.index), fromTable: true };
      if (!defs.has(name)) {
        defs.set(name, def);
        addToScope(def);
      }
      seed(def, "command", "table", { struct: owner[0], field: head });
    }
  }
  // (c) wording: wildcards, "type of the request is … (X)", "Type may be one of:", "values for \field{F} are:".
  for (const sent of input.sentences) {
    const scope = scopeOf(sent.section);
    const it = itemOfProse.get(sent.prose);
    const labelField = it?.item.labelFields.length === 1 ? it.item.labelFields[0] : undefined;
    for (const m of sent.text.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_)\*/g)) {
      const before = sent.text.slice(Math.max(0, m.index! - 48), m.index!).toLowerCase();
      const role = lastWord(before, { command: /\b(?:request|command|message)s?\b/g, event: /\bevents?\b/g, other: /\b(?:respon\w*|status|error)\b/g });
      if (role !== "command" && role !== "event") continue;
      const header = labelField ? headerFor(scope, sent.section, labelField) : undefined;
      for (const d of withPrefix(scope, m[1]!)) seed(d, role, "wildcard", header);
    }
    if (REQUEST_TYPE_WORDING.test(sent.text) && !/respon/i.test(sent.text.slice(0, 40))) {
      const named = [...sent.text.matchAll(/\(([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\)/g)].map((x) => x[1]!).filter((n) => defs.get(n)?.device === (scope || undefined));
      if (named.length >= 2) {
        const prefix = commonPrefix(named);
        if (prefix.split("_").length >= 4) for (const d of withPrefix(scope, prefix)) seed(d, "command", "request-type-sentence", headerFor(scope, sent.section));
      }
    }
    const valuesOf = /\b(?:the values for|values of)\s+([a-z_][a-z0-9_]*)\s+are\b|\b([a-z_][a-z0-9_]*)\s+is one of the following\b/i.exec(sent.text);
    if (valuesOf) {
      const field = valuesOf[1] ?? valuesOf[2]!;
      const header = headerFor(scope, sent.section, field) ?? structWithFieldIn(sent.section, field);
      if (header) {
        const at = spanAt(sent.prose, sent.offset).line;
        const listing = (listingsBySection.get(sent.section) ?? []).find((l) => l.line >= at && l.line <= at + 6);
        if (listing) for (const p of listing.items) if (p.item.kind === "define") { const d = defs.get(p.item.name); if (d) seed(d, "command", "values-of-field", header); }
        // An `\item [NAME (n)]` list right after: codes the spec defines only there.
        for (const [, other] of itemOfProse) {
          if (other.section !== sent.section || other.list.line < at || other.list.line > at + 3) continue;
          // `\item [NAME (n)]` (a space before the bracket) may reach us as body text starting with the bracket.
          const lm = /^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\s*\((\d+)\)$/.exec(other.item.label) ?? /^\s*\[([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\s*\((\d+)\)\]/.exec(other.item.body.text);
          if (!lm) continue;
          const def: CodeDef = defs.get(lm[1]!) ?? { name: lm[1]!, value: Number(lm[2]), source: other.item.span, section: sent.section, device: input.devs.deviceOf(sent.section) };
          if (!defs.has(def.name)) {
            defs.set(def.name, def);
            addToScope(def);
          }
          const sentBy = /^\s*(?:\[[^\]]*\]\s*)?(?:This message is\s+)?sent by (?:the )?(device|driver|both)/i.exec(other.item.body.text)?.[1]?.toLowerCase();
          seed(def, sentBy === "device" ? "event" : "command", "values-of-field", header);
        }
      }
    }
  }
  for (const l of listings.values()) {
    const first = l.items[0];
    const intro = first?.intro ? squash(first.intro) : "";
    const lastSentence = intro.split(/(?<=[.!?])\s+/).pop() ?? "";
    if (!/:$/.test(lastSentence) || !/\b(?:request|command|message)\s+types?\b|^types?\b/i.test(lastSentence) || /respon|status|error|event/i.test(lastSentence)) continue;
    const scope = scopeOf(l.section);
    for (const p of l.items) if (p.item.kind === "define") { const d = defs.get(p.item.name); if (d && !input.constantParent.has(d.name)) seed(d, "command", "listing-intro", headerFor(scope, l.section)); }
  }
  for (const d of defs.values()) {
    if (!d.comment || !/^message type$/i.test(d.comment.trim())) continue;
    // The structs right after the define say what the message is: a notification is an event.
    const l = d.listing ? listings.get(d.listing) : undefined;
    const next = l?.items.find((p) => p.item.kind === "struct" && p.span.line > d.source.line);
    const nextName = next?.item.kind === "struct" ? next.item.name ?? "" : "";
    const isEvent = /(?:^|_)(?:event|evt|notif)(?:_|$)/.test(nextName);
    seed(d, isEvent ? "event" : "command", "define-comment", isEvent && structByName.has(nextName) ? { struct: nextName, field: "" } : headerFor(d.device ?? "", d.section));
  }

  // --- Linking.
  const commands = [...seeds.values()].filter((s) => s.kind === "command");
  const events = [...seeds.values()].filter((s) => s.kind === "event");
  const byScope = new Map<string, CodeSeed[]>();
  for (const c of commands) (byScope.get(c.def.device ?? "") ?? byScope.set(c.def.device ?? "", []).get(c.def.device ?? "")!).push(c);
  const linked = new Map<string, LinkedCommand>(commands.map((c) => [c.def.name, { seed: c, links: [] }]));
  const add = (cmd: string, role: CommandLink["role"], struct: string, rule: CommandLinkRule, source: SourceSpan) => {
    const l = linked.get(cmd);
    if (!l || !structByName.has(struct)) return;
    if (l.links.some((x) => x.role === role && x.struct === struct && x.rule === rule)) return;
    l.links.push({ role, struct, rule, source });
  };
  const titleCommands = (section: number): string[] => {
    const sec = doc.sections[section]!;
    const scopeCmds = byScope.get(scopeOf(section)) ?? [];
    const inTitle = scopeCmds.filter((c) => new RegExp(`\\b${c.def.name}\\b`).test(sec.title.replace(/\\_/g, "_")));
    if (inTitle.length) return inTitle.map((c) => c.def.name);
    // "PLUG request", "requestq Operation: Get Line Names": the title names the code's short name.
    const t = sec.title.split(":").pop()!.trim().toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_|_$/g, "");
    let best: { name: string; len: number } | undefined;
    for (const c of scopeCmds) {
      const short = shortNamesOf(scopeCmds).get(c.def.name);
      if (!short || !(t === short || new RegExp(`^${short}_(?:REQUEST|COMMAND|MESSAGE|DEVICE)$`).test(t))) continue;
      if (!best || short.length > best.len) best = { name: c.def.name, len: short.length };
    }
    return best ? [best.name] : [];
  };
  /** Commands named by the title of `section` or of a section below it (sound's \paragraph{VIRTIO_SND_R_PCM_START}). */
  const titledCache = new Map<number, Set<string>>();
  const titledWithin = (section: number): Set<string> => {
    let set = titledCache.get(section);
    if (!set) {
      set = new Set();
      for (const sec of doc.sections) if (isWithin(sec.index, section)) for (const n of titleCommands(sec.index)) set.add(n);
      titledCache.set(section, set);
    }
    return set;
  };
  // 1. sentences.
  const bySection = new Map<number, Sentence[]>();
  for (const s of input.sentences) (bySection.get(s.section) ?? bySection.set(s.section, []).get(s.section)!).push(s);
  /**
   * The words a scope's text gives its codes: "a scsi packet command (VIRTIO_BLK_T_SCSI_CMD or
   * VIRTIO_BLK_T_SCSI_CMD_OUT)" names both " scsi packet command ". Two words or more (one word — "read",
   * "write" — is too common to name a command).
   */
  const phraseCache = new Map<string, Map<string, string[]>>();
  const phrasesOf = (scope: string, scopeCmds: readonly CodeSeed[]): Map<string, string[]> => {
    let m = phraseCache.get(scope);
    if (m) return m;
    m = new Map();
    const names = new Set(scopeCmds.map((c) => c.def.name));
    for (const [section, sents] of bySection) {
      if (scopeOf(section) !== scope) continue;
      for (const sent of sents) {
        const text = sent.text.replace(/\s+/g, " ");
        for (const hit of text.matchAll(/((?:[A-Za-z][a-z-]* ){1,3}?[A-Za-z][a-z-]*) \(([A-Z][A-Z0-9_]+)((?: or [A-Z][A-Z0-9_]+)*)\)/g)) {
          const codes = [hit[2]!, ...(hit[3] ?? "").split(" or ").map((x) => x.trim()).filter(Boolean)].filter((c) => names.has(c));
          if (!codes.length) continue;
          const words = hit[1]!.toLowerCase().split(" ").filter((w) => !["a", "an", "the", "either", "or", "and", "be", "is", "of"].includes(w));
          if (words.length < 2) continue;
          const phrase = ` ${words.join(" ")} `;
          m.set(phrase, [...new Set([...(m.get(phrase) ?? []), ...codes])]);
        }
      }
    }
    phraseCache.set(scope, m);
    return m;
  };
  for (const [section, sents] of bySection) {
    const scope = scopeOf(section);
    const scopeCmds = byScope.get(scope);
    if (!scopeCmds?.length) continue;
    const names = new Set(scopeCmds.map((c) => c.def.name));
    const titled = titleCommands(section);
    const phrases = phrasesOf(scope, scopeCmds);
    let current: string[] = titled;
    let lastMentionLine: number | undefined;
    let currentProse: Prose | undefined;
    let beforeAside: { current: string[]; lastMentionLine: number | undefined } | undefined;
    const ordered = sents.map((s) => ({ s, span: spanAt(s.prose, s.offset) })).sort((a, b) => cmpSpan(a.span, b.span));
    for (const { s: raw, span } of ordered) {
      // One space for every run of whitespace: the prose keeps the source's line breaks ("populated\nby the device").
      const s = { ...raw, text: raw.text.replace(/\s+/g, " ") };
      const it = itemOfProse.get(s.prose);
      if (s.prose !== currentProse) {
        // A note's subject ("Only a VIRTIO_BLK_T_FLUSH request does that") is not what the text after it is about.
        if (s.prose.aside && !currentProse?.aside) beforeAside = { current, lastMentionLine };
        else if (!s.prose.aside && currentProse?.aside && beforeAside) ({ current, lastMentionLine } = beforeAside);
        currentProse = s.prose;
        const labelCmd = it && /^([A-Z][A-Z0-9_]+)/.exec(it.item.label)?.[1];
        if (labelCmd && names.has(labelCmd)) current = [labelCmd];
        else if (it) current = titled;
      }
      // The subject carried over from an earlier sentence ends at a listing: what follows the listing is about it.
      if (!it && lastMentionLine !== undefined && (listingsBySection.get(section) ?? []).some((l) => l.line > lastMentionLine! && l.line < span.line)) current = titled;
      let mentioned = [...new Set([...s.text.matchAll(CONSTANT_NAME_RE)].map((m) => m[0]).filter((n) => names.has(n)))];
      // "A zone report reply has …": a command named by its short name (two words or more) in lower case, or by
      // the words the text itself gives it ("scsi packet command requests", after "a scsi packet command
      // (VIRTIO_BLK_T_SCSI_CMD or …)").
      if (!mentioned.length) {
        const lower = ` ${s.text.toLowerCase()} `;
        mentioned = scopeCmds.filter((c) => {
          const spoken = spokenShortNamesOf(scopeCmds).get(c.def.name);
          return spoken !== undefined && lower.includes(spoken);
        }).map((c) => c.def.name);
        if (!mentioned.length) for (const [phrase, cmds] of phrases) if (lower.includes(phrase)) mentioned.push(...cmds.filter((c) => names.has(c)));
        mentioned = [...new Set(mentioned)];
      }
      if (mentioned.length) {
        current = mentioned;
        lastMentionLine = span.line;
      }
      const mentions = structMentions(s.text, structByName);
      if (!mentions.length) continue;
      // "A PCM control request has, or consists of, a common header …": what every request of this section
      // begins with, as "Each request …" says.
      const quant = /^(?:each|all)\s+requests?\b/i.test(s.text) || /^(?:each|all)\s+responses?\b/i.test(s.text) || /^an?\s+(?:[a-z0-9-]+\s+){0,4}requests?\b.*\bcommon header\b/i.test(s.text);
      let prevRole: "request" | "reply" | undefined;
      for (const mention of mentions) {
        let struct: string | undefined = mention.struct;
        if (mention.following) {
          const at = spanAt(s.prose, raw.offset + raw.text.length - 1).line;
          const next = (listingsBySection.get(section) ?? []).find((l) => l.line >= at && l.line <= at + 4);
          struct = next ? rootStruct(next) : undefined;
          if (!struct) continue;
        }
        const before = s.text.slice(0, mention.index).toLowerCase();
        let role = roleBefore(before, fieldRole);
        if (mention.continuation && prevRole) role = prevRole;
        if (!role) role = roleFromStructName(struct);
        prevRole = role;
        if (!role) {
          if (mentioned.length || current.length) diagnostics.push({ severity: "warning", code: "command-link-role-unknown", message: `struct ${struct} is named for ${(mentioned.length ? mentioned : current).join(", ")} but the text does not say whether it is the request or the reply`, source: span });
          continue;
        }
        let targets = mentioned.length ? mentioned : current;
        if (mention.forPhrase) {
          const suffix = mention.forPhrase.toUpperCase().replace(/\s+/g, "_");
          const hit = scopeCmds.filter((c) => c.def.name.endsWith(`_${suffix}`)).map((c) => c.def.name);
          if (hit.length) targets = hit;
        }
        // "Each request …" speaks of every command defined in this section or below it (not of a sibling
        // section's: crypto's "Each request uses the virtio_crypto_mac_data_flf structure" is about MAC requests).
        const quantified = quant ? scopeCmds.filter((c) => isWithin(c.def.section, section) || titledWithin(section).has(c.def.name)) : [];
        if (quantified.length) {
          const except = new Set([...s.text.matchAll(/\bexcept\s+([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
          const re = /response/i.test(s.text.split(/\s+/).slice(0, 2).join(" ")) ? "reply" : role;
          for (const c of quantified) if (!except.has(c.def.name)) add(c.def.name, re, struct, "quantifier", span);
          continue;
        }
        // A bare common header followed by the payload: the payload is the command's struct.
        if (mention.continuation === false && mentions[mentions.indexOf(mention) + 1]?.continuation && isCommonHeader(struct, embeddedBy, codeFieldsOf)) continue;
        for (const t of targets) add(t, role, struct, mentioned.length || mention.forPhrase ? "sentence" : "context", span);
      }
    }
  }
  // 2. scope: items, titled sections, the code's own listing or struct.
  for (const c of commands) {
    const scopeStructs: { struct: string; span: SourceSpan }[] = [];
    const regionStructs = (ls: Listing[]) => {
      for (const l of ls) for (const p of l.items) if (p.item.kind === "struct" && p.item.name && structByName.has(p.item.name)) scopeStructs.push({ struct: p.item.name, span: p.span });
    };
    const scope = c.def.device ?? "";
    for (const [prose, it] of itemOfProse) {
      void prose;
      if (scopeOf(it.section) !== scope || /^([A-Z][A-Z0-9_]+)/.exec(it.item.label)?.[1] !== c.def.name) continue;
      const end = it.next ? it.next.span.line : it.list.endLine;
      regionStructs((listingsBySection.get(it.section) ?? []).filter((l) => l.line > it.item.span.line && l.line < end));
    }
    for (const sec of doc.sections) if (scopeOf(sec.index) === scope && titleCommands(sec.index).includes(c.def.name)) regionStructs(listingsBySection.get(sec.index) ?? []);
    // RTC's `#define VIRTIO_RTC_REQ_CFG 0x1000` then its two structs; an enum of all codes is no such listing.
    if (c.def.listing && !c.def.insideStruct && !c.def.enumMember) {
      const l = listings.get(c.def.listing)!;
      const others = l.items.filter((p) => p.item.kind === "define" && p.item.name !== c.def.name && seeds.has(p.item.name) && p.span.line > c.def.source.line);
      const stop = others.length ? Math.min(...others.map((p) => p.span.line)) : Infinity;
      const after = l.items.filter((p) => p.item.kind === "struct" && p.span.line > c.def.source.line && p.span.line < stop);
      for (const p of after) if (p.item.kind === "struct" && p.item.name && structByName.has(p.item.name)) scopeStructs.push({ struct: p.item.name, span: p.span });
    }
    if (c.def.insideStruct && structByName.has(c.def.insideStruct) && !isSharedHeader(c.def.insideStruct, c, commands)) add(c.def.name, "request", c.def.insideStruct, "scope", c.def.source);
    const names = scopeStructs.map((x) => x.struct);
    for (const { struct, span } of scopeStructs) {
      if (names.some((o) => o !== struct && embeddedBy.get(struct)?.has(o))) continue;
      if (struct === c.header) continue;
      const role = roleFromStructName(struct);
      const l = linked.get(c.def.name)!;
      if (l.links.some((x) => x.struct === struct)) continue;
      if (!role) {
        diagnostics.push({ severity: "warning", code: "command-link-role-unknown", message: `struct ${struct} is defined where ${c.def.name} is described, but neither the text nor its name says whether it is the request or the reply`, source: span });
        continue;
      }
      add(c.def.name, role, struct, "scope", span);
    }
  }
  // 2b. name: a struct named as the code is, with a role word in between (VIRTIO_MEDIA_CMD_MUNMAP →
  // virtio_media_cmd_munmap and virtio_media_resp_munmap; VIRTIO_RTC_REQ_READ_ALARM → virtio_rtc_req_read_alarm
  // and virtio_rtc_resp_read_alarm), for text that defines a code's structs without a sentence tying them.
  for (const c of commands) {
    const short = shortNamesOf(byScope.get(c.def.device ?? "") ?? []).get(c.def.name);
    if (!short) continue;
    const prefix = `${c.def.name.split("_").slice(0, 2).join("_").toLowerCase()}_`;
    const suffix = `_${short.toLowerCase()}`;
    for (const name of structByName.keys()) {
      if (!name.startsWith(prefix) || !name.endsWith(suffix) || name.length <= prefix.length + suffix.length) continue;
      const middle = name.slice(prefix.length, name.length - suffix.length).split("_");
      const roles = new Set(middle.map((w) => (NAME_REPLY_WORDS.has(w) ? "reply" : NAME_REQUEST_WORDS.has(w) ? "request" : undefined)));
      if (roles.size !== 1 || roles.has(undefined)) continue;
      add(c.def.name, [...roles][0]!, name, "name", structByName.get(name)!.source);
    }
  }
  // 3./4. header fallbacks, then choose.
  const out: LinkedCommand[] = [];
  for (const c of commands) {
    const l = linked.get(c.def.name)!;
    if (c.header && structByName.has(c.header)) {
      // A header no struct embeds is the request itself; one embedded by exactly one struct is the head of
      // that message (virtio_vsock_hdr in virtio_vsock_packet); one many structs begin with stays a header.
      const outer = [...(embeddedBy.get(c.header) ?? [])];
      if (outer.length === 0) {
        add(c.def.name, "request", c.header, "header", c.def.source);
        // Its reply is the struct beside it that its name calls a response (virtio_gpio_response), if only one.
        const sec = structSection.get(c.header);
        const replies = placed.filter((p) => p.section === sec && p.item.kind === "struct" && p.item.name && roleFromStructName(p.item.name) === "reply" && !embeddedBy.has(p.item.name) && !codeFieldsOf.has(p.item.name));
        if (replies.length === 1 && replies[0]!.item.kind === "struct") add(c.def.name, "reply", replies[0]!.item.name!, "header", replies[0]!.span);
      }
      else if (outer.length === 1) {
        add(c.def.name, "request", outer[0]!, "header", c.def.source);
        l.header = c.header;
      } else l.header = c.header;
    }
    const rank: Record<CommandLinkRule, number> = { sentence: 5, context: 4, scope: 3, name: 2.5, quantifier: 2, header: 1 };
    // Within one rank a payload beats the common header it follows ("the virtio_snd_hdr structure, followed by …").
    const common = (x: CommandLink) => (isCommonHeader(x.struct, embeddedBy, codeFieldsOf) ? 1 : 0);
    const pick = (role: CommandLink["role"]) => l.links.filter((x) => x.role === role).sort((a, b) => rank[b.rule] - rank[a.rule] || common(a) - common(b) || cmpSpan(a.source, b.source))[0];
    const req = pick("request");
    const rep = pick("reply");
    if (req) l.request = req.struct;
    if (rep) l.reply = rep.struct;
    const q = l.links.find((x) => x.role === "request" && (x.rule === "quantifier" || x.rule === "header") && x.struct !== l.request);
    if (q && !l.header) l.header = q.struct;
    if (!l.request) diagnostics.push({ severity: "note", code: "command-without-request", message: `${c.def.name}: the text ties no request struct to this code`, source: c.def.source });
    if (!l.reply) diagnostics.push({ severity: "note", code: "command-without-reply", message: `${c.def.name}: the text ties no reply struct to this code`, source: c.def.source });
    out.push(l);
  }
  return { commands: out, events };

  function isWithin(section: number, ancestor: number): boolean {
    for (let i: number | undefined = section; i !== undefined; i = doc.sections[i]!.parent) if (i === ancestor) return true;
    return false;
  }

  function structWithFieldIn(section: number, field: string): { struct: string; field: string } | undefined {
    for (const p of placed) if (p.section === section && p.item.kind === "struct" && p.item.name && structByName.get(p.item.name)?.fields.some((f) => f.name === field)) return { struct: p.item.name, field };
    return undefined;
  }
}

/** A struct the device's messages begin with: it carries the code field, or other structs embed it first. */
function isCommonHeader(struct: string, embeddedBy: Map<string, Set<string>>, codeFieldsOf: Map<string, Set<string>>): boolean {
  return codeFieldsOf.has(struct) || (embeddedBy.get(struct)?.size ?? 0) >= 2;
}

/** A struct whose body defines the codes of several commands (a header) is not any one command's request. */
function isSharedHeader(struct: string, c: CodeSeed, commands: CodeSeed[]): boolean {
  return commands.filter((o) => o.def.insideStruct === struct && o !== c).length > 0 && commands.filter((o) => o.def.insideStruct === struct).length > 2;
}

interface Mention {
  struct: string;
  index: number;
  /** "the following structure(s)": the next listing's struct. */
  following?: true;
  /** "followed by struct Y": continues the previous mention's role. */
  continuation: boolean;
  /** "struct X for destroy session": the commands whose names end in the phrase. */
  forPhrase?: string;
}

/** The structs a sentence names, in order. */
function structMentions(text: string, structByName: Map<string, Struct>): Mention[] {
  const out: Mention[] = [];
  const re = /\bstruct\s+([a-z_][a-z0-9_]*)|\bthe\s+(?!following\b)([a-z_][a-z0-9_]*)\s+structure\b|\b(virtio_[a-z0-9_]+)\b|\b(?:the\s+)?following\s+(?:[a-z]+\s+){0,3}(?:structures?|layout|structure and layout definitions)\b|\bis of (?:the )?form\s*:?$|\b(?:has|have) the (?:following )?layout\b[^.]*:?$/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const name = m[1] ?? m[2] ?? m[3];
    const cont = /followed by\s+(?:an array\s+)?(?:of\s+)?(?:the\s+)?(?:[a-z]+\s+){0,4}$/.test(text.slice(Math.max(0, m.index - 60), m.index));
    if (name) {
      if (!structByName.has(name)) continue;
      // "struct virtio_x.flags" names a field of the struct (a flag to set there), not a message carrying it.
      if (/^\.[a-z_]/.test(text.slice(m.index + m[0].length))) continue;
      if (out.some((o) => o.struct === name)) continue;
      const mention: Mention = { struct: name, index: m.index, continuation: cont };
      const fp = /^\s+for\s+([a-z]+(?:\s+[a-z]+)+?)(?=\s+or\b|[.,;]|$)/.exec(text.slice(m.index + m[0].length));
      if (fp) mention.forPhrase = fp[1]!;
      out.push(mention);
    } else {
      out.push({ struct: "", index: m.index, following: true, continuation: cont });
    }
  }
  return out;
}

/** The nearest role word before a struct mention. */
function roleBefore(before: string, fieldRole: Map<string, "request" | "reply">): "request" | "reply" | undefined {
  const words: Record<string, RegExp> = {
    reply: /\b(?:respon\w*|repl(?:y|ies)|results?|returns?|returned|command_specific_result|populated by the device|set by the device|written by the device|device-writable|device writes)\b/g,
    request: /\b(?:requests?|command_specific_data|device-readable|driver sends|sent by the driver)\b/g,
  };
  let best: { role: "request" | "reply"; at: number } | undefined;
  for (const [role, re] of Object.entries(words) as ["request" | "reply", RegExp][]) {
    for (const m of before.matchAll(re)) if (!best || m.index! + m[0].length > best.at) best = { role, at: m.index! + m[0].length };
  }
  for (const m of before.matchAll(/\b([a-z][a-z0-9_]*)\b/g)) {
    const r = fieldRole.get(m[1]!);
    if (r && m[1]!.includes("_") && (!best || m.index! + m[0].length > best.at)) best = { role: r, at: m.index! + m[0].length };
  }
  return best?.role;
}

function lastWord(text: string, classes: Record<string, RegExp>): string | undefined {
  let best: { k: string; at: number } | undefined;
  for (const [k, re] of Object.entries(classes)) for (const m of text.matchAll(re)) if (!best || m.index! > best.at) best = { k, at: m.index! };
  return best?.k;
}

function commonPrefix(names: string[]): string {
  const words = names.map((n) => n.split("_"));
  let n = 0;
  while (words.every((w) => n < w.length - 1 && w[n] === words[0]![n])) n++;
  return words[0]!.slice(0, n).join("_") + "_";
}

/** The code's name without the words all codes of its family share: VIRTIO_MEM_REQ_UNPLUG_ALL → UNPLUG_ALL. */
function shortName(name: string, family: string[]): string | undefined {
  const sameStart = family.filter((f) => f.split("_").slice(0, 2).join("_") === name.split("_").slice(0, 2).join("_"));
  if (sameStart.length < 2) return undefined;
  const p = commonPrefix(sameStart);
  return name.startsWith(p) ? name.slice(p.length) : undefined;
}

/**
 * Each code's short name within its scope, computed once per scope: the sentence loop asks for every code of the
 * scope in every sentence, and computing the family each time made a chapter with many codes quadratic (the ISM
 * seed spent 1.5 s here).
 */
const shortNameCache = new WeakMap<readonly CodeSeed[], Map<string, string | undefined>>();
function shortNamesOf(scopeCmds: readonly CodeSeed[]): Map<string, string | undefined> {
  let m = shortNameCache.get(scopeCmds);
  if (!m) {
    const family = scopeCmds.map((x) => x.def.name);
    m = new Map(family.map((n) => [n, shortName(n, family)]));
    shortNameCache.set(scopeCmds, m);
  }
  return m;
}

/** The short names of two words or more as prose writes them (" zone report "), for the codes that have one. */
const spokenCache = new WeakMap<readonly CodeSeed[], Map<string, string>>();
function spokenShortNamesOf(scopeCmds: readonly CodeSeed[]): Map<string, string> {
  let m = spokenCache.get(scopeCmds);
  if (!m) {
    m = new Map();
    for (const [name, short] of shortNamesOf(scopeCmds)) if (short && short.includes("_")) m.set(name, ` ${short.toLowerCase().replace(/_/g, " ")} `);
    spokenCache.set(scopeCmds, m);
  }
  return m;
}

function memberStructs(s: Struct): string[] {
  const out: string[] = [];
  const walk = (fs: Struct["fields"]) => {
    for (const f of fs) {
      if (f.type.kind === "struct") out.push(f.type.name);
      if (f.members) walk(f.members);
    }
  };
  walk(s.fields);
  return out;
}

function followingField(members: Member[], defineName: string): string | undefined {
  const i = members.findIndex((m) => m.kind === "define" && m.name === defineName);
  for (let j = i + 1; j < members.length; j++) {
    const m = members[j]!;
    if (m.kind === "field") return m.name;
    if (m.kind === "nested" && m.name) return m.name;
  }
  return undefined;
}

function walkDirections(members: Member[], start: "request" | "reply" | undefined, out: Map<string, "request" | "reply">, conflicting: Set<string>): void {
  let dir = start;
  for (const m of members) {
    if (m.kind === "comment") {
      const t = m.text.toLowerCase();
      if (/device[- ]writ|write[- ]only|driver[- ]read/.test(t)) dir = "reply";
      else if (/device[- ]read|read[- ]only|driver[- ]writ/.test(t)) dir = "request";
    } else if (m.kind === "field" && dir) {
      const f = m as FieldMember;
      const prev = out.get(f.name);
      if (prev && prev !== dir) conflicting.add(f.name);
      out.set(f.name, dir);
    } else if (m.kind === "nested") {
      walkDirections(m.members, dir, out, conflicting);
    }
  }
}

export type { ListingItem };
