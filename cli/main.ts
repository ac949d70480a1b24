#!/usr/bin/env node
/**
 * The `virtiokit` command line. Each subcommand lives in `cli/commands/<name>.ts` and exports
 * `run(argv: string[]): Promise<number>` returning the process exit code:
 * 0 success, 1 the spec has errors (lint) / a check failed, 2 the input cannot be read or used.
 */
import { tuneTieringForBatchJob } from "./tiering.js";

/** Commands that process a spec once and exit: they run with the batch tier-up budget (see tiering.ts). */
const BATCH_COMMANDS = new Set(["apply", "parse", "lint", "generate", "conformance", "diff"]);

const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number>; summary: string }>> = {
  apply: () => import("./commands/apply.js"),
  parse: () => import("./commands/parse.js"),
  lint: () => import("./commands/lint.js"),
  generate: () => import("./commands/generate.js"),
  conformance: () => import("./commands/conformance.js"),
  diff: () => import("./commands/diff.js"),
  demo: () => import("./commands/demo.js"),
};

function usage(): string {
  return [
    "usage: virtiokit <command> [options]",
    "",
    "commands:",
    "  apply <mail|patch> --base <tree> --out <dir>   apply a mailed patch onto a base tree",
    "  parse <input> [--base <tree>] [--json]         print the IR of a spec",
    "  lint <input> [--base <tree>] [--json]          report defects in a spec",
    "  generate <input> [--base <tree>] --out <dir> --devices <a,b>   generate TypeScript from a spec",
    "  generate --manifest <specs.json>               regenerate every spec of a manifest",
    "  diff <old> <new> [--base <tree>] [--json|--markdown] [--fail-on <classes>]   wire/api/normative/additive changes",
    "  diff --history <git dir> <rev-range> [--struct <name>|--device <name>]   a spec's wire changelog",
    "  conformance [--spec <name>] [--json|--markdown] run the conformance checks, print coverage",
    "  demo [ism|vhost-pci-net] [options]             run a device model with guests on worker threads",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "-h" || name === "--help") {
    process.stdout.write(usage() + "\n");
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`virtiokit: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  if (BATCH_COMMANDS.has(name)) tuneTieringForBatchJob();
  const mod = await load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug in virtiokit itself, not in the input: say so plainly, without a stack unless asked.
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`virtiokit: internal error: ${msg}\n`);
    if (process.env.VIRTIOKIT_DEBUG) console.error(err);
    process.exitCode = 70;
  },
);
