/**
 * The playground page: an input (a pasted or dropped mail, a seed, or a v1.4 device chapter), and views linked to
 * each other and to source positions: diagnostics, the applied patch, the IR as a tree, every struct as a layout
 * diagram, the generated TypeScript, and a hex panel that decodes pasted bytes field by field. All analysis runs in
 * a Web Worker; nothing leaves the browser.
 *
 * @module
 */
import type { AnalyseRequest, AnalyseResult, CompareWith } from "./analyse.js";
import type { Diagnostic, SpecIR, Struct } from "../grammar/ir/types.js";
import { structDiagramSvg } from "../generator/report/struct-diagram.js";
import { decodeStruct, parseHex } from "./hex-decode.js";
import type { FromWorker, ToWorker } from "./protocol.js";

/** What the page ships (written by the build into manifest.json). */
interface Manifest {
  seeds: { name: string; title: string; mail: string; base: string }[];
  trees: { name: string; title: string; chapters: string[] }[];
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
let requestId = 0;
let latest: AnalyseResult | undefined;
let manifest: Manifest;
let selectedStruct: string | undefined;

const inputText = $<HTMLTextAreaElement>("input-text");
const source = $<HTMLSelectElement>("source");
const base = $<HTMLSelectElement>("base");
const status = $<HTMLSpanElement>("status");
const compare = $<HTMLSelectElement>("compare");
const compareText = $<HTMLTextAreaElement>("compare-text");

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const msg = e.data;
  if (msg.id !== requestId) return; // an older request: its input has changed since
  if (msg.type === "error") {
    status.textContent = `analysis failed: ${msg.message}`;
    status.dataset["state"] = "error";
    return;
  }
  latest = msg.result;
  status.textContent = `analysed in ${msg.ms.toFixed(0)} ms (front end ${msg.result.timings.frontEnd.toFixed(0)}, lint ${msg.result.timings.lint.toFixed(0)}, generate ${msg.result.timings.generate.toFixed(0)} ms)`;
  status.dataset["state"] = "done";
  document.body.dataset["analysed"] = String(msg.id);
  render(msg.result);
};

function request(): void {
  clearTimeout(timer);
  const src = source.value;
  let req: AnalyseRequest;
  let trees: string[];
  if (src.startsWith("chapter:")) {
    const [, tree, file] = src.split(":");
    req = { kind: "tree", tree: tree!, file: file! };
    trees = [tree!];
  } else {
    req = { kind: "mail", text: inputText.value, base: base.value, name: "mail.txt" };
    trees = [base.value];
  }
  const cmp = compareWith();
  if (cmp?.kind === "input") trees.push(...(cmp.request.kind === "mail" ? [cmp.request.base] : [cmp.request.tree]));
  requestId++;
  status.textContent = "analysing…";
  status.dataset["state"] = "busy";
  worker.postMessage({ id: requestId, type: "analyse", request: req, trees, ...(cmp ? { compare: cmp } : {}) } satisfies ToWorker);
}

/** What the compare selector asks for: nothing, the base tree, or another input (a second pasted mail included). */
function compareWith(): CompareWith | undefined {
  const v = compare.value;
  compareText.hidden = v !== "paste2";
  if (v === "none") return undefined;
  if (v === "base") return { kind: "base" };
  if (v === "paste2") return { kind: "input", request: { kind: "mail", text: compareText.value, base: base.value, name: "other.mail.txt" }, label: "the second pasted mail" };
  const label = compare.selectedOptions[0]?.textContent ?? v;
  if (v.startsWith("tree:")) return { kind: "input", request: { kind: "tree", tree: v.slice(5) }, label };
  if (v.startsWith("chapter:")) {
    const [, tree, file] = v.split(":");
    return { kind: "input", request: { kind: "tree", tree: tree!, file: file! }, label };
  }
  const seed = manifest.seeds.find((x) => `seed:${x.name}` === v);
  if (seed) return { kind: "input", request: { kind: "mail", text: seedTexts.get(seed.name) ?? "", base: seed.base, name: `${seed.name}.mail.txt` }, label };
  return undefined;
}

const seedTexts = new Map<string, string>();

