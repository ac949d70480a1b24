/**
 * Conformance outputs of one spec: `conformance.test.ts` (vitest cases per requirement) and `CONFORMANCE.md`
 * (the requirements by device, role and level).
 *
 * Both outputs depend on the IR alone, never on which checks exist: the test file decides check-or-todo at
 * run time, and the committed report leaves check status to `virtiokit conformance`. Reading the registry at
 * generation time would make `npm run generate` depend on a compiled build of the check files, which import
 * the generated code itself: a fresh checkout and a stale `dist/` would regenerate different bytes from the
 * same input.
 *
 * @module
 */
import type { SpecIR } from "../../grammar/ir/types.js";
import { buildReportModel } from "../report/model.js";
import { renderConformanceReport } from "../report/render.js";
import { describeInput, headerLines } from "./header.js";
import { assertSpecName, groupRequirements, selectRequirements } from "./scope.js";
import { renderConformanceTests } from "./test-file.js";

export { ConformanceScopeError, type ConformanceScopeErrorReason, groupRequirements, selectRequirements, type ScopeOptions, TREE_COMMON, treeConformanceName } from "./scope.js";

/** The spec a conformance suite is generated for (a manifest entry, reduced to what is needed). */
export interface ConformanceSpec {
  /** Manifest name, a lower-case slug (`ism`, `vhost-pci-net`): names the check file. */
  name: string;
  /** Device slugs whose requirements are in scope (manifest `devices`). */
  devices: string[];
  /** The input (mail, patch, tree) path, relative to the repository, for file headers. */
  input: string;
  /** The base tree the input was applied onto, relative to the repository, if any. */
  base?: string | undefined;
  /** Human title for the report (manifest `title`); defaults to `name`. */
  title?: string | undefined;
  /** Where the test file imports the suite helper from (default: a folder at `generated/<name>/`). */
  suiteImport?: string;
  /** Take every device-independent requirement too (a split tree's common folder). */
  independent?: boolean;
}

/** One generated file; `path` is relative to the spec's output folder (`generated/<name>/`). */
export interface GeneratedFile {
  /** Path relative to the spec's output folder. */
  path: string;
  /** The file's full text. */
  text: string;
}

/** Output file names, relative to `generated/<name>/`. */
export const CONFORMANCE_TEST_FILE = "conformance.test.ts";
/** See {@link CONFORMANCE_TEST_FILE}. */
export const CONFORMANCE_REPORT_FILE = "CONFORMANCE.md";

/**
 * Generates the conformance test file and report of `spec` from `ir`. Deterministic: the same IR and spec
 * give the same bytes.
 *
 * @throws `ConformanceScopeError` `invalid-spec-name` when `spec.name` is not a slug, `unknown-device` when
 *   `spec.devices` names a device the IR does not define.
 */
export function generateConformance(ir: SpecIR, spec: ConformanceSpec): GeneratedFile[] {
  assertSpecName(spec.name);
  const scope = { independent: spec.independent === true };
  const scoped = selectRequirements(ir, spec.devices, scope);
  const groups = groupRequirements(ir, spec.devices, scoped, scope);
  const from = { input: spec.input, base: spec.base, sha256: ir.input.sha256 };
  const model = buildReportModel(
    { name: spec.name, title: spec.title ?? spec.name, input: describeInput(from), sha256: ir.input.sha256, devices: [...spec.devices] },
    groups,
  );
  return [
    { path: CONFORMANCE_TEST_FILE, text: renderConformanceTests(spec.name, groups, from, spec.suiteImport) },
    { path: CONFORMANCE_REPORT_FILE, text: renderConformanceReport(model, headerLines(from)) },
  ];
}
