/**
 * The vitest side of the generated conformance tests (`generated/<spec>/conformance.test.ts`).
 *
 * The generated file lists the spec's requirements; this module turns each into a vitest case that runs the
 * registered check, or into `it.todo` when there is none. Deciding at run time (not at generation time) keeps
 * the generated file a function of the spec alone, and makes "a passing case without a check" impossible.
 *
 * @module
 */
import assert from "node:assert/strict";
import { it } from "vitest";
import { loadSpecChecks, type CheckRegistry } from "./registry.js";

/** The object a generated conformance test file drives. */
export interface ConformanceSuite {
  /** The spec's check registry, loaded from its check file. */
  readonly registry: CheckRegistry;
  /**
   * Declares the case of one requirement (call inside a `describe`): runs its check, or is a todo.
   *
   * @param id - Requirement id (`<normative section label>#<n>`).
   * @param text - The requirement's sentence, shown in the case name.
   */
  requirement(id: string, text: string): void;
  /** Declares a case failing when a registered check names no requirement declared so far. Call last. */
  noStaleChecks(): void;
}

/** The name of a requirement's case: its id, then its sentence. */
export function caseName(id: string, text: string): string {
  return `${id}: ${text}`;
}

/**
 * Loads `spec`'s checks and returns the suite the generated file declares its cases with.
 *
 * @throws `CheckRegistryError` (from {@link loadSpecChecks}) when the spec's check file fails to load.
 */
export async function conformanceSuite(spec: string): Promise<ConformanceSuite> {
  const registry = await loadSpecChecks(spec);
  const declared = new Set<string>();
  return {
    registry,
    requirement(id, text) {
      declared.add(id);
      const fn = registry.get(id);
      const why = registry.todoReason(id);
      if (fn) it(caseName(id, text), async () => fn());
      else it.todo(why ? `${caseName(id, text)} [todo: ${why}]` : caseName(id, text));
    },
    noStaleChecks() {
      // `declared` is read when the case runs, after every describe block has been collected.
      it(`${spec}: every registered check names a requirement in scope`, () => {
        assert.deepEqual(registry.staleIds(declared), [], "stale checks: reworded, renumbered or moved requirements");
      });
    },
  };
}