let timer: ReturnType<typeof setTimeout> | undefined;
/** After typing stops for 300 ms. Results of requests made before now are stale from this moment. */
function requestSoon(): void {
  clearTimeout(timer);
  requestId++;
  status.textContent = "waiting for typing to pause…";
  status.dataset["state"] = "busy";
  timer = setTimeout(request, 300);
}

async function choose(src: string): Promise<void> {
  const seed = manifest.seeds.find((s) => `seed:${s.name}` === src);
  const chapter = src.startsWith("chapter:");
  inputText.readOnly = chapter;
  base.disabled = chapter;
  if (seed) {
    inputText.value = await seedText(seed.name);
    base.value = seed.base;
  } else if (chapter) {
    const [, tree, file] = src.split(":");
    inputText.value = `(the ${file} chapter of ${tree}, read with what it \\inputs, as \`virtiokit lint ${file}\` reads it)`;
  }
  request();
}

async function seedText(name: string): Promise<string> {
  const seed = manifest.seeds.find((s) => s.name === name)!;
  if (!seedTexts.has(name)) seedTexts.set(name, await (await fetch(seed.mail)).text());
  return seedTexts.get(name)!;
}

// ---------------------------------------------------------------------------------------------------------------
// Views

function render(r: AnalyseResult): void {
  renderDiagnostics(r);
  $("patch-view").textContent = r.patch ?? "(not a patch: a tree was analysed)";
  renderIR(r.ir);
  renderStructs(r.ir);
  renderCode(r);
  renderHex();
  renderDiff(r);
}

function renderDiff(r: AnalyseResult): void {
  const list = $("diff-list");
  list.replaceChildren();
  const head = $("diff-head");
  if (!r.diff) {
    head.textContent = "choose something to compare with (left, under the input)";
    $("diff-count").textContent = "";
    return;
  }
  const counts = { wire: 0, api: 0, normative: 0, additive: 0 };
  for (const c of r.diff.changes) counts[c.class]++;
  $("diff-count").textContent = `${counts.wire} wire`;
  head.textContent = r.diff.fatal
    ? `cannot read ${r.diff.against}: ${r.diff.fatal.map((d) => d.message).join("; ")}`
    : `from ${r.diff.against} to this input: ${counts.wire} wire, ${counts.api} api, ${counts.normative} normative, ${counts.additive} additive`;
  for (const c of r.diff.changes) {
    const li = document.createElement("li");
    li.className = `change ${c.class}`;
    const at = c.new ? `${c.new.file}:${c.new.line}` : c.old ? `(old) ${c.old.file}:${c.old.line}` : "";
    li.textContent = `${c.class}: ${c.message}${at ? ` — ${at}` : ""}${c.warning ? ` (warning: ${c.warning})` : ""}`;
    list.append(li);
  }
}

function where(d: Diagnostic): string {
  const s = d.source;
  return `${s.file}:${s.line}:${s.column}`;
}

function renderDiagnostics(r: AnalyseResult): void {
  const list = $("diagnostics");
  list.replaceChildren();
  const ds = r.fatal ?? r.diagnostics;
  $("diag-count").textContent = r.fatal ? "fatal" : `${r.counts.errors} error(s), ${r.counts.warnings} warning(s)`;
  for (const d of ds) {
    const li = document.createElement("li");
    li.className = `diag ${d.severity}`;
    li.dataset["line"] = String(d.source.line);
    const mail = d.source.mail ? ` (mail line ${d.source.mail.line})` : "";
    li.textContent = `${where(d)}${mail}: ${d.severity}: ${d.message}${d.code ? ` [${d.code}]` : ""}`;
    li.title = "show this line in the mail and in the post-patch file";
    li.onclick = () => showDiagnostic(d);
    list.append(li);
  }
}

/** Jumps to a diagnostic: selects its line in the mail and shows the post-patch file around it. */
function showDiagnostic(d: Diagnostic): void {
  if (d.source.mail) selectLine(inputText, d.source.mail.line);
  const text = latest?.changedFiles[d.source.file];
  const view = $("source-view");
  if (!text) {
    view.textContent = `${d.source.file}:${d.source.line} (a file the patch did not change)`;
    return;
  }
  const lines = text.split("\n");
  const from = Math.max(0, d.source.line - 6);
  view.replaceChildren();
  lines.slice(from, d.source.line + 5).forEach((l, i) => {
    const n = from + i + 1;
    const div = document.createElement("div");
    div.className = n === d.source.line ? "line hit" : "line";
    div.textContent = `${String(n).padStart(5)}  ${l}`;
    view.append(div);
  });
  view.dataset["file"] = d.source.file;
  view.dataset["line"] = String(d.source.line);
}

