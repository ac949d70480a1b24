/**
 * typedoc plugin for virtiokit's API docs (`npm run docs`, loaded by typedoc.json; reads the built tree, so
 * `npm run build` first). From the spec's IR (the front end run on each spec of spec/specs.json) it:
 *
 * - names each module by its import path (`virtiokit/ism`, `virtiokit-virtio-1.4/block`, `virtiokit/runtime/ism`),
 *   from the export maps of packages/<name>/package.json;
 * - adds each struct field's own description from the spec's prose (IR `Field.description`) to its property;
 * - draws each struct's byte layout (generator/report/struct-diagram.ts, the playground's drawing) on its page;
 * - makes every spec reference (`file.tex:line`, `(mail file:line)`) a link: for the released spec to the line
 *   on GitHub at the virtio-spec commit the tree is; for a proposal to the line of its post-patch tree and of
 *   its mail, both rendered into the site (`_spec/<spec>/…`), since those lines exist at no upstream commit;
 * - renders the TypeScript sources the "Defined in" links point at into the site (`_source/…`), with line anchors;
 * - links every page to the playground, which `npm run playground` builds beside the reference (docs/playground/,
 *   docs/api/ being typedoc's output): one docs/ site, each half linking to the other.
 *
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Comment, Converter, JSX, PageEvent, ReflectionKind, RendererEvent } from "typedoc";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = (p) => pathToFileURL(join(ROOT, "dist", p)).href;
let runFrontEnd, structDiagramSvg;
try {
  ({ runFrontEnd } = await import(dist("grammar/pipeline.js")));
  ({ structDiagramSvg } = await import(dist("generator/report/struct-diagram.js")));
} catch (e) {
  throw new Error(`the docs plugin reads the built tree: run \`npm run build\` first (${e.message})`);
}

/** The virtio-spec commit each shipped tree is (tree-commits.json). */
const TREE_COMMITS = JSON.parse(readFileSync(join(ROOT, "generator/docs/tree-commits.json"), "utf8"));
const UPSTREAM = "https://github.com/oasis-tcs/virtio-spec/blob";
/** The playground's page, relative to the reference's root (docs/api/ → docs/playground/). */
export const PLAYGROUND = "../playground/index.html";

