/**
 * `virtiokit generate <input> [--base <tree>] --out <dir> [--devices a,b] [--structs x,y]` and
 * `virtiokit generate --manifest spec/specs.json`: generate TypeScript from a spec.
 *
 * Paths in the generated headers are relative to the current directory (run it from the repository root,
 * as `npm run generate` does), so output does not depend on where the checkout lives.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../../grammar/diagnostics/diagnostics.js";
import { InputError, runFrontEnd } from "../../grammar/pipeline.js";
import type { GenerateOptions } from "../../generator/generate.js";
import { generatedOutput, outDirProblem } from "../out-dir.js";
import { IR_VERSION, type SpecIR } from "../../grammar/ir/types.js";

/** One-line description for the CLI's usage. */
export const summary = "generate TypeScript (codecs, constants, control, device skeletons) from a spec";

export const usage = [
  "usage: virtiokit generate <mail|patch|file.tex|tree> [--base <tree>] --out <dir> --devices <slug,...> [--structs <name,...>]",
  "       virtiokit generate --manifest <specs.json> [--only <name>]",
].join("\n");

/** The IR snapshot a previous run left in the folder, or undefined when there is none or it cannot be read. */
function readSnapshot(path: string): SpecIR | undefined {
  try {
    const ir = JSON.parse(readFileSync(path, "utf8")) as SpecIR;
    return typeof ir.irVersion === "string" && ir.irVersion.split(".")[0] === IR_VERSION.split(".")[0] ? ir : undefined;
  } catch {
    return undefined;
  }
}

function rel(p: string): string {
  return relative(process.cwd(), resolve(p)).split(sep).join("/");
}

interface Job {
  name: string;
  input: string;
  base?: string | undefined;
  out: string;
  select: GenerateOptions;
  /** Manifest specs also get their conformance suite and report (generator/conformance). */
  conformance?: { name: string; devices: string[]; title?: string | undefined };
  /** A split tree: one folder per device plus a common one (generator/tree.ts). */
  split?: boolean;
}

