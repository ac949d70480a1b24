/**
 * The spec manifest (`spec/specs.json`): which specs virtiokit ships and where their generated folders go.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { GeneratorError } from "./plan/context.js";

/** One entry of the manifest, with paths resolved against the manifest's folder. */
export interface ManifestSpec {
  name: string;
  title?: string;
  /** Absolute path of the mail (or patch, tex, tree). */
  mail: string;
  /** Absolute path of the base tree, if any. */
  base?: string;
  devices: string[];
  /**
   * Devices whose requirements the conformance suite covers (default: `devices`). vhost-pci-net generates the
   * base spec's network device for its peer's driver, but conformance is about the proposal's device.
   */
  conformance: string[];
  structs: string[];
  /** Absolute path of the output folder. */
  out: string;
  /**
   * `devices`: generate the whole spec as a split tree, one folder per device under `out` plus a common one
   * (generator/tree.ts); `devices` and `structs` are then not given (every device and struct is generated).
   */
  split?: "devices";
}

/** Reads and checks a manifest. Throws {@link GeneratorError} (`bad-manifest`) when it is not usable. */
export function readManifest(path: string): ManifestSpec[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new GeneratorError("bad-manifest", `${path}: ${(err as Error).message}`);
  }
  const dir = dirname(resolve(path));
  const specs = (raw as { specs?: unknown }).specs;
  if (!Array.isArray(specs)) throw new GeneratorError("bad-manifest", `${path}: no 'specs' array`);
  return specs.map((s: unknown, i: number) => {
    const e = s as Record<string, unknown>;
    const str = (k: string): string => {
      if (typeof e[k] !== "string" || !e[k]) throw new GeneratorError("bad-manifest", `${path}: specs[${i}].${k} must be a non-empty string`);
      return e[k];
    };
    const list = (k: string, required: boolean): string[] => {
      const v = e[k];
      if (v === undefined && !required) return [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === "string") || (required && !v.length)) {
        throw new GeneratorError("bad-manifest", `${path}: specs[${i}].${k} must be ${required ? "a non-empty" : "an"} array of strings`);
      }
      return v as string[];
    };
    if (e.split !== undefined && e.split !== "devices") throw new GeneratorError("bad-manifest", `${path}: specs[${i}].split must be "devices"`);
    const split = e.split === "devices";
    if (split && (e.devices !== undefined || e.structs !== undefined || e.conformance !== undefined)) {
      throw new GeneratorError("bad-manifest", `${path}: specs[${i}]: a split spec generates every device; give no devices, structs or conformance`);
    }
    const spec: ManifestSpec = { name: str("name"), mail: resolve(dir, str("mail")), devices: split ? [] : list("devices", true), conformance: [], structs: list("structs", false), out: resolve(dir, str("out")) };
    if (split) spec.split = "devices";
    spec.conformance = e.conformance === undefined ? spec.devices : list("conformance", true);
    if (typeof e.title === "string") spec.title = e.title;
    if (e.base !== undefined) spec.base = resolve(dir, str("base"));
    return spec;
  });
}
