/**
 * Generation of a whole spec as a split tree: one folder per device (`<out>/<slug>/`) plus one common folder
 * (`<out>/common/`: the virtqueue, transport and admin-virtqueue structs and the device-independent constants),
 * so that importing one device loads only that device and what it uses.
 *
 * No definition is generated twice: a struct belongs to the folder of its IR `device` (none: the common
 * folder); a device struct that nests a struct of another folder imports it from there. Planning runs twice:
 * once to learn every folder's own structs and their type names, then again with the other folders' structs
 * as external ones.
 *
 * @module
 */
import type { SpecIR } from "../grammar/ir/types.js";
import { generateFolder, type GeneratedFile } from "./generate.js";
import { planSpec } from "./plan/index.js";
import type { ExternalStruct, PlannedStruct } from "./plan/structs.js";

/** The name of the common folder of a split tree. */
export const COMMON_FOLDER = "common";

/** One folder of a split tree. */
export interface TreeFolder {
  /** Folder name under the tree's output folder: a device slug, or {@link COMMON_FOLDER}. */
  dir: string;
  /** The device, for a device folder. */
  device?: string;
  files: GeneratedFile[];
  warnings: string[];
}

/** Options of {@link generateTree}. */
export interface TreeOptions {
  /** Input path for the headers, relative to the repository. */
  input?: string | undefined;
  base?: string | undefined;
  /** Parse every file with ts-morph (slow). */
  verify?: boolean;
}

/** Where a folder of a split tree (`generated/<spec>/<folder>/`) imports the codec runtime from. */
export const TREE_RUNTIME_IMPORT = "../../../runtime/codec/index.js";

function planName(p: PlannedStruct): string {
  return p.kind === "codec" ? p.plan.struct.name : p.kind === "framing" ? p.framing.struct.name : p.struct.name;
}

/**
 * Generates the folders of a split tree: the common folder first, then one per device in IR order.
 */
export async function generateTree(ir: SpecIR, options: TreeOptions = {}): Promise<TreeFolder[]> {
  const deviceOf = new Map<string, string>();
  for (const s of ir.structs) if (s.device !== undefined && !deviceOf.has(s.name)) deviceOf.set(s.name, s.device);
  const commonStructs = [...new Set(ir.structs.filter((s) => s.device === undefined).map((s) => s.name))];
  const common = { devices: [] as string[], structs: commonStructs, independent: "all" as const };
  const commonPlan = planSpec(ir, common);
  const fromCommon = new Map<string, PlannedStruct>();
  for (const s of commonPlan.structs) if (s.kind !== "uncodable") fromCommon.set(planName(s), s);
  const externalFor = (owner: string | undefined, own: ReadonlyMap<string, Map<string, PlannedStruct>>): Map<string, ExternalStruct> => {
    const ext = new Map<string, ExternalStruct>();
    for (const [name, planned] of fromCommon) ext.set(name, { planned, module: `../${COMMON_FOLDER}/structs.js` });
    for (const [slug, structs] of own) {
      if (slug === owner) continue;
      for (const [name, planned] of structs) if (deviceOf.get(name) === slug) ext.set(name, { planned, module: `../${slug}/structs.js` });
    }
    return ext;
  };
  // Pass 1: each device's own structs, with only the common ones external.
  const own = new Map<string, Map<string, PlannedStruct>>();
  for (const d of ir.devices) {
    const plan = planSpec(ir, { devices: [d.slug], independent: "none", external: externalFor(d.slug, new Map()) });
    own.set(d.slug, new Map(plan.structs.filter((s) => s.kind !== "uncodable").map((s) => [planName(s), s])));
  }
  const folders: TreeFolder[] = [];
  const at = { runtime: TREE_RUNTIME_IMPORT };
  const commonResult = await generateFolder(ir, { ...common, input: options.input, base: options.base, verify: options.verify ?? false, imports: at });
  folders.push({ dir: COMMON_FOLDER, files: commonResult.files, warnings: commonResult.warnings });
  for (const d of ir.devices) {
    const result = await generateFolder(ir, {
      devices: [d.slug], independent: "none", external: externalFor(d.slug, own), input: options.input, base: options.base, verify: options.verify ?? false, imports: at,
    });
    folders.push({ dir: d.slug, device: d.slug, files: result.files, warnings: result.warnings });
  }
  return folders;
}
