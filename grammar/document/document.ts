/**
 * The document model: walks the LaTeX parse trees of a spec tree (following \input) and assigns meaning to
 * the commands the virtio spec uses: sectioning with \label, normative headings, listings, description and
 * itemize lists, tables, prose paragraphs, \ref/\field uses and macro/environment uses.
 *
 * It knows LaTeX conventions, not devices: nothing here mentions ISM, net or any other device.
 *
 * @module
 */
import type { Diagnostic, SourceSpan } from "../ir/types.js";
import { parseTex, TexSyntaxError, type TexArg, type TexLoc, type TexNode } from "../latex/latex.js";

/** One file of a spec tree, as ingest hands it over. */
export interface TreeFile {
  path: string;
  text: string;
  /** index = line - 1 → line of the mail that carried this line. */
  mailLines?: (number | undefined)[];
  /** 1-based lines the patch added. */
  addedLines?: number[];
  /** Set of addedLines, built on first use. */
  addedSet?: Set<number>;
}

export interface Tree {
  files: Map<string, TreeFile>;
  entry: string;
  /** Name of the mail/patch the tree came from, for SourceSpan.mail. */
  mailFile?: string;
}

/** A run of plain text with the source position of its first character. */
export interface Segment {
  text: string;
  span: SourceSpan;
}

/** Plain text (LaTeX reduced) and where each part came from. */
export interface Prose {
  text: string;
  segments: Segment[];
  /** \field{x} uses, in order. */
  fields: { name: string; span: SourceSpan }[];
  span: SourceSpan;
  /** Set for the text of a `note` environment: an aside, whose subject the text around it does not take up. */
  aside?: true;
}

export interface ListItem {
  /** Plain text of the [label] of a description item (\field{x} reduced to x). */
  label: string;
  /** \field names used in the label. */
  labelFields: string[];
  body: Prose;
  /** \ref labels inside the item. */
  refs: string[];
  span: SourceSpan;
}

export type Block =
  | { kind: "prose"; prose: Prose }
  | { kind: "listing"; body: string; bodyLine: number; bodyColumn: number; file: string; span: SourceSpan }
  | { kind: "list"; env: string; items: ListItem[]; span: SourceSpan }
  | { kind: "table"; rows: string[][]; span: SourceSpan };

export interface DocSection {
  /** Index in Document.sections. */
  index: number;
  title: string;
  level: number;
  label?: string;
  labelSpan?: SourceSpan;
  normative?: "device" | "driver" | "conformance";
  parent?: number;
  blocks: Block[];
  span: SourceSpan;
}

export interface Document {
  files: string[];
  sections: DocSection[];
  labels: { label: string; span: SourceSpan; section?: number }[];
  refs: { label: string; span: SourceSpan; command: string }[];
  macroUses: { name: string; span: SourceSpan }[];
  envUses: { name: string; span: SourceSpan }[];
  /** Macros and environments the tree itself defines (\newcommand, \def, \newenvironment, …). */
  definedMacros: Set<string>;
  definedEnvs: Set<string>;
  diagnostics: Diagnostic[];
  /** Set when a file could not be read as LaTeX at all: the input is unusable. */
  fatal?: Diagnostic;
}

/** Sectioning commands and their levels. */
export const SECTION_LEVELS: Record<string, number> = {
  part: -1,
  chapter: 0,
  section: 1,
  subsection: 2,
  subsubsection: 3,
  paragraph: 4,
  subparagraph: 5,
};

/** Environments of LaTeX and of the packages the spec loads; the tree's \newenvironment adds to these. */
export const KNOWN_ENVIRONMENTS = new Set(
  (
    "document itemize enumerate description itemize* enumerate* description* tabular tabular* tabularx longtable " +
    "table table* figure figure* center flushleft flushright quote quotation verse verbatim Verbatim lstlisting " +
    "minipage titlepage spacing shaded framed note comment math displaymath equation equation* align align* " +
    "array multicols abstract sloppypar DIFnomarkup landscape xltabular"
  ).split(/\s+/),
);

