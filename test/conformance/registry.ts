/**
 * The conformance check registry: hand-written checks keyed by requirement id.
 *
 * A check is a plain function that throws (typically through `node:assert/strict`) when the implementation
 * violates one normative sentence of a spec. Checks deliberately do not use vitest's `expect`, so the same
 * function runs under the generated vitest suites (`generated/<spec>/conformance.test.ts`) and under
 * `virtiokit conformance`, which loads the compiled registry from `dist/` without vitest.
 *
 * Checks are registered per spec: the same requirement id can exist in two specs (both base trees carry,
 * e.g., the PCI common-configuration requirements, in different revisions), so one global table would let a
 * check written against one spec silently run against the other.
 *
 * @module
 */

/** A conformance check: returns (or resolves) when the requirement holds, throws when it does not. */
export type CheckFn = () => void | Promise<void>;

/**
 * Why a registration or a lookup was refused.
 *
 * - `invalid-spec-name`: a spec name that is not a lower-case slug (`ism`, `vhost-pci-net`); slugs only, because
 *   the name becomes part of a module path in {@link loadSpecChecks}.
 * - `invalid-id`: an empty or non-string requirement id.
 * - `not-a-function`: the check is not a function.
 * - `duplicate-check`: a second check for an id that already has one (two checks for one sentence would make
 *   the coverage count lie).
 * - `check-file-failed`: the spec's check file exists but throws while loading.
 */
export type CheckRegistryErrorReason =
  | "invalid-spec-name"
  | "invalid-id"
  | "not-a-function"
  | "duplicate-check"
  | "check-file-failed";

/** A refused registration or load. The registry is unchanged when this is thrown. */
export class CheckRegistryError extends Error {
  /** Machine-readable cause of the refusal. */
  readonly reason: CheckRegistryErrorReason;
  /** The spec whose registry was addressed. */
  readonly spec: string;
  /** The requirement id concerned, when there is one. */
  readonly id: string | undefined;

  /**
   * @param reason - Machine-readable cause.
   * @param spec - The spec whose registry was addressed.
   * @param message - Human-readable explanation.
   * @param id - The requirement id concerned, if any.
   * @param options - Standard error options (`cause`).
   */
  constructor(reason: CheckRegistryErrorReason, spec: string, message: string, id?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CheckRegistryError";
    this.reason = reason;
    this.spec = spec;
    this.id = id;
  }
}

/** Spec names are slugs: they name the check file `<spec>.checks.ts`, so nothing path-like may get through. */
const SPEC_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The checks registered for one spec, in registration order. */
export class CheckRegistry {
  /** The spec (manifest name) these checks belong to. */
  readonly spec: string;
  readonly #checks = new Map<string, CheckFn>();

  /**
   * @param spec - The manifest name of the spec, a lower-case slug.
   * @throws {@link CheckRegistryError} `invalid-spec-name` when `spec` is not a slug.
   */
  constructor(spec: string) {
    if (typeof spec !== "string" || !SPEC_NAME.test(spec)) {
      throw new CheckRegistryError("invalid-spec-name", String(spec), `spec name ${JSON.stringify(spec)} is not a lower-case slug`);
    }
    this.spec = spec;
  }

  /**
   * Registers the check for requirement `id`. An arrow property, so `const { check } = registryFor("ism")`
   * works in check files.
   *
   * @throws {@link CheckRegistryError} `invalid-id`, `not-a-function` or `duplicate-check`.
   */
  readonly check = (id: string, fn: CheckFn): void => {
    if (typeof id !== "string" || id.trim() === "") {
      throw new CheckRegistryError("invalid-id", this.spec, `check id must be a non-empty requirement id, got ${JSON.stringify(id)}`);
    }
    if (typeof fn !== "function") {
      throw new CheckRegistryError("not-a-function", this.spec, `check ${id} is not a function`, id);
    }
    if (this.#checks.has(id) || this.#todo.has(id)) {
      throw new CheckRegistryError("duplicate-check", this.spec, `a check (or a todo reason) for ${id} is already registered for spec ${this.spec}`, id);
    }
    this.#checks.set(id, fn);
  };

  readonly #todo = new Map<string, string>();