/** Runs the command; returns the exit code (0 ok, 2 unusable input or usage). */
export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        base: { type: "string" },
        out: { type: "string" },
        devices: { type: "string" },
        structs: { type: "string" },
        manifest: { type: "string" },
        only: { type: "string" },
        quiet: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`virtiokit generate: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const { GENERATED_FILE_NAMES, GeneratorError, generateFolder, readManifest, writeFolder } = await import("../../generator/index.js");
  const jobs: Job[] = [];
  const list = (v: unknown): string[] => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);
  try {
    if (typeof values.manifest === "string") {
      if (positionals.length) {
        process.stderr.write(`${usage}\n`);
        return 2;
      }
      for (const s of readManifest(values.manifest)) {
        if (typeof values.only === "string" && s.name !== values.only) continue;
        jobs.push({
          name: s.name, input: rel(s.mail), base: s.base ? rel(s.base) : undefined, out: s.out, select: { devices: s.devices, structs: s.structs },
          conformance: { name: s.name, devices: s.conformance, title: s.title },
          split: s.split === "devices",
        });
      }
    } else {
      const [input, ...rest] = positionals;
      const devices = list(values.devices);
      if (!input || rest.length || typeof values.out !== "string" || !devices.length) {
        process.stderr.write(`${usage}\n`);
        return 2;
      }
      jobs.push({ name: input, input: rel(input), base: typeof values.base === "string" ? rel(values.base) : undefined, out: values.out, select: { devices, structs: list(values.structs) } });
    }
  } catch (err) {
    if (err instanceof GeneratorError) {
      process.stderr.write(`virtiokit generate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const job of jobs) {
    const t0 = performance.now();
    let ir;
    try {
      ir = runFrontEnd(job.input, { base: job.base }).ir;
    } catch (err) {
      if (err instanceof InputError) {
        process.stderr.write(formatDiagnostics(err.diagnostics));
        return 2;
      }
      throw err;
    }
    const t1 = performance.now();
    if (job.split) {
      const code = await runTree(job, ir, t0, t1, values.quiet === true);
      if (code !== 0) return code;
      continue;
    }
    let result;
    try {
      result = await generateFolder(ir, { ...job.select, input: job.input, base: job.base });
    } catch (err) {
      if (err instanceof GeneratorError) {
        process.stderr.write(`virtiokit generate: ${job.name}: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const files = [...result.files];
    const owned = [...GENERATED_FILE_NAMES];
    if (job.conformance) {
      const conformance = await import("../../generator/conformance/index.js");
      try {
        files.push(...conformance.generateConformance(ir, { ...job.conformance, input: job.input, base: job.base }));
      } catch (err) {
        if (err instanceof conformance.ConformanceScopeError) {
          process.stderr.write(`virtiokit generate: ${job.name}: ${err.message}\n`);
          return 2;
        }
        throw err;
      }
      owned.push(conformance.CONFORMANCE_TEST_FILE, conformance.CONFORMANCE_REPORT_FILE);
    }
    // What users of the codecs must look at: wire/api changes against the IR this folder was last generated from.
    const { IR_SNAPSHOT_FILE, changeSummary, snapshotIR } = await import("../../grammar/diff/snapshot.js");
    const snapshot = snapshotIR(ir, job.select);
    const previous = readSnapshot(join(job.out, IR_SNAPSHOT_FILE));
    files.push({ path: IR_SNAPSHOT_FILE, text: JSON.stringify(snapshot, null, 1) + "\n" });
    const t2 = performance.now();
    const outProblem = outDirProblem(job.out, generatedOutput);
    if (outProblem) {
      process.stderr.write(`virtiokit generate: error: ${outProblem}\n`);
      return 2;
    }
    let report;
    try {
      report = writeFolder(job.out, files, owned);
    } catch (err) {
      process.stderr.write(`virtiokit generate: error: cannot write '${job.out}': ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    for (const w of result.warnings) process.stderr.write(`virtiokit generate: ${job.name}: warning: ${w}\n`);
    if (!values.quiet) {
      process.stdout.write(
        `${job.name} → ${rel(job.out)}: ${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed ` +
          `(front end ${(t1 - t0).toFixed(0)} ms, generate ${(t2 - t1).toFixed(0)} ms)\n`,
      );
      process.stdout.write(
        `  since last generate: ${previous ? changeSummary(previous, snapshot, job.select.devices) : `no ${IR_SNAPSHOT_FILE} before; written`}\n`,
      );
    }
  }
  return 0;
}


async function runTree(job: Job, ir: Parameters<typeof import("../../generator/tree.js").generateTree>[0], t0: number, t1: number, quiet: boolean): Promise<number> {
  const { GENERATED_FILE_NAMES, generateTree, writeFolder } = await import("../../generator/index.js");
  const conformance = await import("../../generator/conformance/index.js");
  const { TREE_COMMON, treeConformanceName } = conformance;
  const folders = await generateTree(ir, { input: job.input, base: job.base });
  const owned = [...GENERATED_FILE_NAMES, conformance.CONFORMANCE_TEST_FILE, conformance.CONFORMANCE_REPORT_FILE];
  const files: { dir: string; files: { path: string; text: string }[] }[] = [];
  for (const f of folders) {
    const out = [...f.files];
    {
      // Each device folder gets its device's suite; the common folder the device-independent requirements.
      const title = f.device !== undefined ? ir.devices.find((d) => d.slug === f.device)?.name : "device-independent sections";
      try {
        out.push(
          ...conformance.generateConformance(ir, {
            name: treeConformanceName(job.name, f.device ?? TREE_COMMON), devices: f.device !== undefined ? [f.device] : [], title: title ? `${job.name}: ${title}` : undefined,
            input: job.input, base: job.base, suiteImport: "../../../test/conformance/suite.js", independent: f.device === undefined,
          }),
        );
      } catch (err) {
        if (err instanceof conformance.ConformanceScopeError) {
          process.stderr.write(`virtiokit generate: ${job.name}/${f.device}: ${err.message}\n`);
          return 2;
        }
        throw err;
      }
    }
    files.push({ dir: f.dir, files: out });
  }
  const t2 = performance.now();
  let written = 0;
  let unchanged = 0;
  let removed = 0;
  for (const f of files) {
    const report = writeFolder(resolve(job.out, f.dir), f.files, owned);
    written += report.written.length;
    unchanged += report.unchanged.length;
    removed += report.removed.length;
  }
  // One snapshot for the whole tree (every device and the common part), at its root: the next generate says
  // what changed per device, as for a single folder.
  const { IR_SNAPSHOT_FILE, changeSummary, snapshotIR } = await import("../../grammar/diff/snapshot.js");
  const slugs = ir.devices.map((d) => d.slug);
  const snapshot = snapshotIR(ir, { devices: slugs, structs: ir.structs.map((s) => s.name), deviceIndependent: true });
  const previous = readSnapshot(join(job.out, IR_SNAPSHOT_FILE));
  const snap = writeFolder(job.out, [{ path: IR_SNAPSHOT_FILE, text: JSON.stringify(snapshot, null, 1) + "\n" }], [IR_SNAPSHOT_FILE]);
  written += snap.written.length;
  unchanged += snap.unchanged.length;
  const warnings = new Set(folders.flatMap((f) => f.warnings.map((w) => `${f.dir}: ${w}`)));
  for (const w of warnings) process.stderr.write(`virtiokit generate: ${job.name}: warning: ${w}\n`);
  if (!quiet) {
    process.stdout.write(
      `${job.name} → ${rel(job.out)}/{${folders.map((f) => f.dir).join(",")}}: ${written} written, ${unchanged} unchanged, ${removed} removed ` +
        `(front end ${(t1 - t0).toFixed(0)} ms, generate ${(t2 - t1).toFixed(0)} ms)\n`,
    );
    process.stdout.write(`  since last generate: ${previous ? changeSummary(previous, snapshot, slugs) : `no ${IR_SNAPSHOT_FILE} before; written`}\n`);
  }
  return 0;
}