/** The generated modules' exports by folder (their schemas name the IR struct of each interface), from dist/. */
const generatedExports = new Map();
for (const s of JSON.parse(readFileSync(join(ROOT, "spec/specs.json"), "utf8")).specs) {
  const out = relative(ROOT, join(ROOT, "spec", s.out));
  const folders = s.split
    ? readdirSync(join(ROOT, "dist", out), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${out}/${d.name}`)
    : [out];
  for (const f of folders) generatedExports.set(f, await import(dist(`${f}/index.js`)));
}

/** Import path of a documented source module (`runtime/index.ts` → `virtiokit/runtime`), from the packages' export maps. */
function importPaths() {
  const rules = [];
  for (const [name, sourceDir] of [["virtiokit", ""], ["virtiokit-virtio-1.4", "generated/virtio-1.4/"]]) {
    const m = JSON.parse(readFileSync(join(ROOT, "packages", name, "package.json"), "utf8"));
    for (const [sub, e] of Object.entries(m.exports)) {
      if (typeof e !== "object") continue;
      // virtiokit's files are dist/<source path>.js; virtiokit-virtio-1.4's are generated/virtio-1.4/<path>.js.
      const source = sourceDir + e.default.replace(/^\.\//, "").replace(/^dist\//, "").replace(/\.js$/, ".ts");
      const pattern = new RegExp(`^${source.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace("\\*", "*").replace("*", "([^/]+)")}$`);
      rules.push({ pattern, name: `${name}${sub.slice(1)}` });
    }
  }
  return {
    get(file) {
      for (const r of rules) {
        const m = r.pattern.exec(file);
        if (m) return r.name.replace("*", m[1] ?? "");
      }
      return undefined;
    },
  };
}

/** Each spec of the manifest: its generated folder, its IR, its tree's files, and how its references link. */
function loadSpecs() {
  const manifest = JSON.parse(readFileSync(join(ROOT, "spec/specs.json"), "utf8"));
  return manifest.specs.map((s) => {
    const input = relative(ROOT, join(ROOT, "spec", s.mail));
    const base = s.base ? relative(ROOT, join(ROOT, "spec", s.base)) : undefined;
    const fe = runFrontEnd(input, base ? { base } : {});
    const out = relative(ROOT, join(ROOT, "spec", s.out));
    const proposal = fe.loaded.input.kind === "mail" || fe.loaded.input.kind === "patch";
    return {
      name: s.name,
      title: s.title,
      out,
      ir: fe.ir,
      files: fe.loaded.tree.files,
      mail: proposal ? fe.loaded.input.path : undefined,
      commit: TREE_COMMITS[s.base ?? s.mail],
      base: s.base,
      structs: new Map(fe.ir.structs.map((st) => [st.name, st])),
    };
  });
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** Spec prose as markdown text: nothing in it is markup. */
const mdText = (s) => s.replace(/[\\`*_{}[\]<>#|~!]/g, "\\$&");

/** A plain-text file as a page with one anchor per line (`#L12`), for source and spec links. */
function textPage(title, text, note, depth) {
  const up = "../".repeat(depth);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const body = lines.map((l, i) => `<span class="vk-line" id="L${i + 1}"><a class="vk-ln" href="#L${i + 1}">${i + 1}</a>${esc(l)}\n</span>`).join("");
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="${up}assets/style.css"><style>
body{margin:0;padding:1rem 1.5rem}pre{font-size:13px;line-height:1.45;overflow-x:auto}.vk-line{display:block;white-space:pre}.vk-line:target{background:#fff3b0}
.vk-ln{display:inline-block;width:4.5em;margin-right:1em;text-align:right;color:#888;text-decoration:none;user-select:none}</style></head>
<body><p><a href="${up}index.html">virtiokit API</a> · <strong>${esc(title)}</strong>${note ? ` · ${note}` : ""}</p><pre>${body}</pre></body></html>`;
}

const LEGEND =
  "Rows of 8 bytes, offsets on the left; each box is a field over its bytes (hover for offset and size). " +
  "Orange: bit-fields inside their integer; blue lanes: union members over the same bytes; dashed: present only under a feature bit; " +
  "… : variable length, fields after it placed relative to its end.";

export function load(app) {
  const paths = importPaths();
  let specs;
  /** Module reflection → its spec (generated modules only). */
  const specOfModule = new Map();
  /** Reflection → IR struct, for the pages that get a diagram. */
  const structOf = new Map();
  /** Source files linked from "Defined in". */
  const sources = new Set();

  app.renderer.hooks.on("sidebar.begin", (context) =>
    JSX.createElement("p", { class: "vk-playground-link" }, JSX.createElement("a", { href: context.relativeURL(PLAYGROUND) }, "Playground: try a proposal in the browser")),
  );

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    specs ??= loadSpecs();
    const project = context.project;
    for (const mod of project.getReflectionsByKind(ReflectionKind.Module)) {
      const file = mod.sources?.[0]?.fileName?.replace(/\\/g, "/");
      if (!file) continue;
      const name = paths.get(file);
      if (name) mod.name = name;
      const spec = specs.find((s) => file.startsWith(`${s.out}/`));
      if (spec) specOfModule.set(mod, spec);
    }
    for (const [mod, spec] of specOfModule) {
      const folder = dirname(mod.sources[0].fileName);
      const exportsOf = generatedExports.get(folder);
      for (const child of mod.children ?? []) {
        if (!child.kindOf(ReflectionKind.Interface)) continue;
        const schema = exportsOf?.[`${child.name}Schema`];
        const struct = schema && structOfSchema(schema, spec.structs);
        if (!struct) continue;
        structOf.set(child, { struct, spec });
        describeFields(child, struct);
      }
    }
  });

  /** Adds the spec's description of each field to the interface property of the same name. */
  function describeFields(iface, struct) {
    for (const prop of iface.children ?? []) {
      // An inline member's interface (a union drawn as its one field) names the members: look one level down too.
      const field = struct.fields.find((f) => f.name === prop.name) ?? struct.fields.flatMap((f) => f.members ?? []).find((f) => f.name === prop.name);
      if (!field?.description) continue;
      const d = field.description;
      const ref = d.source.mail ? `${d.source.file}:${d.source.line} (mail ${d.source.mail.file}:${d.source.mail.line})` : `${d.source.file}:${d.source.line}`;
      prop.comment ??= new Comment([]);
      prop.comment.summary.push({ kind: "text", text: `\n\n**The spec:** ${mdText(d.text)} (${mdText(ref)})` });
    }
  }

  app.renderer.on(PageEvent.END, (page) => {
    if (!page.contents) return;
    const depth = page.url.split("/").length - 1;
    const up = "../".repeat(depth);
    let html = page.contents;
    // "Defined in" links: the sources rendered into the site.
    // Only the repository's own files are rendered; a member inherited from a library type names its file unlinked.
    html = html.replace(/<a href="vk-src:([^"#]+)#L(\d+)"[^>]*>([\s\S]*?)<\/a>/g, (whole, path, line, text) => {
      if (path.startsWith("../") || path.includes("node_modules/")) return text;
      sources.add(path);
      return whole.replace(/href="[^"]*"/, `href="${up}_source/${path}.html#L${line}"`);
    });
    const model = page.model;
    const spec = specOf(model);
    if (spec) html = linkSpecRefs(html, spec, up);
    const struct = structOf.get(model);
    if (struct) html = addDiagram(html, struct.struct);
    page.contents = html;
  });

  function specOf(model) {
    for (let r = model; r; r = r.parent) if (specOfModule.has(r)) return specOfModule.get(r);
    return undefined;
  }

  app.renderer.on(RendererEvent.END, (event) => {
    const out = event.outputDirectory;
    for (const path of sources) write(join(out, "_source", `${path}.html`), textPage(path, readFileSync(join(ROOT, path), "utf8"), "", path.split("/").length));
    for (const spec of specs ?? []) {
      if (!spec.mail) continue;
      // A proposal: its post-patch tree and its mail, each line anchored.
      for (const [file, tf] of spec.files) {
        const baseNote = spec.commit ? `the tree of virtio-spec <a href="${UPSTREAM}/${spec.commit}/${esc(file)}">${spec.commit.slice(0, 7)}</a> with ${esc(spec.mail)} applied` : `${esc(spec.mail)} applied`;
        write(join(out, "_spec", spec.name, `${file}.html`), textPage(file, tf.text, baseNote, 2 + file.split("/").length - 1));
      }
      write(join(out, "_spec", spec.name, `${spec.mail}.html`), textPage(spec.mail, readFileSync(join(ROOT, spec.mail), "utf8"), `the mail of ${esc(spec.title)}`, 2 + spec.mail.split("/").length - 1));
    }
  });
}


function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** `file.tex:12` and `(mail m:34)` in a page's text (outside tags, links, scripts and the diagram) as links. */
function linkSpecRefs(html, spec, up) {
  const REF = /([\w./-]+\.tex):(\d+)(\s*\(mail\s+)([\w./-]+):(\d+)\)|([\w./-]+\.tex):(\d+)/g;
  const texHref = (file, line) => (spec.mail ? `${up}_spec/${spec.name}/${file}.html#L${line}` : `${UPSTREAM}/${spec.commit}/${file}#L${line}`);
  const mailHref = (file, line) => `${up}_spec/${spec.name}/${file}.html#L${line}`;
  let skip = 0;
  return html
    .split(/(<[^>]*>)/)
    .map((part) => {
      if (part.startsWith("<")) {
        const m = /^<(\/?)(a|script|style|svg|title|textarea)\b/i.exec(part);
        if (m) skip += m[1] ? -1 : part.endsWith("/>") ? 0 : 1;
        return part;
      }
      if (skip > 0) return part;
      return part.replace(REF, (whole, tf, tl, mid, mf, ml, pf, pl) => {
        if (tf) {
          const known = spec.mail ? spec.files.has(tf) : true;
          const tex = known ? `<a class="vk-spec-ref" href="${texHref(tf, tl)}">${tf}:${tl}</a>` : `${tf}:${tl}`;
          return `${tex}${mid}<a class="vk-spec-ref" href="${mailHref(mf, ml)}">${mf}:${ml}</a>)`;
        }
        if (spec.mail && !spec.files.has(pf)) return whole;
        return `<a class="vk-spec-ref" href="${texHref(pf, pl)}">${pf}:${pl}</a>`;
      });
    })
    .join("");
}

/**
 * The IR struct a generated schema describes: the struct of that name; a part of it (`virtio_blk_req
 * (device-written)`: the struct's fields the schema lists, at the schema's offsets); or an inline member
 * (`virtio_dev_part_hdr.selector`: that field's members, a union drawn as its lanes).
 */
export function structOfSchema(schema, structs) {
  const whole = structs.get(schema.name);
  if (whole) return whole;
  const part = /^(.+) \((?:device|driver)-written\)$/.exec(schema.name);
  if (part) {
    const st = structs.get(part[1]);
    if (!st) return undefined;
    const at = new Map(schema.fields.map((f) => [f.name, f.offset]));
    const fields = st.fields.filter((f) => at.has(f.name)).map((f) => ({ ...f, offset: at.get(f.name) ?? null }));
    return fields.length ? { ...st, name: schema.name, fields, size: schema.size, minSize: schema.minSize } : undefined;
  }
  const [top, ...path] = schema.name.split(".");
  let field;
  let fields = structs.get(top)?.fields;
  for (const name of path) {
    field = fields?.find((f) => f.name === name);
    fields = field?.members;
  }
  if (!field?.members) return undefined;
  const size = field.size ?? null;
  const inner = field.aggregate === "union" ? [{ ...field, offset: 0, presence: undefined }] : field.members;
  return { name: schema.name, kind: field.aggregate === "union" ? "union" : "struct", fields: inner, size, minSize: size ?? 0, section: structs.get(top).section, source: field.source };
}

/** Puts the struct's layout diagram after the page's own comment (before the member index). */
function addDiagram(html, struct) {
  const svg = structDiagramSvg(struct);
  const size = struct.size !== null ? `${struct.size} bytes` : `at least ${struct.minSize} bytes, variable length`;
  const section = `<section class="tsd-panel vk-layout"><h4>Layout of <code>struct ${esc(struct.name)}</code> (${size})</h4><div class="vk-layout-svg" style="overflow-x:auto">${svg}</div><p class="vk-legend">${esc(LEGEND)}</p></section>`;
  const at = html.indexOf('<section class="tsd-panel-group tsd-index-group">');
  if (at >= 0) return html.slice(0, at) + section + html.slice(at);
  const alt = html.indexOf('<section class="tsd-panel-group');
  return alt >= 0 ? html.slice(0, alt) + section + html.slice(alt) : html.replace("</h1>", `</h1>${section}`);
}
