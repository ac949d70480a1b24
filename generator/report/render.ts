/**
 * Renders conformance report models with handlebars: the Markdown report (`CONFORMANCE.md`) and the text
 * coverage summary printed by `virtiokit conformance`.
 *
 * Templates live next to this module in `templates/` (the build copies them into `dist/`), so they can be
 * edited as text. Rendering uses a private handlebars environment with HTML escaping turned off: the outputs
 * are Markdown and plain text, and escaping is done explicitly by the `md` helper where a value lands in a
 * Markdown table cell.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import type { RequirementLevel } from "../../grammar/ir/types.js";
import type { ReportModel } from "./model.js";

/** Levels that do not make a requirement absolute: their covered ids are listed in the coverage text. */
const RECOMMENDATION_LEVELS: ReadonlySet<RequirementLevel> = new Set(["SHOULD", "SHOULD NOT", "RECOMMENDED", "MAY", "OPTIONAL"]);

/** Escapes text for one Markdown table cell: no line breaks, no cell separators, no accidental markup. */
export function markdownCell(text: string): string {
  return String(text)
    .replace(/\r?\n|\r/g, " ")
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

/**
 * A Markdown code span for one table cell. Backslash escapes do not work inside code spans, except `\|`,
 * which GFM tables need even there; a backtick in the text needs a longer fence instead.
 */
export function markdownCodeCell(text: string): string {
  const body = String(text).replace(/\r?\n|\r/g, " ").replace(/\|/g, "\\|");
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longestRun + 1);
  const pad = longestRun > 0 ? " " : "";
  return `${fence}${pad}${body}${pad}${fence}`;
}

let env: typeof Handlebars | undefined;

/** The handlebars environment with virtiokit's helpers, created on first use. */
function handlebars(): typeof Handlebars {
  if (env) return env;
  const hb = Handlebars.create();
  hb.registerHelper("md", (text: unknown) => markdownCell(String(text ?? "")));
  hb.registerHelper("code", (text: unknown) => markdownCodeCell(String(text ?? "")));
  hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  hb.registerHelper("ne", (a: unknown, b: unknown) => a !== b);
  hb.registerHelper("concat", (...args: unknown[]) => args.slice(0, -1).map(String).join(""));
  hb.registerHelper("pad", (text: unknown, width: unknown) => String(text).padEnd(Number(width)));
  hb.registerHelper("isRecommendation", (level: unknown) => RECOMMENDATION_LEVELS.has(level as RequirementLevel));
  env = hb;
  return hb;
}

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** Compiles (once) the template `templates/<name>`. */
function template(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name);
  if (!t) {
    const text = readFileSync(new URL(`./templates/${name}`, import.meta.url), "utf8");
    // strict: a misspelt field in a template is an error, not an empty string in the output.
    t = handlebars().compile(text, { noEscape: true, strict: true });
    compiled.set(name, t);
  }
  return t;
}

/**
 * Renders the Markdown conformance report of one spec.
 *
 * @param model - The report model; with `withChecks` false the output depends on the spec alone.
 * @param header - Lines of the generated-file header (rendered inside an HTML comment).
 */
export function renderConformanceReport(model: ReportModel, header: readonly string[]): string {
  // `-->` would end the header comment early; the header is ours, but an input path could contain it.
  const safeHeader = header.map((l) => l.replaceAll("--", "- -"));
  return template("conformance-report.md.hbs")({ ...model, header: safeHeader });
}

/** Renders the coverage summary of `virtiokit conformance` for one or more specs. */
export function renderCoverageText(reports: readonly ReportModel[]): string {
  return template("coverage.txt.hbs")({ reports });
}