const LIST_ENVS = new Set(["description", "itemize", "enumerate", "itemize*", "enumerate*", "description*"]);
// xltabular: the admin chapter used it from aa4f6f0 (2023) until 459f1aa (2024) replaced it with ltablex.
const TABLE_ENVS = new Set(["tabular", "tabular*", "tabularx", "longtable", "xltabular"]);
/** Commands that reference a label. */
const REF_COMMANDS = new Set(["ref", "nameref", "autoref", "pageref", "cref", "Cref"]);
/** Commands whose arguments are not prose (lengths, colours, setup). */
const NON_PROSE_COMMANDS = new Set([
  "label", "vspace", "hspace", "setlength", "addtolength", "setcounter", "addtocounter", "color", "definecolor",
  "usepackage", "documentclass", "input", "include", "lstinputlisting", "includegraphics", "hypersetup",
  "titleformat", "fancyfoot", "fancyhead", "pagestyle", "thispagestyle", "newpage", "clearpage", "lstset",
  "caption", "phantomsection", "renewcommand", "newcommand", "providecommand", "newenvironment",
  "renewenvironment", "def", "let", "urlstyle", "multicolumn", "cline", "fontsize", "fontspec", "setmainfont",
  "setmonofont", "textcolor", "counterwithout", "addtocontents", "raisebox", "begingroup", "endgroup",
]);

function spanOf(file: TreeFile, loc: { line: number; column: number; endLine?: number; endColumn?: number }, mailFile?: string): SourceSpan {
  const span: SourceSpan = {
    file: file.path,
    line: loc.line,
    column: loc.column,
    endLine: loc.endLine ?? loc.line,
    endColumn: loc.endColumn ?? loc.column,
  };
  const mailLine = file.mailLines?.[loc.line - 1];
  if (mailFile && mailLine !== undefined) span.mail = { file: mailFile, line: mailLine, added: isAdded(file, loc.line) };
  return span;
}

/** Whether the patch added this line of the file (as opposed to quoting it as context). */
export function isAdded(file: TreeFile, line: number): boolean {
  if (!file.addedLines) return false;
  file.addedSet ??= new Set(file.addedLines);
  return file.addedSet.has(line);
}

