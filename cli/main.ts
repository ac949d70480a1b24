#!/usr/bin/env node
/**
 * The `virtiokit` command line. Each subcommand lives in `cli/commands/<name>.ts` and exports
 * `run(argv: string[]): Promise<number>` returning the process exit code, a one-line `summary` and its `usage`
 * text. Exit codes are those of {@link ExitCode} in every command: 0 done (clean), 1 findings (the spec has
 * errors, a check failed), 2 unusable (bad usage, an input or output that cannot be used), 70 a bug in
 * virtiokit.
 *
 * `virtiokit <command> --help` prints the command's usage on stdout and exits 0, whatever else is on the line;
 * `virtiokit --version` prints the package version.
 */
import { readFileSync } from "node:fs";
import { ExitCode, REPORT_BUG } from "./exit-codes.js";
import { tuneTieringForBatchJob } from "./tiering.js";

/** Commands that process a spec once and exit: they run with the batch tier-up budget (see tiering.ts). */
const BATCH_COMMANDS = new Set(["apply", "parse", "lint", "generate", "conformance", "diff"]);

interface CommandModule {
  run(argv: string[]): Promise<number>;
  summary: string;
  usage: string;
}

const commands: Record<string, () => Promise<CommandModule>> = {
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
    "usage: virtiokit <command> [options]        (virtiokit <command> --help for one command)",
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
    "",
    "  <input> is a mail or patch (with --base <tree>), a .tex file (with what it \\inputs) or a spec tree.",
    "",
    "exit status: 0 done, 1 findings (spec errors, failed checks), 2 unusable input, output or usage,",
    "             70 a bug in virtiokit (please report it)",
    "options: --help (also after a command), --version",
  ].join("\n");
}

/** The version in the package.json two levels above dist/cli/ (the repository's, or the installed virtiokit-cli's) or above cli/. */
function version(): string {
  for (const rel of ["../../package.json", "../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if ((pkg.name === "virtiokit" || pkg.name === "virtiokit-cli") && typeof pkg.version === "string") return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return "unknown";
}

/** True when `--help`/`-h` is among the options (before a `--` that ends them). */
function asksForHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") {
    process.stdout.write(`virtiokit ${version()}\n`);
    return ExitCode.ok;
  }
  if (!name || name === "-h" || name === "--help") {
    if (name) process.stdout.write(usage() + "\n");
    else process.stderr.write(usage() + "\n");
    return name ? ExitCode.ok : ExitCode.unusable;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`virtiokit: unknown command '${name}'\n${usage()}\n`);
    return ExitCode.unusable;
  }
  const mod = await load();
  // `demo` has sub-demos with their own options and help: it answers --help itself.
  if (name !== "demo" && asksForHelp(rest)) {
    process.stdout.write(mod.usage + "\n");
    return ExitCode.ok;
  }
  if (BATCH_COMMANDS.has(name)) tuneTieringForBatchJob();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug in virtiokit itself, not in the input: say so plainly, without a stack unless asked.
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`virtiokit: internal error: ${msg}\n  ${REPORT_BUG}\n`);
    if (process.env.VIRTIOKIT_DEBUG) console.error(err);
    process.exitCode = ExitCode.internal;
  },
);
