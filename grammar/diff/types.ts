/**
 * What `virtiokit diff` reports: the changes between two IRs, each classed by what it breaks.
 *
 * @module
 */
import type { SourceSpan } from "../ir/types.js";

/**
 * - `wire`: bytes on the wire or codes change meaning (offset, size, type, bit, value, removal, reordering).
 * - `api`: the generated TypeScript changes (a name renamed or removed) while the bytes stay.
 * - `normative`: a requirement added, removed, reworded or changed level.
 * - `additive`: compatible additions (new device, struct, feature bit, command, trailing config field …).
 */
export type ChangeClass = "wire" | "api" | "normative" | "additive";

/** Every class, in report order. */
export const CHANGE_CLASSES: readonly ChangeClass[] = ["wire", "api", "normative", "additive"];

/** What kind of IR node changed. */
export type EntityKind =
  | "device"
  | "virtqueue"
  | "struct"
  | "field"
  | "enum"
  | "enum-member"
  | "constant"
  | "feature"
  | "command"
  | "event"
  | "requirement"
  | "conformance";

/** What happened to it. */
export type ChangeKind = "added" | "removed" | "renamed" | "changed" | "moved" | "reused" | "level" | "reworded";

/** One property that differs, with both values as the IR holds them (JSON values). */
export interface PropertyChange {
  property: string;
  old: unknown;
  new: unknown;
}

/** One change between the old and the new IR. */
export interface Change {
  class: ChangeClass;
  kind: ChangeKind;
  entity: EntityKind;
  /** Stable dotted path of the node in the new IR (old IR for removals), e.g. `virtio_net_config.mtu`. */
  path: string;
  /** Device slug the node belongs to (new IR's slug), when it belongs to one. */
  device?: string;
  /** Name in the old IR / new IR (differ for a rename). */
  oldName?: string;
  newName?: string;
  /** One-line description, e.g. `field 'mtu' of struct virtio_net_config: type le16 → le32`. */
  message: string;
  /** The properties that differ (for `changed`). */
  properties?: PropertyChange[];
  /** Where the node is in the old IR; for an addition, the enclosing node there. */
  old?: SourceSpan;
  /** Where the node is in the new IR; for a removal, the enclosing node there. */
  new?: SourceSpan;
  /** Set when the change is compatible only in name: e.g. a config field added without a feature bit guarding it. */
  warning?: string;
}

/** How one side of a diff was read. */
export interface DiffSide {
  /** The input as given (path, `gitdir@rev`, IR JSON path). */
  input: string;
  /** What positions in this side are relative to, for printing `root/file:line:col` (empty: as the IR gives them). */
  root: string;
}

/** The result of comparing two IRs. */
export interface DiffResult {
  old: DiffSide;
  new: DiffSide;
  changes: Change[];
}

/** Number of changes per class, and of warnings. */
export function countChanges(changes: readonly Change[]): Record<ChangeClass, number> & { warnings: number } {
  const counts = { wire: 0, api: 0, normative: 0, additive: 0, warnings: 0 };
  for (const c of changes) {
    counts[c.class]++;
    if (c.warning) counts.warnings++;
  }
  return counts;
}