/** Collapse LaTeX whitespace: runs of spaces/newlines become one space. */
function squash(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** Text of an argument (reduced: \field{x} → x, groups flattened, comments dropped). */
export function plainText(nodes: TexNode[]): string {
  let out = "";
  for (const n of nodes) {
    switch (n.type) {
      case "text":
        out += n.value;
        break;
      case "special":
        out += n.value === "~" ? " " : n.value;
        break;
      case "math":
        out += n.value;
        break;
      case "verb":
        out += n.value;
        break;
      case "group":
        out += plainText(n.nodes);
        break;
      case "command":
        out += commandText(n.name, n.args);
        break;
      case "env":
        out += n.verbatim ? (n.raw ?? "") : plainText(n.body);
        break;
      case "comment":
        break;
    }
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  "_": "_", "%": "%", "&": "&", "#": "#", "$": "$", "{": "{", "}": "}", " ": " ", ",": " ", "\\": "\n",
  "-": "", "/": "", "textbackslash": "\\", "ldots": "...", "dots": "...", "lbrack": "[", "rbrack": "]",
  "textasciicircum": "^", "newline": "\n", "LaTeX": "LaTeX", "TeX": "TeX", "textless": "<", "textgreater": ">",
};

function commandText(name: string, args: TexArg[]): string {
  if (name in ESCAPES) return ESCAPES[name]!;
  if (NON_PROSE_COMMANDS.has(name)) return "";
  if (REF_COMMANDS.has(name)) return args.length ? `[${squash(args[args.length - 1]!.raw)}]` : "";
  if (name === "hyperref") {
    const req = args.find((a) => a.kind === "req");
    return req ? plainText(req.nodes) : "";
  }
  if (name === "href") {
    const req = args.filter((a) => a.kind === "req");
    return req.length > 1 ? plainText(req[1]!.nodes) : "";
  }
  // \field{x}, \emph{x}, \textbf{x}, unknown macros: their required arguments' text.
  return args.filter((a) => a.kind === "req").map((a) => plainText(a.nodes)).join("");
}

/** Builds a Prose from a node list, recording \field uses and segment positions. */
class ProseBuilder {
  text = "";
  segments: Segment[] = [];
  fields: { name: string; span: SourceSpan }[] = [];
  first?: SourceSpan;
  last?: SourceSpan;

  constructor(
    private readonly file: TreeFile,
    private readonly mailFile?: string,
    private readonly aside = false,
  ) {}

  add(text: string, loc: TexLoc): void {
    if (text.length === 0) return;
    const span = spanOf(this.file, loc, this.mailFile);
    this.segments.push({ text, span });
    this.text += text;
    this.first ??= span;
    this.last = span;
  }

  addNodes(nodes: TexNode[]): void {
    for (const n of nodes) {
      if (n.type === "command" && n.name === "field") {
        const raw = n.args.find((a) => a.kind === "req");
        if (raw) this.fields.push({ name: squash(plainText(raw.nodes)), span: spanOf(this.file, n.loc, this.mailFile) });
        this.add(raw ? plainText(raw.nodes) : "", n.loc);
      } else if (n.type === "group") {
        this.addNodes(n.nodes);
      } else if (n.type === "command" && !(n.name in ESCAPES) && !NON_PROSE_COMMANDS.has(n.name) && !REF_COMMANDS.has(n.name) && n.name !== "hyperref" && n.name !== "href") {
        for (const a of n.args) if (a.kind === "req") this.addNodes(a.nodes);
      } else if (n.type !== "comment") {
        this.add(plainText([n]), n.loc);
      }
    }
  }

  build(): Prose | undefined {
    if (!this.first || this.text.trim() === "") return undefined;
    const span = { ...this.first, endLine: this.last!.endLine, endColumn: this.last!.endColumn };
    return { text: this.text, segments: this.segments, fields: this.fields, span, ...(this.aside ? { aside: true as const } : {}) };
  }
}

/** Where in a Prose a character offset came from. */
export function spanAt(prose: Prose, offset: number): SourceSpan {
  let pos = 0;
  for (const seg of prose.segments) {
    if (offset < pos + seg.text.length) {
      // Advance line/column through the segment's own text up to the offset.
      const within = seg.text.slice(0, offset - pos);
      const nl = within.lastIndexOf("\n");
      const lines = within.split("\n").length - 1;
      const line = seg.span.line + lines;
      const column = nl < 0 ? seg.span.column + within.length : within.length - nl;
      const span: SourceSpan = { ...seg.span, line, column, endLine: line, endColumn: column };
      return span;
    }
    pos += seg.text.length;
  }
  return prose.span;
}

interface WalkState {
  doc: Document;
  tree: Tree;
  current: number | undefined;
  /** Paragraph being accumulated. */
  para?: ProseBuilder;
  paraFile?: TreeFile;
  inputStack: string[];
  /** Section awaiting its \label (set by a sectioning command). */
  pendingLabel?: number;
  /** Inside a `note` environment: its paragraphs are asides. */
  inNote?: boolean;
}

function flushPara(st: WalkState): void {
  if (!st.para) return;
  const prose = st.para.build();
  st.para = undefined;
  if (prose && st.current !== undefined) st.doc.sections[st.current]!.blocks.push({ kind: "prose", prose });
  else if (prose && st.current === undefined) ensureRoot(st).blocks.push({ kind: "prose", prose });
}

/** Text before the first sectioning command lands in a synthetic root section. */
function ensureRoot(st: WalkState): DocSection {
  if (st.current === undefined) {
    const s: DocSection = {
      index: st.doc.sections.length,
      title: "(front matter)",
      level: -2,
      blocks: [],
      span: { file: st.tree.entry, line: 1, column: 1, endLine: 1, endColumn: 1 },
    };
    st.doc.sections.push(s);
    st.current = s.index;
  }
  return st.doc.sections[st.current]!;
}

function openSection(st: WalkState, file: TreeFile, loc: TexLoc, level: number, title: string, normative?: DocSection["normative"]): number {
  flushPara(st);
  let parent = st.current;
  while (parent !== undefined && st.doc.sections[parent]!.level >= level) parent = st.doc.sections[parent]!.parent;
  const s: DocSection = {
    index: st.doc.sections.length,
    title: squash(title),
    level,
    normative,
    parent,
    blocks: [],
    span: spanOf(file, loc, st.tree.mailFile),
  };
  st.doc.sections.push(s);
  st.current = s.index;
  st.pendingLabel = s.index;
  return s.index;
}

function addLabel(st: WalkState, label: string, span: SourceSpan): void {
  const section = st.pendingLabel;
  st.doc.labels.push({ label, span, section });
  if (section !== undefined) {
    const s = st.doc.sections[section]!;
    if (s.label === undefined) {
      s.label = label;
      s.labelSpan = span;
    }
  }
  st.pendingLabel = undefined;
}

function reqArgs(args: TexArg[]): TexArg[] {
  return args.filter((a) => a.kind === "req");
}

/** Splits a paragraph at blank lines inside text nodes. */
function handleText(st: WalkState, file: TreeFile, n: TexNode & { type: "text" }): void {
  const parts = n.value.split(/\n[ \t]*\n/);
  if (parts.length === 1) {
    ensurePara(st, file).add(n.value, n.loc);
    if (n.value.trim() !== "") st.pendingLabel = undefined;
    return;
  }
  // Recompute positions of each part.
  let offset = 0;
  parts.forEach((part, i) => {
    const before = n.value.slice(0, n.value.indexOf(part, offset));
    const lines = before.split("\n").length - 1;
    const col = lines === 0 ? n.loc.column + before.length : before.length - before.lastIndexOf("\n");
    const loc: TexLoc = { ...n.loc, line: n.loc.line + lines, column: col };
    if (part.trim() !== "") {
      ensurePara(st, file).add(part, loc);
      st.pendingLabel = undefined;
    }
    offset = before.length + part.length;
    if (i < parts.length - 1) flushPara(st);
  });
}

function ensurePara(st: WalkState, file: TreeFile): ProseBuilder {
  if (!st.para || st.paraFile !== file) {
    flushPara(st);
    st.para = new ProseBuilder(file, st.tree.mailFile, st.inNote === true);
    st.paraFile = file;
  }
  return st.para;
}

/** Records macro uses and refs inside a node list without building prose (arguments, list labels…). */
function scanUses(st: WalkState, file: TreeFile, nodes: TexNode[]): void {
  for (const n of nodes) {
    if (n.type === "command") {
      st.doc.macroUses.push({ name: n.name, span: spanOf(file, n.loc, st.tree.mailFile) });
      if (REF_COMMANDS.has(n.name) || n.name === "hyperref") recordRef(st, file, n);
      // A \label inside a table or argument labels a spot, not a section (e.g. intro:rfc4122 in a longtable).
      else if (n.name === "label") st.doc.labels.push({ label: squash(n.args[0]?.raw ?? ""), span: spanOf(file, n.loc, st.tree.mailFile) });
      for (const a of n.args) scanUses(st, file, a.nodes);
    } else if (n.type === "group") {
      scanUses(st, file, n.nodes);
    } else if (n.type === "env") {
      st.doc.envUses.push({ name: n.name, span: spanOf(file, n.loc, st.tree.mailFile) });
      scanUses(st, file, n.body);
    }
  }
}

function recordRef(st: WalkState, file: TreeFile, n: TexNode & { type: "command" }): string | undefined {
  let label: string | undefined;
  if (n.name === "hyperref") {
    const opt = n.args.find((a) => a.kind === "opt");
    label = opt?.raw;
  } else {
    const req = reqArgs(n.args);
    label = req.length ? req[req.length - 1]!.raw : undefined;
  }
  if (label !== undefined) {
    label = squash(label);
    st.doc.refs.push({ label, span: spanOf(file, n.loc, st.tree.mailFile), command: n.name });
  }
  return label;
}

function collectDefinitions(st: WalkState, n: TexNode & { type: "command" }): void {
  const first = n.args[0]?.raw.trim();
  if (!first) return;
  if (n.name === "newenvironment" || n.name === "renewenvironment") st.doc.definedEnvs.add(first);
  else if (["newcommand", "renewcommand", "providecommand", "DeclareRobustCommand"].includes(n.name)) {
    st.doc.definedMacros.add(first.replace(/^\\/, ""));
  }
}

function walkList(st: WalkState, file: TreeFile, env: TexNode & { type: "env" }): void {
  flushPara(st);
  const items: ListItem[] = [];
  let cur: { label: TexArg | undefined; nodes: TexNode[]; loc: TexLoc } | undefined;
  const finish = () => {
    if (!cur) return;
    const pb = new ProseBuilder(file, st.tree.mailFile);
    pb.addNodes(cur.nodes);
    const labelText = cur.label ? squash(plainText(cur.label.nodes)) : "";
    const labelFields: string[] = [];
    if (cur.label) {
      for (const ln of cur.label.nodes) {
        if (ln.type === "command" && ln.name === "field") {
          const a = ln.args.find((x) => x.kind === "req");
          if (a) labelFields.push(squash(plainText(a.nodes)));
        }
      }
      scanUses(st, file, cur.label.nodes);
    }
    const refs: string[] = [];
    for (const x of cur.nodes) if (x.type === "command" && REF_COMMANDS.has(x.name)) {
      const r = reqArgs(x.args);
      if (r.length) refs.push(squash(r[r.length - 1]!.raw));
    }
    const span = spanOf(file, cur.loc, st.tree.mailFile);
    const body = pb.build() ?? { text: "", segments: [], fields: [], span };
    items.push({ label: labelText, labelFields, body, refs, span });
    cur = undefined;
  };
  // Item bodies may contain nested lists/listings; those are walked as blocks of the section too.
  for (const n of env.body) {
    if (n.type === "command" && n.name === "item") {
      finish();
      st.doc.macroUses.push({ name: "item", span: spanOf(file, n.loc, st.tree.mailFile) });
      const opt = n.args.find((a) => a.kind === "opt");
      // \item's generic argument parsing may have taken a {group} that is really body text.
      const rest = n.args.filter((a) => a !== opt).flatMap((a) => (a.kind === "req" ? [{ type: "group", nodes: a.nodes, loc: a.loc } as TexNode] : []));
      cur = { label: opt, nodes: [...rest], loc: n.loc };
      for (const a of rest) if (a.type === "group") scanUses(st, file, a.nodes);
      continue;
    }
    if (n.type === "env" && (LIST_ENVS.has(n.name) || n.name === "lstlisting" || TABLE_ENVS.has(n.name))) {
      walkNodes(st, file, [n]);
      continue;
    }
    if (!cur) {
      if (n.type === "text" && n.value.trim() === "") continue;
      if (n.type === "comment") continue;
      cur = { label: undefined, nodes: [], loc: n.loc };
    }
    cur.nodes.push(n);
    if (n.type === "command") {
      st.doc.macroUses.push({ name: n.name, span: spanOf(file, n.loc, st.tree.mailFile) });
      if (REF_COMMANDS.has(n.name) || n.name === "hyperref") recordRef(st, file, n);
      else if (n.name === "label") addLabel(st, squash(n.args[0]?.raw ?? ""), spanOf(file, n.loc, st.tree.mailFile));
      for (const a of n.args) scanUses(st, file, a.nodes);
    } else if (n.type === "group" || n.type === "env") {
      scanUses(st, file, [n]);
    }
  }
  finish();
  const section = st.current !== undefined ? st.doc.sections[st.current]! : ensureRoot(st);
  section.blocks.push({ kind: "list", env: env.name, items, span: spanOf(file, env.loc, st.tree.mailFile) });
}

function walkTable(st: WalkState, file: TreeFile, env: TexNode & { type: "env" }): void {
  flushPara(st);
  scanUses(st, file, env.body);
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  for (const n of env.body) {
    if (n.type === "special" && n.value === "&") {
      row.push(squash(cell));
      cell = "";
    } else if (n.type === "command" && (n.name === "\\" || n.name === "tabularnewline")) {
      row.push(squash(cell));
      if (row.some((c) => c !== "")) rows.push(row);
      row = [];
      cell = "";
    } else if (n.type === "command" && (n.name === "hline" || n.name === "cline" || n.name === "endhead" || n.name === "endfirsthead")) {
      continue;
    } else {
      cell += plainText([n]);
    }
  }
  if (squash(cell) !== "" || row.length) {
    row.push(squash(cell));
    if (row.some((c) => c !== "")) rows.push(row);
  }
  const section = st.current !== undefined ? st.doc.sections[st.current]! : ensureRoot(st);
  section.blocks.push({ kind: "table", rows, span: spanOf(file, env.loc, st.tree.mailFile) });
}

function walkNodes(st: WalkState, file: TreeFile, nodes: TexNode[]): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    switch (n.type) {
      case "text":
        handleText(st, file, n);
        break;
      case "comment":
        break;
      case "special":
      case "math":
      case "verb":
        ensurePara(st, file).add(plainText([n]), n.loc);
        break;
      case "group":
        walkNodes(st, file, n.nodes);
        break;
      case "env": {
        st.doc.envUses.push({ name: n.name, span: spanOf(file, n.loc, st.tree.mailFile) });
        if (!KNOWN_ENVIRONMENTS.has(n.name) && !st.doc.definedEnvs.has(n.name)) {
          // An environment we do not know may be verbatim-like or change how its body reads: refuse rather
          // than guess what its body means.
          st.doc.fatal ??= { severity: "error", code: "unknown-environment", message: `unknown environment '${n.name}' (not LaTeX's, not a loaded package's, not defined by \\newenvironment in the tree)`, source: spanOf(file, n.loc, st.tree.mailFile) };
          if (!st.doc.diagnostics.includes(st.doc.fatal)) st.doc.diagnostics.push(st.doc.fatal);
          break;
        }
        if (n.name === "lstlisting") {
          flushPara(st);
          const section = st.current !== undefined ? st.doc.sections[st.current]! : ensureRoot(st);
          const rl = n.rawLoc ?? n.loc;
          section.blocks.push({ kind: "listing", body: n.raw ?? "", bodyLine: rl.line, bodyColumn: rl.column, file: file.path, span: spanOf(file, n.loc, st.tree.mailFile) });
          // `\begin{lstlisting}[label={lst:…}]` defines a label that \ref can point at, as \label does.
          for (const a of n.args) {
            const m = /(?:^|,)\s*label\s*=\s*(?:\{([^}]*)\}|([^,\]]+))/.exec(a.raw);
            if (m) st.doc.labels.push({ label: squash(m[1] ?? m[2] ?? ""), span: spanOf(file, n.loc, st.tree.mailFile) });
          }
        } else if (LIST_ENVS.has(n.name)) {
          walkList(st, file, n);
        } else if (TABLE_ENVS.has(n.name)) {
          walkTable(st, file, n);
        } else if (n.name === "note") {
          // A note is its own paragraph(s), marked as an aside.
          flushPara(st);
          const was = st.inNote;
          st.inNote = true;
          for (const a of n.args) scanUses(st, file, a.nodes);
          walkNodes(st, file, n.body);
          flushPara(st);
          st.inNote = was;
        } else {
          for (const a of n.args) scanUses(st, file, a.nodes);
          walkNodes(st, file, n.body);
        }
        break;
      }
      case "command":
        walkCommand(st, file, n);
        break;
    }
  }
}