function selectLine(area: HTMLTextAreaElement, line: number): void {
  const lines = area.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  area.scrollTop = Math.max(0, (line - 5) * 15);
}

function details(summary: string, open = false): HTMLDetailsElement {
  const d = document.createElement("details");
  d.open = open;
  const s = document.createElement("summary");
  s.textContent = summary;
  d.append(s);
  return d;
}

function item(text: string): HTMLDivElement {
  const div = document.createElement("div");
  div.className = "ir-item";
  div.textContent = text;
  return div;
}

function renderIR(ir: SpecIR | undefined): void {
  const root = $("ir-tree");
  root.replaceChildren();
  if (!ir) return;
  const devices = details(`devices (${ir.devices.length})`, true);
  for (const d of ir.devices) {
    const dd = details(`${d.name} [${d.slug}]${d.deviceId !== undefined && d.deviceId !== null ? ` id ${d.deviceId}` : ""}`);
    for (const f of d.features) dd.append(item(`feature ${f.name} (bit ${f.bit})`));
    if (d.configStruct) dd.append(item(`config struct ${d.configStruct}`));
    devices.append(dd);
  }
  const structs = details(`structs (${ir.structs.length})`);
  for (const s of ir.structs) {
    const it = item(`struct ${s.name}: ${s.size !== null ? `${s.size} bytes` : `at least ${s.minSize} bytes`}, ${s.fields.length} fields`);
    it.className += " link";
    it.onclick = () => {
      selectedStruct = s.name;
      showTab("structs");
      renderStructs(latest?.ir);
    };
    structs.append(it);
  }
  const commands = details(`commands (${ir.commands.length})`);
  for (const c of ir.commands) commands.append(item(`${c.name} = ${c.value ?? "?"}${c.request ? ` → request ${c.request}` : ""}${c.reply ? `, reply ${c.reply}` : ""}`));
  const events = details(`events (${ir.events.length})`);
  for (const e of ir.events) events.append(item(`${e.name}${e.struct ? ` → ${e.struct}` : ""}`));
  const reqs = details(`requirements (${ir.requirements.length})`);
  for (const r of ir.requirements.slice(0, 500)) reqs.append(item(`${r.role} ${r.level}: ${r.text.slice(0, 160)}`));
  root.append(devices, structs, commands, events, reqs);
}

function renderStructs(ir: SpecIR | undefined): void {
  const pick = $<HTMLSelectElement>("struct-pick");
  const hexPick = $<HTMLSelectElement>("hex-struct");
  const structs = ir?.structs ?? [];
  const names = structs.map((s) => s.name);
  for (const sel of [pick, hexPick]) {
    const keep = sel === pick ? selectedStruct : sel.value;
    sel.replaceChildren(...names.map((n) => new Option(n, n)));
    if (keep && names.includes(keep)) sel.value = keep;
  }
  const s = structs.find((x) => x.name === pick.value);
  selectedStruct = s?.name;
  drawStruct($("struct-diagram"), s);
}

function drawStruct(target: HTMLElement, s: Struct | undefined, highlight?: { offset: number; size: number; path: string }): void {
  if (!s) {
    target.replaceChildren();
    return;
  }
  target.innerHTML = structDiagramSvg(s);
  const info = document.createElement("p");
  info.className = "struct-info";
  info.textContent = `struct ${s.name}: ${s.size !== null ? `${s.size} bytes` : `at least ${s.minSize} bytes (variable)`}; defined at ${s.source.file}:${s.source.line}`;
  target.prepend(info);
  if (highlight) {
    for (const g of target.querySelectorAll<SVGGElement>("g.vk-field")) if (g.dataset["path"] === highlight.path) g.classList.add("hit");
  }
}

