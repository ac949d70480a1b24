/**
 * Lint: finds classes of defects in a spec (not known instances), as compiler-style diagnostics.
 *
 * Checks: unknown or misspelled macros; duplicate and dangling labels/refs; identifiers used in
 * prose but never defined (with the likely intended name); \field names no struct has; types used but not
 * defined; fields misaligned under the no-padding rule; native-endian integers in wire structs; constants
 * defined but never used; feature bits that collide with each other or with device-independent bits; device
 * IDs that collide with the spec's device ID table. Struct syntax errors come from the IR builder.
 *
 * @module
 */
import type { Document } from "../document/document.js";
import { cmpSpan, compareCodeUnits } from "../ir/build.js";
import { CONSTANT_NAME_RE, editDistance } from "../ir/text.js";

export { editDistance };
import type { Diagnostic, Field, SourceSpan, SpecIR } from "../ir/types.js";

/** Standard LaTeX and package macros the virtio spec uses (definitions in the tree are added at run time). */
const KNOWN_MACROS = new Set(
  (
    "DIFadd DIFaddFL DIFaddbegin DIFaddbeginFL DIFaddend DIFaddendFL DIFaddtex DIFaddtext DIFaddtextcstwo DIFdel DIFdelFL " +
    "DIFdelbegin DIFdelbeginFL DIFdelend DIFdelendFL DIFdeltex DIFdeltext DIFdeltextcstwo DIFmodbegin DIFmodend " +
    "FloatBarrier HCode IfFileExists IfFontExistsTF Large LARGE Huge RequirePackage UrlSpecials active addtocontents alph " +
    "appendix appendixname baselineskip begingroup bf bfseries caption catcode centering chapter cline color " +
    "contentsline contentsname counterwithout def definecolor do documentclass dots em emph endfirsthead endfoot " +
    "endgroup endhead endlastfoot ensuremath equal extracolsep extrarowheight fancyfoot fancyhead fancyhf fancypagestyle fi " +
    "fill fontsize fontspec footnote footnotemark footnotesize footnotetext footrulewidth hbox headheight " +
    "headrulewidth headsep hfil hfill hline hookrightarrow href hrule hrulefill huge hyperref hypersetup ifthenelse " +
    "ifx in includegraphics indent input include item label large lbrack ldots leaders let linenumbers lstdefinelanguage " +
    "lstinputlisting lstset makeatletter makeatother mbox message mkern multicolumn multirow nameref newcommand " +
    "newcounter newenvironment newline newpage noindent nolinkurl normalfont normalsize numberline pageref pagestyle " +
    "paragraph parsep partopsep patchcmd phantomsection protect providecommand raisebox rbrack ref relax " +
    "renewcommand renewenvironment section setcounter setlength setmainfont setmonofont setromanfont sf small " +
    "sout space stepcounter subparagraph subsection subsubsection tabcolsep tableofcontents textasciicircum " +
    "textbackslash textbf textcolor textit textsuperscript texttt textwidth thechapter thepage theparagraph " +
    "thesection thesubparagraph thesubsection thesubsubsection thispagestyle titleformat titlerule topsep ttfamily " +
    "uchyph url urldef urlstyle usepackage vfill vspace hspace part tiny scriptsize clearpage cleardoublepage " +
    "verb lstinline underline textsc textrm textsf textsl emph today maketitle title author date " +
    "le ge leq geq ne neq times cdot ldots cdots rightarrow leftarrow Rightarrow mid lfloor rfloor lceil rceil " +
    "log min max bmod pmod oplus sum frac sqrt infty pm mp approx equiv alpha beta gamma delta epsilon lambda mu pi " +
    "sigma tau phi omega ell exp ln ge lt gt vert lvert rvert langle rangle quad qquad left right big Big " +
    "arabic roman Roman item autoref cref Cref tabularnewline newline linebreak pagebreak nopagebreak " +
    "addtolength addtocounter newlength settowidth hyphenation textless textgreater LaTeX TeX nobreak " +
    "footnotesize normalsize tableofcontents listoffigures listoftables setlist renewenvironment " +
    "oasisdate oasisnoticelabel oasisspecificationuris oasisstagelabel oasistitle numberwithin theclausecounter Page"
  ).split(/\s+/),
);

