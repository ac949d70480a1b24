/**
 * `virtiokit diff <old> <new>`: what a spec revision or a proposal changes on the wire, in the generated API and
 * in the normative text. Each side is a tree, a `.tex` file, a mail or patch (`--base`), an IR JSON file, or
 * `<git dir>@<rev>`. With one input, a mail or patch, the old side is its base tree.
 *
 * `virtiokit diff --history <git dir> <rev-range> [--struct NAME | --device NAME]`: the wire changelog of a
 * range of commits, each diffed against its parent.
 *
 * Exit 0: no change of a `--fail-on` class (default `wire`); 1: at least one; 2: an input cannot be read.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { diffIR } from "../../grammar/diff/index.js";
import { formatJson, formatMarkdown, formatText, summaryLine } from "../../grammar/diff/format.js";
import { DiffInputError, loadSide } from "../../grammar/diff/load.js";
import { CHANGE_CLASSES, type Change, type ChangeClass, type DiffResult } from "../../grammar/diff/types.js";

export const summary = "compare two specs: wire, api, normative and additive changes";

export const usage = [
  "usage: virtiokit diff <old> <new> [--base <tree>] [--old-base <tree>] [--new-base <tree>] [--json|--markdown] [--fail-on <classes>] [--only <classes>]",
  "       virtiokit diff <mail|patch> --base <tree> ...            (old side: the base tree)",
  "       virtiokit diff --history <git dir> <rev-range> [--struct <name> | --device <name>] [--only <classes>] [--json]",
  "  each side: a tree, a .tex file, a mail or patch (with a base), an IR JSON file, or <git dir>@<rev>",
  `  classes: ${CHANGE_CLASSES.join(", ")}, warning, none (--fail-on default: wire)`,
].join("\n");

/** Parses `wire,api` into classes; `warning` stands for changes that carry a warning. Returns an error string on bad input. */
export function parseClasses(text: string, option: string): Set<ChangeClass | "warning"> | string {
  const out = new Set<ChangeClass | "warning">();
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (part === "none") continue;
    if (part === "all") {
      for (const c of CHANGE_CLASSES) out.add(c);
      continue;
    }
    if (part !== "warning" && !(CHANGE_CLASSES as readonly string[]).includes(part)) return `--${option}: unknown class '${part}' (expected ${CHANGE_CLASSES.join(", ")}, warning, all or none)`;
    out.add(part as ChangeClass | "warning");
  }
  return out;
}

/** Whether a change is in one of the classes (a warning counts under `warning` as well as its class). */
export function inClasses(c: Change, classes: ReadonlySet<ChangeClass | "warning">): boolean {
  return classes.has(c.class) || (c.warning !== undefined && classes.has("warning"));
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        base: { type: "string" },
        "old-base": { type: "string" },
        "new-base": { type: "string" },
        json: { type: "boolean", default: false },
        markdown: { type: "boolean", default: false },
        "fail-on": { type: "string", default: "wire" },
        only: { type: "string" },
        history: { type: "string" },
        struct: { type: "string" },
        device: { type: "string" },
        timing: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const failOn = parseClasses(String(values["fail-on"]), "fail-on");
  const only = typeof values.only === "string" ? parseClasses(values.only, "only") : undefined;
  for (const c of [failOn, only]) {
    if (typeof c === "string") {
      process.stderr.write(`${c}\n${usage}\n`);
      return 2;
    }
  }
  if (values.json && values.markdown) {
    process.stderr.write(`--json and --markdown cannot be combined\n${usage}\n`);
    return 2;
  }
  if (typeof values.history === "string") {
    const { runHistory } = await import("./diff-history.js");
    return runHistory(values.history, positionals, {
      struct: values.struct as string | undefined, device: values.device as string | undefined,
      only: (only as Set<ChangeClass | "warning"> | undefined) ?? new Set(["wire"]), failOn: failOn as Set<ChangeClass | "warning">,
      json: values.json === true, timing: values.timing === true, usage,
    });
  }
  if (values.struct !== undefined || values.device !== undefined) {
    process.stderr.write(`--struct and --device go with --history\n${usage}\n`);
    return 2;
  }
  let oldInput: string;
  let newInput: string;
  let oldBase = (values["old-base"] ?? values.base) as string | undefined;
  const newBase = (values["new-base"] ?? values.base) as string | undefined;
  if (positionals.length === 2) [oldInput, newInput] = positionals as [string, string];
  else if (positionals.length === 1 && newBase !== undefined) {
    // One proposal: compare it with the tree it applies to.
    [oldInput, newInput] = [newBase, positionals[0]!];
    oldBase = undefined;
  } else {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const t0 = performance.now();
  let result: DiffResult;
  try {
    const o = loadSide(oldInput, oldBase);
    const n = loadSide(newInput, newBase);
    const t1 = performance.now();
    const changes = diffIR(o.ir, n.ir);
    if (values.timing) process.stderr.write(`timing: read both sides ${(t1 - t0).toFixed(0)} ms, diff ${(performance.now() - t1).toFixed(0)} ms\n`);
    result = { old: o.side, new: n.side, changes };
  } catch (err) {
    if (err instanceof DiffInputError) {
      process.stderr.write(`virtiokit diff: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const shown = only ? { ...result, changes: result.changes.filter((c) => inClasses(c, only as Set<ChangeClass | "warning">)) } : result;
  if (values.json) process.stdout.write(formatJson(shown));
  else if (values.markdown) process.stdout.write(formatMarkdown(shown));
  else {
    process.stdout.write(formatText(shown));
    process.stderr.write(`${summaryLine(result.changes)}\n`);
  }
  return result.changes.some((c) => inClasses(c, failOn as Set<ChangeClass | "warning">)) ? 1 : 0;
}