function walkCommand(st: WalkState, file: TreeFile, n: TexNode & { type: "command" }): void {
  const span = spanOf(file, n.loc, st.tree.mailFile);
  st.doc.macroUses.push({ name: n.name, span });
  const req = reqArgs(n.args);
  if (n.name in SECTION_LEVELS) {
    const title = req[0] ? plainText(req[0].nodes) : "";
    if (req[0]) scanUses(st, file, req[0].nodes);
    openSection(st, file, n.loc, SECTION_LEVELS[n.name]!, title);
    return;
  }
  if (n.name === "devicenormative" || n.name === "drivernormative") {
    // \devicenormative{\subsubsection}{Title}{Label}: a heading at the level of its first argument,
    // labelled devicenormative:<Label>.
    const levelCmd = req[0]?.nodes.find((x) => x.type === "command");
    const level = levelCmd && levelCmd.type === "command" ? (SECTION_LEVELS[levelCmd.name] ?? 3) : 3;
    const role = n.name === "devicenormative" ? "device" : "driver";
    const title = `${role === "device" ? "Device" : "Driver"} Requirements: ${req[1] ? squash(plainText(req[1].nodes)) : ""}`;
    openSection(st, file, n.loc, level, title, role);
    if (req[2]) addLabel(st, `${n.name}:${squash(req[2].raw)}`, spanOf(file, req[2].loc, st.tree.mailFile));
    if (req.length < 3) {
      st.doc.diagnostics.push({ severity: "error", code: "macro-arity", message: `\\${n.name} takes 3 arguments ({\\level}{title}{label}), found ${req.length}`, source: span });
    }
    return;
  }
  if (n.name === "conformance") {
    const levelCmd = req[0]?.nodes.find((x) => x.type === "command");
    const level = levelCmd && levelCmd.type === "command" ? (SECTION_LEVELS[levelCmd.name] ?? 1) : 1;
    openSection(st, file, n.loc, level, req[1] ? plainText(req[1].nodes) : "", "conformance");
    return;
  }
  if (n.name === "label") {
    addLabel(st, squash(n.args[0]?.raw ?? ""), span);
    return;
  }
  if (n.name === "input" || n.name === "include") {
    flushPara(st);
    const target = req[0]?.raw.trim();
    if (target) includeFile(st, target.endsWith(".tex") ? target : `${target}.tex`, span);
    return;
  }
  if (n.name === "lstinputlisting") {
    // External listing files (the spec's own .c/.h); not parsed as wire structs here.
    return;
  }
  if (["newcommand", "renewcommand", "providecommand", "DeclareRobustCommand", "newenvironment", "renewenvironment"].includes(n.name)) {
    collectDefinitions(st, n);
    return;
  }
  if (n.name === "def" || n.name === "let") {
    return;
  }
  if (REF_COMMANDS.has(n.name) || n.name === "hyperref") {
    recordRef(st, file, n);
    ensurePara(st, file).addNodes([n]);
    return;
  }
  if (n.name === "item") {
    // \item outside a list environment (rare; malformed lists): keep its text.
    for (const a of n.args) scanUses(st, file, a.nodes);
    return;
  }
  for (const a of n.args) scanUses(st, file, a.nodes);
  if (!NON_PROSE_COMMANDS.has(n.name)) ensurePara(st, file).addNodes([n]);
}