export interface LintOptions {
  /**
   * Report only findings in these lines (file → set of 1-based lines), e.g. the lines a patch added.
   * Without it, everything in the tree is reported.
   */
  scope?: Map<string, Set<number>>;
}

/**
 * The defined name a misspelling most likely meant: smallest edit distance within a budget that grows with
 * length, then most shared `_`-separated words (NOSPEC → ENOSPEC, DENY_DEFAULT → CLEAN_DEFAULT).
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: { n: string; score: number } | undefined;
  const words = new Set(name.split("_"));
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name, c, 6);
    const cw = c.split("_");
    const shared = cw.filter((w) => words.has(w)).length;
    const budget = Math.max(2, Math.floor(name.length / 5));
    // Accept a close spelling, or a name sharing all but one word (the same prefix family).
    const close = d <= budget;
    const family = shared >= Math.max(cw.length, words.size) - 1 && shared >= 2;
    if (!close && !family) continue;
    const score = d - shared * 2;
    if (!best || score < best.score) best = { n: c, score };
  }
  return best?.n;
}

/** Runs every lint check. Returns the IR's own diagnostics plus lint's, sorted by position, scoped. */
export function lint(doc: Document, ir: SpecIR, opts: LintOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [...ir.diagnostics];
  const definedMacros = new Set([...KNOWN_MACROS, ...doc.definedMacros]);
  // `\urldef\x\url{…}`, `\def\x…`, `\let\x…` define the macro that follows them (its use is its definition).
  doc.macroUses.forEach((u, i) => {
    const next = doc.macroUses[i + 1];
    if (!DEFINING_PRIMITIVES.has(u.name) || !next || next.span.file !== u.span.file || next.span.line !== u.span.line) return;
    definedMacros.add(next.name);
  });
  const fromMissingInput = buildGeneratedMacros(doc, definedMacros);

  const macroCount = new Map<string, number>();
  for (const u of doc.macroUses) macroCount.set(u.name, (macroCount.get(u.name) ?? 0) + 1);
  // Unknown macros: not LaTeX's, not a package's the spec loads, not defined in the tree.
  const notedGenerated = new Set<string>();
  for (const use of doc.macroUses) {
    const name = use.name;
    if (!/^[a-zA-Z]+$/.test(name) || definedMacros.has(name)) continue;
    const missing = fromMissingInput(name);
    if (missing) {
      if (!notedGenerated.has(name)) {
        notedGenerated.add(name);
        out.push({ severity: "note", code: "macro-from-missing-input", message: `\\${name} is defined nowhere in the tree; taken to come from the file the build generates, \\input{${missing}}`, source: use.span });
      }
      continue;
    }
    const hint = closestMacro(name, definedMacros, macroCount);
    out.push({
      severity: "error",
      code: "unknown-macro",
      message: `unknown macro \\${name}`,
      source: use.span,
      ...(hint ? { hint: `did you mean \\${hint}?` } : {}),
    });
  }
  // Unknown environments are fatal in the document model (their bodies cannot be read), not reported here.

  // Labels: duplicates and dangling references.
  const firstLabel = new Map<string, SourceSpan>();
  for (const l of doc.labels) {
    const prev = firstLabel.get(l.label);
    if (prev) {
      out.push({ severity: "error", code: "duplicate-label", message: `label '${l.label}' is already defined at ${prev.file}:${prev.line}:${prev.column}`, source: l.span });
    } else firstLabel.set(l.label, l.span);
  }
  // Section labels follow the spec's "prefix:Path / To / Section" convention; one without a prefix cannot be
  // told apart from the rest and breaks tools that select on the prefix.
  const sectionLabels = doc.sections.filter((s) => s.label !== undefined && !s.normative);
  const prefixed = sectionLabels.filter((s) => s.label!.includes(":")).length;
  if (prefixed > sectionLabels.length / 2) {
    for (const s of sectionLabels) {
      if (s.label!.includes(":")) continue;
      out.push({ severity: "warning", code: "label-prefix", message: `label '${s.label}' of section '${s.title}' has no prefix (the spec's section labels start with 'sec:')`, source: s.labelSpan ?? s.span, hint: `write \\label{sec:${s.label}}` });
    }
  }
  for (const r of doc.refs) {
    if (firstLabel.has(r.label)) continue;
    const hint = closestLabel(r.label, firstLabel.keys());
    out.push({
      severity: "error",
      code: "dangling-ref",
      message: `\\${r.command} to undefined label '${r.label}'`,
      source: r.span,
      ...(hint ? { hint: `did you mean '${hint}'?` } : {}),
    });
  }

  out.push(...normativeLabelChecks(doc));

  // Identifiers in prose that nothing defines. Only names of a family the spec defines (same first two words,
  // e.g. VIRTIO_ISM_*) are checked, so ordinary capitalised words and acronyms are not flagged.
  const defined = new Set<string>([
    ...ir.constants.map((c) => c.name),
    ...ir.enums.flatMap((e) => [e.name, ...e.members.map((m) => m.name)]),
    ...ir.devices.flatMap((d) => d.features.map((f) => f.name)),
    ...ir.featureBits.map((f) => f.name),
  ]);
  // A description item "NAME (n)" defines a bit or value; a bare "\item[NAME]" only describes a name defined
  // elsewhere (the ISM draft's VIRTIO_ISM_PERM_DENY_DEFAULT is described but never #defined).
  for (const name of definedInText(doc)) defined.add(name);
  // Tables also list names the spec cites but does not define (V4L2's VIDIOC_* ioctls in the media device):
  // they count as defined, but do not make their family one the spec owns.
  const tableNames = namesInTables(doc);
  const families = new Map<string, string[]>();
  for (const n of defined) {
    const fam = family(n);
    if (fam) (families.get(fam) ?? families.set(fam, []).get(fam)!).push(n);
  }
  const prefixes = new Set<string>();
  for (const n of defined) for (let i = n.indexOf("_"); i > 0; i = n.indexOf("_", i + 1)) prefixes.add(n.slice(0, i));
  for (const n of tableNames) defined.add(n);
  const reported = new Set<string>();
  const mentioned = new Set<string>();
  for (const s of doc.sections) {
    const proses = s.blocks.flatMap((b) => (b.kind === "prose" ? [b.prose] : b.kind === "list" ? b.items.flatMap((it) => [it.body, { text: it.label, segments: [], fields: [], span: it.span }]) : []));
    for (const p of proses) {
      for (const m of p.text.matchAll(CONSTANT_NAME_RE)) {
        const name = m[0];
        mentioned.add(name);
        if (defined.has(name)) continue;
        // A prefix of defined names ("the VHOST_PCI_CTRL format") names the family, not a missing constant.
        if (prefixes.has(name)) continue;
        // "VIRTIO_NET_HASH_TYPE_XXX" stands for every name of the family, as the spec's placeholder.
        if (/(^|_)X{3,}(_|$)/.test(name)) continue;
        const fam = family(name);
        if (!fam || !families.has(fam)) continue;
        const span = p.segments.length ? spanOfOffset(p, m.index!) : p.span;
        const key = `${name}@${span.file}:${span.line}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const hint = closestName(name, families.get(fam)!);
        out.push({
          severity: "error",
          code: "undefined-identifier",
          message: `${name} is used but never defined`,
          source: span,
          ...(hint ? { hint: `did you mean ${hint}?` } : {}),
        });
      }
    }
  }

  // \field names that no struct has.
  const fieldNames = new Set<string>();
  const addFields = (fs: Field[]) => {
    for (const f of fs) {
      fieldNames.add(f.name);
      if (f.members) addFields(f.members);
    }
  };
  for (const st of ir.structs) addFields(st.fields);
  for (const s of doc.sections) for (const b of s.blocks) {
    const proses = b.kind === "prose" ? [b.prose] : b.kind === "list" ? b.items.map((it) => it.body) : [];
    const labelFields = b.kind === "list" ? b.items.flatMap((it) => it.labelFields.map((n) => ({ name: n, span: it.span }))) : [];
    for (const f of [...proses.flatMap((p) => p.fields), ...labelFields]) {
      if (fieldNames.has(f.name)) continue;
      const underscored = f.name.replace(/[-\s]+/g, "_");
      if (underscored !== f.name && fieldNames.has(underscored)) {
        out.push({ severity: "warning", code: "field-name-spelling", message: `\\field{${f.name}} is spelled differently from the struct field ${underscored}`, source: f.span, hint: `write \\field{${underscored}}` });
        continue;
      }
      if (!/^[a-z_][a-z0-9_]*$/.test(f.name)) continue;
      const hint = closestName(f.name, fieldNames);
      out.push({
        severity: "warning",
        code: "undefined-field",
        message: `\\field{${f.name}} names no field of any struct in the spec`,
        source: f.span,
        ...(hint && editDistance(f.name, hint) <= 2 ? { hint: `did you mean ${hint}?` } : {}),
      });
    }
  }

  // Types and layout.
  // A struct type named after another specification that its chapter names (`struct fuse_in_header` where the
  // text says "FUSE", `struct v4l2_buffer` beside "V4L2"), of a family this spec defines no struct of, is that
  // specification's: a warning saying so, not an undefined type.
  const prefixOf = (name: string): string => name.split("_")[0]!.toLowerCase();
  const specPrefixes = new Set(ir.structs.map((x) => prefixOf(x.name)));
  const wordsOfFile = new Map<string, Set<string>>();
  for (const sec of doc.sections) {
    for (const b of sec.blocks) {
      const proses = b.kind === "prose" ? [b.prose] : b.kind === "list" ? b.items.map((it) => it.body) : [];
      for (const pr of proses) {
        const words = wordsOfFile.get(pr.span.file) ?? wordsOfFile.set(pr.span.file, new Set()).get(pr.span.file)!;
        for (const w of pr.text.match(/\b[A-Z][A-Z0-9]+\b/g) ?? []) words.add(w);
      }
    }
  }
  const externalSpec = (type: string, file: string): string | undefined => {
    const word = prefixOf(type);
    if (specPrefixes.has(word)) return undefined;
    return wordsOfFile.get(file)?.has(word.toUpperCase()) ? word.toUpperCase() : undefined;
  };
  for (const st of ir.structs) {
    const walk = (fields: Field[], prefix: string) => {
      for (const f of fields) {
        if (f.type.kind === "unknown") {
          out.push({ severity: "error", code: "undefined-type", message: `${prefix}${f.name}: type '${f.type.name}' is used but not defined`, source: f.source });
        } else if (f.type.kind === "struct" && !f.type.resolved) {
          const external = externalSpec(f.type.name, f.source.file);
          if (external) out.push({ severity: "warning", code: "external-type", message: `${prefix}${f.name}: struct ${f.type.name} is not defined in this spec; the text names ${external}, whose struct it is taken to be`, source: f.source });
          else out.push({ severity: "error", code: "undefined-type", message: `${prefix}${f.name}: struct ${f.type.name} is used but not defined in this spec`, source: f.source });
        }
        if (f.type.kind === "primitive" && f.type.endian === "none" && f.type.size > 1) {
          out.push({ severity: "warning", code: "native-endian", message: `${prefix}${f.name}: ${f.type.name} has no byte order; wire structs use le${f.type.size * 8} (or be${f.type.size * 8})`, source: f.source });
        }
        const align = f.type.kind === "primitive" ? Math.min(f.type.size, 8) : f.type.kind === "pointer" ? 8 : 1;
        if (f.offset !== null && align > 1 && f.offset % align !== 0) {
          out.push({
            severity: "warning",
            code: "misaligned-field",
            message: `${prefix}${f.name}: ${f.type.kind === "primitive" ? f.type.name : "pointer"} at offset ${f.offset} is not ${align}-byte aligned (the no-padding layout differs from C's)`,
            source: f.source,
          });
        }
        if (f.members) walk(f.members, `${prefix}${f.name}.`);
      }
    };
    walk(st.fields, `${st.name}.`);
  }

  // Constants never used: not in prose, not in another listing expression.
  const usedInListings = new Set<string>();
  for (const c of ir.constants) for (const m of c.valueText.matchAll(CONSTANT_NAME_RE)) usedInListings.add(m[0]);
  for (const st of ir.structs) for (const f of st.fields) if (f.array.kind === "expr") for (const m of f.array.expr.matchAll(CONSTANT_NAME_RE)) usedInListings.add(m[0]);
  for (const c of ir.constants) {
    if (mentioned.has(c.name) || usedInListings.has(c.name)) continue;
    // Commands and classes are used by the framing they belong to.
    if (ir.commands.some((k) => k.name === c.name || k.class === c.name)) continue;
    out.push({ severity: "warning", code: "unused-constant", message: `${c.name} is defined but never used in the text`, source: c.source });
  }

  // Feature bits: collisions within a device, with device-independent bits, and name reuse with another bit.
  const independent = new Map<number, string>();
  for (const f of ir.featureBits) {
    const prev = independent.get(f.bit);
    if (prev && prev !== f.name) out.push({ severity: "error", code: "feature-bit-collision", message: `${f.name}(${f.bit}) takes the bit of ${prev}`, source: f.source });
    else independent.set(f.bit, f.name);
  }
  const byName = new Map<string, { bit: number; span: SourceSpan }>();
  for (const f of [...ir.featureBits, ...ir.devices.flatMap((d) => d.features)]) {
    const prev = byName.get(f.name);
    if (prev && prev.bit !== f.bit) out.push({ severity: "error", code: "feature-bit-mismatch", message: `${f.name} is bit ${f.bit} here but bit ${prev.bit} at ${prev.span.file}:${prev.span.line}`, source: f.source });
    else if (!prev) byName.set(f.name, { bit: f.bit, span: f.source });
  }
  const [lo, hi] = independentRange(ir);
  for (const d of ir.devices) {
    const seen = new Map<string, string>();
    for (const f of d.features) {
      const key = `${f.group ?? ""}:${f.bit}`;
      const prev = seen.get(key);
      if (prev && prev !== f.name) out.push({ severity: "error", code: "feature-bit-collision", message: `${f.name}(${f.bit}) takes the bit of ${prev} in ${d.name}`, source: f.source });
      else seen.set(key, f.name);
      if (f.bit >= lo && f.bit <= hi && !f.group) {
        out.push({ severity: "error", code: "feature-bit-reserved", message: `${f.name}(${f.bit}) is in the device-independent range ${lo}–${hi}${independent.has(f.bit) ? ` (${independent.get(f.bit)})` : ""}`, source: f.source });
      }
    }
  }

  // Device IDs against the spec's device ID table and each other.
  const idTable = new Map((ir.deviceIds ?? []).map((e) => [e.id, e.name]));
  const ids = new Map<number, string>();
  for (const d of ir.devices) {
    if (d.deviceId === null) continue;
    const prev = ids.get(d.deviceId);
    if (prev) out.push({ severity: "error", code: "device-id-collision", message: `${d.name} uses device ID ${d.deviceId}, as does ${prev}`, source: d.source });
    ids.set(d.deviceId, d.name);
    const reserved = idTable.get(d.deviceId);
    if (reserved && !similarDeviceNames(reserved, d.name)) {
      out.push({ severity: "error", code: "device-id-collision", message: `${d.name} uses device ID ${d.deviceId}, which the device ID table gives to '${reserved}'`, source: d.source });
    }
  }

  const scoped = opts.scope ? out.filter((d) => inScope(d.source, opts.scope!)) : out;
  // One finding per (position, code, message).
  const seen = new Set<string>();
  const unique = scoped.filter((d) => {
    const k = `${d.source.file}:${d.source.line}:${d.source.column}:${d.code}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return unique.sort((a, b) => cmpSpan(a.source, b.source) || compareCodeUnits(a.code, b.code));
}

/** The known macro a misspelling meant: within edit distance 2, the nearest, then the most used in the document. */
function closestMacro(name: string, known: Set<string>, uses: Map<string, number>): string | undefined {
  let best: { m: string; d: number; n: number } | undefined;
  for (const m of known) {
    if (Math.abs(m.length - name.length) > 2) continue;
    const d = editDistance(name, m, 2);
    if (d > 2) continue;
    const n = uses.get(m) ?? 0;
    if (!best || d < best.d || (d === best.d && n > best.n)) best = { m, d, n };
  }
  return best?.m;
}

function inScope(span: SourceSpan, scope: Map<string, Set<number>>): boolean {
  return scope.get(span.file)?.has(span.line) ?? false;
}

function family(name: string): string | undefined {
  const parts = name.split("_");
  return parts.length >= 3 ? `${parts[0]}_${parts[1]}` : undefined;
}

function closestLabel(label: string, labels: Iterable<string>): string | undefined {
  let best: { l: string; d: number } | undefined;
  for (const l of labels) {
    const d = editDistance(label, l, 6);
    if (d <= 6 && (!best || d < best.d)) best = { l, d };
  }
  return best?.l;
}

function spanOfOffset(p: { segments: { text: string; span: SourceSpan }[]; span: SourceSpan }, offset: number): SourceSpan {
  let pos = 0;
  for (const seg of p.segments) {
    if (offset < pos + seg.text.length) {
      const within = seg.text.slice(0, offset - pos);
      const nl = within.lastIndexOf("\n");
      const line = seg.span.line + (within.split("\n").length - 1);
      const column = nl < 0 ? seg.span.column + within.length : within.length - nl;
      return { ...seg.span, line, column, endLine: line, endColumn: column };
    }
    pos += seg.text.length;
  }
  return p.span;
}

/** The device-independent feature bit range: from the lowest to the highest bit the spec reserves for it. */
function independentRange(ir: SpecIR): [number, number] {
  const bits = ir.featureBits.map((f) => f.bit);
  if (bits.length === 0) return [24, 37];
  return [Math.min(24, ...bits), Math.max(...bits)];
}

function similarDeviceNames(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\bdevice\b/g, "").replace(/[^a-z0-9]/g, "");
  const x = norm(a);
  const y = norm(b);
  if (x === y || x.includes(y) || y.includes(x)) return true;
  // The same words in another order or inflection: "memory ballooning (traditional)" is the
  // "Traditional Memory Balloon Device".
  const stems = (s: string) => new Set(s.toLowerCase().replace(/\bdevice\b/g, "").split(/[^a-z0-9]+/).filter(Boolean).map((w) => w.replace(/(?:ing|s)$/, "")));
  const p = stems(a);
  const q = stems(b);
  return p.size > 0 && p.size === q.size && [...p].every((w) => q.has(w));
}

/** TeX primitives that define the control sequence written right after them. */
const DEFINING_PRIMITIVES = new Set(["urldef", "def", "edef", "gdef", "xdef", "let"]);

/**
 * Macros the spec's build defines in a file it generates: the tree `\input`s a file it does not have (the spec's
 * setup-generated.tex, written by its make scripts with the revision and stage), and the macro belongs to the
 * family of the macros the tree defines (shares their leading name, e.g. `virtio`, of at least 6 letters).
 * Returns, for such a macro, the missing file's name.
 */
function buildGeneratedMacros(doc: Document, defined: Set<string>): (name: string) => string | undefined {
  const missing = doc.diagnostics.filter((d) => d.code === "missing-input").map((d) => /\\input\{([^}]*)\}/.exec(d.message)?.[1]).filter((f): f is string => !!f);
  if (missing.length === 0) return () => undefined;
  const own = [...doc.definedMacros, ...defined].filter((m) => !KNOWN_MACROS.has(m));
  return (name) => {
    for (const m of own) {
      let k = 0;
      while (k < m.length && k < name.length && m[k] === name[k]) k++;
      if (k >= 6) return missing[0];
    }
    return undefined;
  };
}

/**
 * Names the spec defines outside listings, by the forms it writes definitions in:
 * - a description item "NAME (n)" (`\item[NAME (n)]`, or `\item NAME (n) …` without brackets);
 * - a list item that is only the name (the admin command lists: `\item VIRTIO_ADMIN_CMD_DRIVER_CAP_SET`);
 * - "For the command NAME, \field{opcode} is set to 0x9": a sentence that gives the name its value.
 * A bare `\item[NAME]` with a description only describes a name defined elsewhere (the ISM draft's
 * VIRTIO_ISM_PERM_DENY_DEFAULT is described but never defined), and stays checked.
 */
export function definedInText(doc: Document): Set<string> {
  const out = new Set<string>();
  const NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
  for (const s of doc.sections) for (const b of s.blocks) {
    if (b.kind === "list") {
      for (const it of b.items) {
        const m = /^([A-Z][A-Z0-9_]+)\s*\(\s*(?:0x[0-9a-fA-F]+|\d+)\s*\)/.exec(it.label) ?? (it.label === "" ? /^\[?\s*([A-Z][A-Z0-9_]+)\s*\(\s*(?:0x[0-9a-fA-F]+|\d+)\s*\)/.exec(it.body.text.trim()) : null);
        if (m) out.add(m[1]!);
        const bare = it.body.text.trim().replace(/[.,;]$/, "");
        if (it.label === "" && NAME.test(bare)) out.add(bare);
      }
    } else if (b.kind === "prose") {
      const t = b.prose.text;
      if (!t.includes("set to")) continue;
      for (const m of t.matchAll(/\b(?:For|for) (?:the )?(?:command )?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?: command)?,\s*[a-z_][a-z0-9_]* is set to (?:0x[0-9a-fA-F]+|\d+)\b/g)) out.add(m[1]!);
    }
  }
  return out;
}

/** Table cells that are only a name (`0x0001 & VIRTIO_ADMIN_CMD_LIST_USE & …`, the device parts table). */
export function namesInTables(doc: Document): Set<string> {
  const out = new Set<string>();
  const NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
  for (const s of doc.sections) for (const b of s.blocks) {
    if (b.kind !== "table") continue;
    for (const row of b.rows) for (const cell of row) {
      const c = cell.trim();
      if (NAME.test(c)) out.add(c);
    }
  }
  return out;
}

/**
 * Normative sections against the section they sit in. `\devicenormative{…}{Title}{Path / To / Section}` names, by
 * its label, the section whose requirements it states:
 * - the label's device (the second part of a `Device Types / X Device / …` path) must be the device whose
 *   chapter holds it: otherwise the requirements are filed under another device (an error);
 * - the label's last part and the title should name one topic: when they disagree (the memory device's
 *   "UNPLUG request" labelled ".../UNPLUG ALL request"), a reader cannot tell which request the requirements
 *   are for (a warning).
 */
export function normativeLabelChecks(doc: Document): Diagnostic[] {
  const out: Diagnostic[] = [];
  const parts = (l: string) => l.replace(/^[a-z]+:/i, "").split("/").map((x) => x.trim());
  const norm = (t: string) => t.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  for (const s of doc.sections) {
    if ((s.normative !== "device" && s.normative !== "driver") || !s.label) continue;
    const lp = parts(s.label);
    const at = s.labelSpan ?? s.span;
    // The enclosing chapter-level path: the nearest ancestor with a label.
    let parent = s.parent !== undefined ? doc.sections[s.parent] : undefined;
    while (parent && !parent.label) parent = parent.parent !== undefined ? doc.sections[parent.parent] : undefined;
    if (!parent?.label) continue;
    const pp = parts(parent.label);
    if (lp.length >= 2 && pp.length >= 2 && lp[0] === pp[0] && /^device types$/i.test(lp[0]!) && norm(lp[1]!) !== norm(pp[1]!)) {
      out.push({ severity: "error", code: "normative-label-misplaced", message: `normative section '${s.title}' is labelled for '${lp[1]}' but sits in '${pp[1]}' (${parent.label})`, source: at });
      continue;
    }
    const topic = norm(s.title.replace(/^(?:device|driver)\s+requirements:\s*/i, ""));
    const last = norm(lp[lp.length - 1] ?? "");
    if (topic !== last && !last.endsWith(topic) && !topic.endsWith(last)) {
      out.push({ severity: "warning", code: "normative-label-mismatch", message: `normative section title '${s.title}' and label '${s.label}' name different topics`, source: at });
    }
  }
  return out;
}