function renderCode(r: AnalyseResult): void {
  const pick = $<HTMLSelectElement>("code-file");
  const keep = pick.value;
  pick.replaceChildren(...r.generated.map((f) => new Option(f.path, f.path)));
  if (r.generated.some((f) => f.path === keep)) pick.value = keep;
  $("code-device").textContent = r.device ? `device ${r.device}` : "";
  $("code-view").textContent = r.generated.find((f) => f.path === pick.value)?.text ?? r.generateProblem ?? "";
}

function renderHex(): void {
  const s = latest?.ir?.structs.find((x) => x.name === $<HTMLSelectElement>("hex-struct").value);
  const table = $("hex-fields");
  table.replaceChildren();
  const bytes = parseHex($<HTMLTextAreaElement>("hex-input").value);
  const msg = $("hex-message");
  if (!s || !latest?.ir) return;
  if (typeof bytes === "string") {
    msg.textContent = bytes;
    drawStruct($("hex-diagram"), s);
    return;
  }
  const r = decodeStruct(latest.ir, s, bytes);
  msg.textContent = `${bytes.length} bytes pasted; the layout reads ${r.consumed}` + (r.problems.length ? `; ${r.problems.join("; ")}` : "");
  drawStruct($("hex-diagram"), s);
  for (const f of r.fields) {
    const tr = document.createElement("tr");
    for (const cell of [f.path, String(f.offset), String(f.size) + (f.bits ? ` (bits ${f.bits.offset}+${f.bits.width})` : ""), f.value]) {
      const td = document.createElement("td");
      td.textContent = cell;
      tr.append(td);
    }
    tr.onmouseenter = () => drawStruct($("hex-diagram"), s, f);
    table.append(tr);
  }
}

function showTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) b.classList.toggle("active", b.dataset["tab"] === name);
  for (const p of document.querySelectorAll<HTMLElement>("section.panel")) p.hidden = p.id !== `panel-${name}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring

async function start(): Promise<void> {
  manifest = (await (await fetch("manifest.json")).json()) as Manifest;
  const opts: HTMLOptionElement[] = manifest.seeds.map((s) => new Option(`seed: ${s.title}`, `seed:${s.name}`));
  opts.push(new Option("paste or drop a mail / patch", "paste"));
  for (const t of manifest.trees) for (const c of t.chapters) opts.push(new Option(`${t.title}: ${c}`, `chapter:${t.name}:${c}`));
  source.replaceChildren(...opts);
  base.replaceChildren(...manifest.trees.map((t) => new Option(t.title, t.name)));
  source.onchange = () => void choose(source.value);
  const cmpOpts = [new Option("compare with: nothing", "none"), new Option("compare with: the base tree (what the patch changes)", "base")];
  for (const sd of manifest.seeds) cmpOpts.push(new Option(`compare with seed: ${sd.title}`, `seed:${sd.name}`));
  for (const t of manifest.trees) cmpOpts.push(new Option(`compare with: ${t.title} (whole tree)`, `tree:${t.name}`));
  cmpOpts.push(new Option("compare with: a second pasted mail", "paste2"));
  compare.replaceChildren(...cmpOpts);
  compare.onchange = () => {
    const v = compare.value;
    const seed = manifest.seeds.find((x) => `seed:${x.name}` === v);
    void (seed ? seedText(seed.name) : Promise.resolve("")).then(() => request());
  };
  compareText.oninput = requestSoon;
  base.onchange = request;
  inputText.oninput = () => {
    if (!source.value.startsWith("chapter:")) {
      source.value = "paste";
      requestSoon();
    }
  };
  inputText.ondragover = (e) => e.preventDefault();
  inputText.ondrop = (e) => {
    e.preventDefault();
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    void file.text().then((t) => {
      source.value = "paste";
      inputText.readOnly = false;
      base.disabled = false;
      inputText.value = t;
      request();
    });
  };
  for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) b.onclick = () => showTab(b.dataset["tab"]!);
  $<HTMLSelectElement>("struct-pick").onchange = () => {
    selectedStruct = $<HTMLSelectElement>("struct-pick").value;
    renderStructs(latest?.ir);
  };
  $<HTMLSelectElement>("code-file").onchange = () => latest && renderCode(latest);
  $<HTMLSelectElement>("hex-struct").onchange = renderHex;
  $<HTMLTextAreaElement>("hex-input").oninput = renderHex;
  showTab("diagnostics");
  await choose(source.value);
}

void start();
