/**
 * V8 tier-up tuning for the batch commands (apply, parse, lint, generate, conformance).
 *
 * Why: these commands run the front end once over ~1.2 MB of LaTeX (both seeds' post-patch trees) and the
 * generator once, then exit. With V8's default budget (`--interrupt-budget=67584` in Node 20), TurboFan
 * starts optimizing the peggy parsers' mutually recursive rule functions after a few hundred calls; with
 * inlining, single compile jobs take 100–200 ms (`--trace-opt`: `peg$parseDefinitionCommand` compiled three
 * times at 150–200 ms each) and one run spends ~4 s of compile-thread time, which on a 2-core machine takes
 * CPU from the main thread before the optimized code pays off. A budget 18x larger keeps this short job in
 * baseline code, where it finishes sooner: both seeds mail → IR cold, measured by
 * test/bench/frontend-cold.mjs in one run, drop from 1.1–1.7 s to 0.6–0.7 s, and process CPU time by half.
 * Long-running work (the demo, the device models, tests) keeps V8's defaults: this is never called there.
 *
 * Set `VIRTIOKIT_V8_DEFAULT_TIERING=1` to keep V8's defaults (to measure the difference).
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";

/** The interrupt budget the batch commands use (bytecode executed per function before it is considered hot). */
export const BATCH_INTERRUPT_BUDGET = 1_200_000;

/**
 * Raises V8's tier-up budget for the rest of the process, unless `VIRTIOKIT_V8_DEFAULT_TIERING` is set.
 * Only a heuristic's threshold changes (V8 reads it when it sets up a function's feedback), never behaviour.
 *
 * @returns whether the budget was changed
 */
export function tuneTieringForBatchJob(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.VIRTIOKIT_V8_DEFAULT_TIERING) return false;
  setFlagsFromString(`--interrupt-budget=${BATCH_INTERRUPT_BUDGET}`);
  return true;
}
