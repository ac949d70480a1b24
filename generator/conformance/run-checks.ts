/**
 * Runs a spec's registered conformance checks outside vitest (for `virtiokit conformance`) and classifies
 * registered ids that name no in-scope requirement as stale.
 *
 * @module
 */
import type { CheckOutcome, StaleCheck } from "../report/model.js";

/** A check: returns or resolves when the requirement holds, throws or rejects when it does not. */
export type RunnableCheck = () => void | Promise<void>;

/** What the runner needs of a check registry (structural, so this module does not import test code). */
export interface CheckSource {
  /** Registered ids in registration order. */
  ids(): string[];
  /** The check of `id`, if registered. */
  get(id: string): RunnableCheck | undefined;
}

/** Result of running a spec's checks. */
export interface CheckRun {
  /** Ids with a registered check. */
  registered: Set<string>;
  /** Outcome of every in-scope check that ran, by id. */
  outcomes: Map<string, CheckOutcome>;
  /** Registered checks naming no in-scope requirement; they are not run. */
  stale: StaleCheck[];
}

/** Options of {@link runChecks}. */
export interface RunChecksOptions {
  /**
   * A check still pending after this many milliseconds fails with a timeout message. It bounds asynchronous
   * hangs (a promise that never settles); a synchronous infinite loop cannot be interrupted in-thread.
   */
  timeoutMs: number;
}

/** Longest failure message kept (a deep-equal diff can be pages long). */
const MAX_MESSAGE = 400;

/**
 * Runs, one after another in `inScope` order, every check registered for an in-scope requirement.
 *
 * @param source - The spec's registry.
 * @param inScope - The spec's in-scope requirement ids, in document order.
 * @param inIr - Every requirement id of the IR (tells `not-in-ir` from `out-of-scope` stale checks).
 */
export async function runChecks(
  source: CheckSource,
  inScope: readonly string[],
  inIr: ReadonlySet<string>,
  options: RunChecksOptions,
): Promise<CheckRun> {
  const registered = new Set(source.ids());
  const scope = new Set(inScope);
  const stale: StaleCheck[] = [...registered]
    .filter((id) => !scope.has(id))
    .map((id) => ({ id, reason: inIr.has(id) ? "out-of-scope" : "not-in-ir" }));
  const outcomes = new Map<string, CheckOutcome>();
  for (const id of inScope) {
    const fn = source.get(id);
    if (fn) outcomes.set(id, await runOne(fn, options.timeoutMs));
  }
  return { registered, outcomes, stale };
}

/** Runs one check, turning a throw, a rejection or a timeout into a failing outcome. */
export async function runOne(fn: RunnableCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`check did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // Promise.resolve().then(fn): a synchronous throw becomes a rejection like an asynchronous one.
    await Promise.race([Promise.resolve().then(fn), timeout]);
    return { passed: true };
  } catch (err) {
    return { passed: false, message: condense(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** One line, bounded, from whatever was thrown. */
function condense(err: unknown): string {
  let raw: string;
  try {
    raw = err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${String(err)}`;
  } catch {
    // A thrown value whose toString throws (or a revoked proxy) still makes a failing outcome, not a crash.
    raw = "thrown: an unprintable value";
  }
  const line = raw.replace(/\s+/g, " ").trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}
