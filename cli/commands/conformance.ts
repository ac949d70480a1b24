/**
 * `virtiokit conformance [--spec <name>] [--json | --markdown] [--manifest <path>] [--checks <dir>]
 * [--timeout <ms>]`: runs every registered conformance check of each manifest spec and prints coverage per
 * device and role+level. `--checks` names a folder of compiled `<spec>.checks.js` files to use instead of
 * virtiokit's own (they must import virtiokit's `dist/test/conformance/registry.js`).
 *
 * A split spec (the whole v1.4 tree) has one suite per folder, named `<spec>-<device>` and `<spec>-common`
 * (`virtio-1-4-gpu`, `virtio-1-4-common`: the device-independent requirements); without `--spec` only the
 * suites that have a check file run, `--spec` names any one.
 *
 * Exit codes: 0 every check passed; 1 a check failed or is stale (names no requirement in scope); 2 the
 * manifest, a spec input or a check file cannot be used, or bad usage.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../../grammar/diagnostics/diagnostics.js";
import type { SpecIR } from "../../grammar/ir/types.js";
import { InputError, runFrontEnd } from "../../grammar/pipeline.js";
import { describeInput } from "../../generator/conformance/header.js";
import { readManifest, type ManifestSpec } from "../../generator/manifest.js";
import { GeneratorError } from "../../generator/plan/context.js";
import { runChecks } from "../../generator/conformance/run-checks.js";
import { ConformanceScopeError, groupRequirements, selectRequirements, TREE_COMMON, treeConformanceName } from "../../generator/conformance/scope.js";
import { buildReportModel, type ReportModel } from "../../generator/report/model.js";

/** One-line description for the command table. */
export const summary = "run the registered conformance checks and print coverage";

export const usage =
  "usage: virtiokit conformance [--spec <name>] [--json | --markdown] [--manifest <specs.json>] [--checks <dir>] [--timeout <ms>]";
const DEFAULT_TIMEOUT_MS = 10_000;

/** Runs the command; see the module documentation for exit codes. */
export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  if (typeof opts === "string") {
    process.stderr.write(opts + "\n");
    return 2;
  }
  let specs: ManifestSpec[];
  try {
    specs = readManifest(opts.manifest);
  } catch (err) {
    if (err instanceof GeneratorError) return fail(err.message);
    throw err;
  }
  const suites: Suite[] = [];
  for (const spec of specs) {
    if (spec.split === undefined) {
      if (opts.spec === undefined || opts.spec === spec.name) suites.push({ name: spec.name, title: spec.title ?? spec.name, spec, devices: spec.conformance, independent: false });
      continue;
    }
    const names = [TREE_COMMON, ...(await treeDevices(spec))].map((slug) => ({ slug, name: treeConformanceName(spec.name, slug) }));
    for (const { slug, name } of names) {
      if (opts.spec !== undefined ? opts.spec !== name : !(await hasCheckFile(name, opts))) continue;
      const common = slug === TREE_COMMON;
      suites.push({ name, title: `${spec.title ?? spec.name}: ${common ? "device-independent sections" : slug}`, spec, devices: common ? [] : [slug], independent: common });
    }
  }
  if (opts.spec !== undefined && !suites.length) return fail(`no spec named ${JSON.stringify(opts.spec)} in ${opts.manifest}`);
  const reports: ReportModel[] = [];
  for (const suite of suites) {
    const report = await checkSpec(suite, opts);
    if (typeof report === "number") return report;
    reports.push(report);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ specs: reports }, null, 2) + "\n");
  } else {
    // Loaded lazily: handlebars is only needed for text output.
    const { renderConformanceReport, renderCoverageText } = await import("../../generator/report/render.js");
    if (opts.markdown) {
      process.stdout.write(reports.map((r) => renderConformanceReport(r, reportHeader(r))).join("\n"));
    } else {
      process.stdout.write(renderCoverageText(reports));
    }
  }
  const broken = reports.some((r) => r.failing > 0 || r.stale.length > 0);
  return broken ? 1 : 0;
}

interface Options {
  spec?: string;
  json: boolean;
  markdown: boolean;
  manifest: string;
  checks?: string;
  timeoutMs: number;
}

