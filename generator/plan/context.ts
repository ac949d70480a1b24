/**
 * What every planning step shares: the IR, lookups into it, and the list of warnings (things the
 * generator could not express and degraded, e.g. an array of a struct with no fixed size carried as raw
 * bytes). Warnings go to the CLI's stderr and into the TSDoc of what they concern.
 *
 * @module
 */
import type { FeatureBit, SourceSpan, SpecIR, Struct } from "../../grammar/ir/types.js";

/** Why the generator refused a request (not a spec defect: a spec defect degrades with a warning). */
export type GeneratorErrorReason = "unknown-device" | "unknown-struct" | "bad-manifest" | "no-output";

/** A generator request that cannot be carried out (unknown device slug, unknown struct, bad manifest). */
export class GeneratorError extends Error {
  /** Machine-readable cause. */
  readonly reason: GeneratorErrorReason;

  /**
   * @param reason - which rule was broken
   * @param message - human-readable detail
   */
  constructor(reason: GeneratorErrorReason, message: string) {
    super(message);
    this.name = "GeneratorError";
    this.reason = reason;
  }
}

/** Shared state of one planning run. */
export class PlanContext {
  /** Things the generator degraded, in the order met. */
  readonly warnings: string[] = [];
  private readonly structs = new Map<string, Struct>();
  private readonly featureBits = new Map<string, FeatureBit>();

  /**
   * @param ir - the spec
   * @param devices - slugs of the devices being generated (their feature bits resolve presence conditions first)
   */
  constructor(readonly ir: SpecIR, devices: readonly string[]) {
    // First definition wins: later ones are listed by the IR as redefinitions.
    for (const s of ir.structs) if (!this.structs.has(s.name)) this.structs.set(s.name, s);
    for (const slug of devices) {
      for (const f of ir.devices.find((d) => d.slug === slug)?.features ?? []) {
        if (!this.featureBits.has(f.name)) this.featureBits.set(f.name, f);
      }
    }
    for (const f of ir.featureBits) if (!this.featureBits.has(f.name)) this.featureBits.set(f.name, f);
    for (const d of ir.devices) for (const f of d.features) if (!this.featureBits.has(f.name)) this.featureBits.set(f.name, f);
  }

  /** The struct named `name`, if the IR defines one. */
  struct(name: string): Struct | undefined {
    return this.structs.get(name);
  }

  /** The feature bit named `name` (the generated devices' bits first, then device-independent ones). */
  feature(name: string): FeatureBit | undefined {
    return this.featureBits.get(name);
  }

  /** Records a degradation. */
  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }
}

/** `file:line`, plus ` (mail file:line)` when the line came from a mail or patch. */
export function sourceRef(span: SourceSpan): string {
  return `${span.file}:${span.line}${span.mail ? ` (mail ${span.mail.file}:${span.mail.line})` : ""}`;
}

/** A section label without its `sec:` / `devicenormative:` … prefix: the label path. */
export function labelPath(label: string): string {
  const i = label.indexOf(":");
  return i >= 0 ? label.slice(i + 1).trim() : label;
}