  /**
   * Records why requirement `id` has no check yet (what the runtime lacks, or why the sentence cannot be
   * observed from outside). The case stays a todo, named with the reason; a requirement with both a check
   * and a reason is refused. An arrow property, like {@link check}.
   *
   * @throws {@link CheckRegistryError} `invalid-id` or `duplicate-check`.
   */
  readonly todo = (id: string, why: string): void => {
    if (typeof id !== "string" || id.trim() === "" || typeof why !== "string" || why.trim() === "") {
      throw new CheckRegistryError("invalid-id", this.spec, `todo needs a requirement id and a reason, got ${JSON.stringify(id)}`);
    }
    if (this.#checks.has(id) || this.#todo.has(id)) {
      throw new CheckRegistryError("duplicate-check", this.spec, `${id} already has a check or a todo reason in spec ${this.spec}`, id);
    }
    this.#todo.set(id, why);
  };

  /** Why `id` has no check, when a reason was recorded. */
  todoReason(id: string): string | undefined {
    return this.#todo.get(id);
  }

  /** Ids with a recorded todo reason, in registration order. */
  todoIds(): string[] {
    return [...this.#todo.keys()];
  }

  /** The check registered for `id`, if any. */
  get(id: string): CheckFn | undefined {
    return this.#checks.get(id);
  }

  /** Whether a check is registered for `id`. */
  has(id: string): boolean {
    return this.#checks.has(id);
  }

  /** The ids that have a check, in registration order. */
  ids(): string[] {
    return [...this.#checks.keys()];
  }

  /** Number of registered checks. */
  get size(): number {
    return this.#checks.size;
  }

  /**
   * The registered ids that are not among `known` (the spec's in-scope requirement ids): checks left behind
   * when the spec was reworded, renumbered or moved. They test nothing the spec still says.
   */
  staleIds(known: Iterable<string>): string[] {
    const set = new Set(known);
    return [...this.ids(), ...this.todoIds()].filter((id) => !set.has(id));
  }
}

/** One registry per spec for the life of the module instance (one per vitest file, one per CLI run). */
const registries = new Map<string, CheckRegistry>();

/**
 * The registry of `spec`, created on first use. Check files call it at module level:
 * `const { check } = registryFor("ism");`.
 *
 * @throws {@link CheckRegistryError} `invalid-spec-name`.
 */
export function registryFor(spec: string): CheckRegistry {
  let registry = registries.get(spec);
  if (!registry) {
    registry = new CheckRegistry(spec);
    registries.set(spec, registry);
  }
  return registry;
}

/** Options of {@link loadSpecChecks}. */
export interface LoadChecksOptions {
  /**
   * Folder holding `<spec>.checks.js` (a `file:` URL or an absolute path). Defaults to this module's folder,
   * i.e. test/conformance (under vitest) or dist/test/conformance (the CLI). A check file elsewhere must
   * import this very module (same URL) to register into the same registries.
   */
  directory?: URL | string;
}

/**
 * Loads the spec's check file (`<spec>.checks.js` in the checks folder; under vitest the `.ts` source) and
 * returns its registry. A spec without a check file simply has no checks yet.
 *
 * @throws {@link CheckRegistryError} `invalid-spec-name`, or `check-file-failed` when the file exists but throws
 *   on import (e.g. a generated module it imports is missing): that is a broken check file, not "no checks".
 */
export async function loadSpecChecks(spec: string, options: LoadChecksOptions = {}): Promise<CheckRegistry> {
  const registry = registryFor(spec);
  const url = await checkFileUrl(spec, options.directory);
  if (url) {
    try {
      await import(url);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new CheckRegistryError("check-file-failed", spec, `loading the checks of ${spec} failed: ${msg}`, undefined, { cause: err });
    }
  }
  return registry;
}

/** The import specifier of the spec's check file, or undefined when there is none. */
async function checkFileUrl(spec: string, directory: URL | string | undefined): Promise<string | undefined> {
  // Imported lazily: this module is also loaded by check files, which should not pay for node:fs.
  const { existsSync } = await import("node:fs");
  const { fileURLToPath, pathToFileURL } = await import("node:url");
  let dir: URL;
  if (directory === undefined) dir = new URL("./", import.meta.url);
  else if (directory instanceof URL) dir = directory;
  else dir = pathToFileURL(directory.endsWith("/") ? directory : `${directory}/`);
  // `spec` is a validated slug (registryFor above), so the file name cannot leave `dir`.
  const js = new URL(`${spec}.checks.js`, dir);
  if (existsSync(fileURLToPath(js))) return js.href;
  // Under vitest this module runs from its .ts source; vite resolves a `.js` URL to the `.ts` file next to it.
  const ts = new URL(`${spec}.checks.ts`, dir);
  if (existsSync(fileURLToPath(ts))) return js.href;
  return undefined;
}