function parseOptions(argv: string[]): Options | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        spec: { type: "string" },
        json: { type: "boolean", default: false },
        markdown: { type: "boolean", default: false },
        manifest: { type: "string" },
        checks: { type: "string" },
        timeout: { type: "string" },
      },
    });
  } catch (err) {
    return `${(err as Error).message}\n${usage}`;
  }
  const v = parsed.values;
  if (v.json && v.markdown) return `--json and --markdown exclude each other\n${usage}`;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (v.timeout !== undefined) {
    timeoutMs = Number(v.timeout);
    if (!/^\d+$/.test(v.timeout) || !Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2 ** 31 - 1) {
      return `--timeout must be a whole number of milliseconds between 1 and 2147483647\n${usage}`;
    }
  }
  const manifest = v.manifest ?? defaultManifest();
  if (!manifest) return `no spec manifest found next to virtiokit; pass --manifest\n${usage}`;
  const opts: Options = { json: v.json ?? false, markdown: v.markdown ?? false, manifest, timeoutMs };
  if (v.spec !== undefined) opts.spec = v.spec;
  if (v.checks !== undefined) {
    // A mistyped folder must not make a CI run green with "0 passing, 0 failing".
    if (!existsSync(v.checks)) return `virtiokit conformance: --checks '${v.checks}' does not exist\n${usage}`;
    if (!statSync(v.checks).isDirectory()) return `virtiokit conformance: --checks '${v.checks}' is not a directory\n${usage}`;
    opts.checks = resolve(v.checks);
  }
  return opts;
}

/** One conformance suite: a manifest spec, or one folder of a split spec. */
interface Suite {
  /** The suite's name, which names its check file. */
  name: string;
  title: string;
  spec: ManifestSpec;
  devices: string[];
  /** The device-independent requirements (a split spec's common folder). */
  independent: boolean;
}

/** The IR of each spec input, built once per run (a split spec's suites share it). */
const irs = new Map<string, SpecIR | number>();

function irOf(spec: ManifestSpec): SpecIR | number {
  const key = `${spec.mail}\0${spec.base ?? ""}`;
  let ir = irs.get(key);
  if (ir === undefined) {
    try {
      ir = runFrontEnd(spec.mail, spec.base !== undefined ? { base: spec.base } : {}).ir;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      process.stderr.write(formatDiagnostics(err.diagnostics));
      ir = fail(`spec ${spec.name}: its input cannot be used`);
    }
    irs.set(key, ir);
  }
  return ir;
}

/** The device slugs of a split spec, in IR order. */
async function treeDevices(spec: ManifestSpec): Promise<string[]> {
  const ir = irOf(spec);
  return typeof ir === "number" ? [] : ir.devices.map((d) => d.slug);
}

/** Whether `name` has a check file in the checks folder. */
async function hasCheckFile(name: string, opts: Options): Promise<boolean> {
  const { loadSpecChecks } = await import("../../test/conformance/registry.js");
  return (await loadSpecChecks(name, opts.checks !== undefined ? { directory: opts.checks } : {})).size > 0;
}

/** Builds the IR of one suite's spec, loads and runs its checks; an exit code when something cannot be used. */
async function checkSpec(suite: Suite, opts: Options): Promise<ReportModel | number> {
  const spec = suite.spec;
  const ir = irOf(spec);
  if (typeof ir === "number") return ir;
  let scoped;
  const scope = { independent: suite.independent };
  try {
    scoped = selectRequirements(ir, suite.devices, scope);
  } catch (err) {
    if (err instanceof ConformanceScopeError) return fail(`spec ${spec.name}: ${err.message}`);
    throw err;
  }
  // The registry is test code compiled to dist/test/conformance (the same relative path from the sources).
  const { loadSpecChecks, CheckRegistryError } = await import("../../test/conformance/registry.js");
  let registry;
  try {
    registry = await loadSpecChecks(suite.name, opts.checks !== undefined ? { directory: opts.checks } : {});
  } catch (err) {
    if (err instanceof CheckRegistryError) return fail(err.message);
    throw err;
  }
  const inScope = scoped.map((s) => s.requirement.id);
  const inIr = new Set(ir.requirements.map((r) => r.id));
  const checks = await runChecks(registry, inScope, inIr, { timeoutMs: opts.timeoutMs });
  const input = inputOf(spec, opts.manifest);
  return buildReportModel(
    { name: suite.name, title: suite.title, input, sha256: ir.input.sha256, devices: suite.devices },
    groupRequirements(ir, suite.devices, scoped, scope),
    { ...checks, todo: new Map(registry.todoIds().map((id) => [id, registry.todoReason(id)!])) },
  );
}

/** The input as generated-file headers name it: paths relative to the repository (the manifest's parent). */
function inputOf(spec: ManifestSpec, manifestPath: string): string {
  const root = dirname(dirname(resolve(manifestPath)));
  const rel = (p: string): string => relative(root, p).split(sep).join("/");
  return describeInput({ input: rel(spec.mail), base: spec.base !== undefined ? rel(spec.base) : undefined });
}

/** Header of a report printed with check results: not a generated file, and it says so. */
function reportHeader(r: ReportModel): string[] {
  return [
    `Printed by virtiokit conformance --markdown from ${r.spec.input}`,
    `input sha256: ${r.spec.sha256}`,
    "Check statuses are those of the run that printed this report.",
  ];
}

/** The manifest shipped with virtiokit: `spec/specs.json` at the package root (found by walking up). */
function defaultManifest(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "spec", "specs.json");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function fail(message: string): number {
  process.stderr.write(`virtiokit conformance: ${message}\n`);
  return 2;
}
