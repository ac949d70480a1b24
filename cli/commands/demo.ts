/**
 * `virtiokit demo [ism|vhost-pci-net] [options]`: runs a device model end to end with guests on worker threads.
 * `ism` (the default) is cli/commands/demo-ism.ts; `vhost-pci-net` is cli/commands/demo-vhost-pci-net.ts,
 * loaded only when asked for.
 *
 * @module
 */

/** One-line description for the command table. */
export const summary = "run a device model with guests on worker threads (ism | vhost-pci-net)";

export const usage = [
  "usage: virtiokit demo [ism|vhost-pci-net] [options]",
  "  ism (default): host + 3 guests sharing an ISM region; options: --rounds <n> --seconds <s> --stream-mib <n> --spin <ns>",
  "  vhost-pci-net: see `virtiokit demo vhost-pci-net --help`",
].join("\n");

/** Loads a demo module by a computed specifier, so that a demo another change has not landed yet is a clear error, not a build error. */
async function load<T>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(specifier.replace(/^\.\//, ""))) return undefined;
    throw error;
  }
}

/** Runs the demo named by the first argument. @returns the exit code */
export async function run(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "-h" || first === "--help") {
    process.stdout.write(usage + "\n");
    return 0;
  }
  const name = first === undefined || first.startsWith("-") ? "ism" : first;
  const args = first === undefined || first.startsWith("-") ? argv : rest;
  if (name === "ism") {
    const { runIsmDemo, usage: ismUsage } = await import("./demo-ism.js");
    if (args.includes("--help") || args.includes("-h")) {
      process.stdout.write(ismUsage + "\n");
      return 0;
    }
    return runIsmDemo(args);
  }
  if (name === "vhost-pci-net") {
    const mod = await load<{ runVhostPciNetDemo?: (argv: string[]) => Promise<number> }>("./demo-vhost-pci-net.js");
    if (mod === undefined || typeof mod.runVhostPciNetDemo !== "function") {
      process.stderr.write("virtiokit demo: the vhost-pci-net demo is not available in this build\n");
      return 2;
    }
    return mod.runVhostPciNetDemo(args);
  }
  process.stderr.write(`virtiokit demo: unknown demo '${name}'\n${usage}\n`);
  return 2;
}
