/**
 * Writes `generated/<spec>/conformance.test.ts`: one vitest case per in-scope requirement.
 *
 * The file is a function of the IR alone. Whether a case runs a check or is a todo is decided when the tests
 * run (by `conformanceSuite` in test/conformance/suite.ts, from the check registry), not when the file is
 * generated: so adding a check never requires regenerating, and a case can never pass without a check.
 *
 * @module
 */
import { formatSource } from "../report/model.js";
import type { RequirementGroup } from "./scope.js";
import { levelsInOrder, ROLE_ORDER } from "./scope.js";
import { tsModuleHeader, type GeneratedFrom } from "./header.js";

/** Where the generated file imports the suite helper from, relative to `generated/<spec>/`. */
export const SUITE_IMPORT = "../../test/conformance/suite.js";

/** A string literal for generated TypeScript: JSON's escaping is valid TS and deterministic. */
function lit(s: string): string {
  return JSON.stringify(s);
}

/** Text safe inside a `//` comment. */
function commentText(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]/g, " ");
}

/**
 * Renders the conformance test file of a spec.
 *
 * @param specName - Manifest name; selects the check file `test/conformance/<specName>.checks.ts`.
 * @param groups - The in-scope requirements, grouped (see `groupRequirements`).
 * @param from - Input identification for the header.
 * @param suiteImport - Where the file imports the suite helper from (default: a folder at `generated/<spec>/`).
 */
export function renderConformanceTests(specName: string, groups: readonly RequirementGroup[], from: GeneratedFrom, suiteImport: string = SUITE_IMPORT): string {
  const out: string[] = [];
  out.push(
    tsModuleHeader(
      [
        `Conformance tests of \`${specName}\`: one case per normative statement in scope. A case runs the check`,
        `registered for its requirement id in test/conformance/${specName}.checks.ts, and is a todo when none is.`,
        "A last case fails when a registered check names no requirement here (a stale check).",
      ],
      from,
    ),
  );
  out.push('import { describe } from "vitest";');
  out.push(`import { conformanceSuite } from ${lit(suiteImport)};`);
  out.push("");
  out.push(`const suite = await conformanceSuite(${lit(specName)});`);
  for (const g of groups) {
    out.push("");
    out.push(`describe(${lit(`${g.title} (${g.key})`)}, () => {`);
    let first = true;
    for (const role of ROLE_ORDER) {
      for (const level of levelsInOrder(g.requirements.map((s) => s.requirement.level))) {
        const reqs = g.requirements.filter((s) => s.requirement.role === role && s.requirement.level === level);
        if (!reqs.length) continue;
        if (!first) out.push("");
        first = false;
        out.push(`  describe(${lit(`${role} ${level}`)}, () => {`);
        for (const { requirement: r, origin } of reqs) {
          const mail = r.source.mail ? `, mail line ${r.source.mail.line} (${r.source.mail.added ? "added" : "context"})` : "";
          const where = `${formatSource(r.source)}${mail}${origin === "patch" ? ", section changed by the patch" : ""}`;
          out.push(`    // ${commentText(where)}`);
          out.push(`    suite.requirement(${lit(r.id)}, ${lit(r.text)});`);
        }
        out.push("  });");
      }
    }
    out.push("});");
  }
  out.push("");
  out.push("suite.noStaleChecks();");
  out.push("");
  return out.join("\n");
}