function includeFile(st: WalkState, path: string, from: SourceSpan): void {
  const file = st.tree.files.get(path);
  if (!file) {
    st.doc.diagnostics.push({
      severity: "warning",
      code: "missing-input",
      message: `\\input{${path}}: file not found in the tree (its content is not parsed)`,
      source: from,
    });
    return;
  }
  if (st.inputStack.includes(path)) {
    st.doc.diagnostics.push({ severity: "error", code: "recursive-input", message: `\\input{${path}} includes itself`, source: from });
    return;
  }
  walkFile(st, file);
}

function walkFile(st: WalkState, file: TreeFile): void {
  let nodes: TexNode[];
  try {
    nodes = parseTex(file.text);
  } catch (err) {
    if (err instanceof TexSyntaxError) {
      const span = spanOf(file, { line: err.line, column: err.column }, st.tree.mailFile);
      st.doc.fatal = { severity: "error", code: "latex-syntax", message: err.message, source: span };
      st.doc.diagnostics.push(st.doc.fatal);
      return;
    }
    throw err;
  }
  st.doc.files.push(file.path);
  st.inputStack.push(file.path);
  walkNodes(st, file, nodes);
  flushPara(st);
  st.inputStack.pop();
}

/** Builds the document model of a tree, starting at its entry file. */
export function buildDocument(tree: Tree): Document {
  const doc: Document = {
    files: [],
    sections: [],
    labels: [],
    refs: [],
    macroUses: [],
    envUses: [],
    definedMacros: new Set(),
    definedEnvs: new Set(),
    diagnostics: [],
  };
  const st: WalkState = { doc, tree, current: undefined, inputStack: [] };
  const entry = tree.files.get(tree.entry);
  if (!entry) {
    doc.fatal = {
      severity: "error",
      code: "missing-entry",
      message: `entry file ${tree.entry} is not in the tree`,
      source: { file: tree.entry, line: 1, column: 1, endLine: 1, endColumn: 1 },
    };
    doc.diagnostics.push(doc.fatal);
    return doc;
  }
  walkFile(st, entry);
  // Macro definition files that the entry does not \input still define macros (commands.tex via virtio.tex).
  return doc;
}

/** Label path helpers: the spec's labels are `prefix:Part / Part / Part`. */
export function labelParts(label: string): string[] {
  const body = label.includes(":") ? label.slice(label.indexOf(":") + 1) : label;
  return body.split("/").map((p) => p.trim());
}
