/**
 * The data the conformance templates render: requirements grouped by device, role and level, each with its
 * source position and, when checks were run, the check's outcome.
 *
 * The model is plain data built in document order, so rendering it is deterministic; templates never sort
 * or compute.
 *
 * @module
 */
import type { Requirement, RequirementLevel, SourceSpan } from "../../grammar/ir/types.js";
import { GENERAL_GROUP, levelsInOrder, ROLE_ORDER, type RequirementGroup, type RequirementOrigin } from "../conformance/scope.js";

/**
 * What is known about a requirement's check.
 *
 * - `missing`: no check is registered.
 * - `registered`: a check exists but was not run (generation time).
 * - `passing` / `failing`: the check ran and returned / threw.
 */
export type CheckStatus = "missing" | "registered" | "passing" | "failing";

/** The outcome of running one registered check. */
export interface CheckOutcome {
  /** Whether the check returned (or resolved) without throwing. */
  passed: boolean;
  /** The first line of the thrown error's message, for failing checks. */
  message?: string;
}

/** One requirement as rendered. */
export interface RequirementRow {
  /** The requirement id (`<normative section label>#<n>`). */
  id: string;
  /** Whether the device or the driver must meet it. */
  role: Requirement["role"];
  /** The strongest keyword of the sentence. */
  level: RequirementLevel;
  /** Plain text of the sentence. */
  text: string;
  /** Title of the normative section. */
  sectionTitle: string;
  /** Label of the normative section. */
  section: string;
  /** `file:line` in the post-patch tree. */
  source: string;
  /** 1-based line of the mail that carried the sentence, when it came from the mail. */
  mailLine?: number;
  /** Whether the patch added that line (false: the mail only quotes it as hunk context). */
  mailAdded?: boolean;
  /** Why the requirement is in scope. */
  origin: RequirementOrigin;
  /** Check status; `registered` or `missing` unless checks were run. */
  check: CheckStatus;
  /** Failure message of a failing check. */
  failure?: string;
  /** Why the requirement has no check yet, when the check file says so (`todo(id, why)`). */
  todo?: string;
}

/** The requirements of one role and level within a group, with counts. */
export interface LevelBlock {
  /** The role of every row. */
  role: Requirement["role"];
  /** The level of every row. */
  level: RequirementLevel;
  /** The requirements, in document order. */
  rows: RequirementRow[];
  /** Number of requirements. */
  total: number;
  /** Requirements with a registered check. */
  checked: number;
  /** Requirements whose check ran and passed. */
  passing: number;
  /** Requirements whose check ran and failed. */
  failing: number;
}

/** One device (or the device-independent group) of the report. */
export interface GroupBlock {
  /** Device slug, or `general`. */
  key: string;
  /** The device's section title, or the device-independent group's title. */
  title: string;
  /** Why the group is in scope when it is not one of the spec's devices (rendered under its heading). */
  note?: string;
  /** Number of requirements in the group. */
  total: number;
  /** Non-empty role+level blocks, by role (device first) then level (`levelsInOrder`). */
  levels: LevelBlock[];
}

/** A registered check whose id is not among the spec's in-scope requirements. */
export interface StaleCheck {
  /** The id the check was registered under. */
  id: string;
  /** `not-in-ir`: the id names no requirement at all; `out-of-scope`: it names one outside the spec's scope. */
  reason: "not-in-ir" | "out-of-scope";
}

/** Identification of the spec a report is about. */
export interface ReportSpec {
  /** Manifest name (`ism`). */
  name: string;
  /** Human title, defaults to the name. */
  title: string;
  /** The input as generated-file headers name it (`<mail> applied onto <base>`, repository-relative). */
  input: string;
  /** sha256 of the input (IR `input.sha256`). */
  sha256: string;
  /** The manifest device slugs. */
  devices: string[];
}

/** Everything a conformance template renders. */
export interface ReportModel {
  /** The spec reported on. */
  spec: ReportSpec;
  /** Whether check statuses are known (true when the registry was consulted). */
  withChecks: boolean;
  /** Whether checks were run (statuses are passing/failing rather than registered). */
  ran: boolean;
  /** Devices, then the device-independent group. */
  groups: GroupBlock[];
  /** Requirements in scope, over all groups. */
  total: number;
  /** Requirements with a registered check, over all groups. */
  checked: number;
  /** Requirements whose check ran and passed, over all groups. */
  passing: number;
  /** Requirements whose check ran and failed, over all groups. */
  failing: number;
  /** Requirements that are in scope because their section was patched (not because of their device). */
  fromPatch: number;
  /** Registered checks that test nothing in scope. */
  stale: StaleCheck[];
  /** Requirements in scope with no check and a recorded reason why not. */
  todo: number;
}

/** What is known about checks when the model is built. Omit for a report independent of checks. */
export interface CheckInfo {
  /** Ids that have a registered check. */
  registered: ReadonlySet<string>;
  /** Outcomes of checks that were run, by id; absent when checks were not run. */
  outcomes?: ReadonlyMap<string, CheckOutcome>;
  /** Stale checks (see {@link StaleCheck}). */
  stale?: StaleCheck[];
  /** Why a requirement has no check, by id (the check file's `todo(id, why)`). */
  todo?: ReadonlyMap<string, string>;
}

/** `file:line` of a span (the column adds nothing for a sentence). */
export function formatSource(span: SourceSpan): string {
  return `${span.file}:${span.line}`;
}

/** Builds the report model of `groups` for `spec`, with check statuses when `checks` is given. */
export function buildReportModel(spec: ReportSpec, groups: readonly RequirementGroup[], checks?: CheckInfo): ReportModel {
  const ran = checks?.outcomes !== undefined;
  const blocks: GroupBlock[] = groups.map((g) => {
    const rows = g.requirements.map(({ requirement: r, origin }) => toRow(r, origin, checks));
    const levels: LevelBlock[] = [];
    for (const role of ROLE_ORDER) {
      for (const level of levelsInOrder(rows.map((row) => row.level))) {
        const inBlock = rows.filter((row) => row.role === role && row.level === level);
        if (inBlock.length) levels.push(levelBlock(role, level, inBlock));
      }
    }
    const block: GroupBlock = { key: g.key, title: g.title, total: rows.length, levels };
    if (g.key === GENERAL_GROUP && g.requirements.every((x) => x.origin === "independent")) block.note = "Requirements of no particular device: virtqueues, transports, feature bits, device groups and the admin virtqueue.";
    else if (g.key === GENERAL_GROUP) block.note = "Requirements of no particular device, in normative sections the patch changed.";
    else if (!spec.devices.includes(g.key)) block.note = "Not a device of this spec: in scope because the patch changed these normative sections.";
    return block;
  });
  const all = blocks.flatMap((b) => b.levels);
  return {
    spec,
    withChecks: checks !== undefined,
    ran,
    groups: blocks,
    total: sum(all, (b) => b.total),
    checked: sum(all, (b) => b.checked),
    passing: sum(all, (b) => b.passing),
    failing: sum(all, (b) => b.failing),
    fromPatch: groups.reduce((n, g) => n + g.requirements.filter((s) => s.origin === "patch").length, 0),
    stale: checks?.stale ?? [],
    todo: blocks.reduce((n, b) => n + b.levels.reduce((k, l) => k + l.rows.filter((r) => r.todo !== undefined).length, 0), 0),
  };
}

function toRow(r: Requirement, origin: RequirementOrigin, checks: CheckInfo | undefined): RequirementRow {
  const row: RequirementRow = {
    id: r.id,
    role: r.role,
    level: r.level,
    text: r.text,
    sectionTitle: r.sectionTitle,
    section: r.section,
    source: formatSource(r.source),
    origin,
    check: "missing",
  };
  if (r.source.mail) {
    row.mailLine = r.source.mail.line;
    row.mailAdded = r.source.mail.added;
  }
  if (checks?.registered.has(r.id)) {
    const outcome = checks.outcomes?.get(r.id);
    if (!outcome) row.check = "registered";
    else if (outcome.passed) row.check = "passing";
    else {
      row.check = "failing";
      if (outcome.message !== undefined) row.failure = outcome.message;
    }
  } else {
    const why = checks?.todo?.get(r.id);
    if (why !== undefined) row.todo = why;
  }
  return row;
}

function levelBlock(role: Requirement["role"], level: RequirementLevel, rows: RequirementRow[]): LevelBlock {
  return {
    role,
    level,
    rows,
    total: rows.length,
    checked: rows.filter((r) => r.check !== "missing").length,
    passing: rows.filter((r) => r.check === "passing").length,
    failing: rows.filter((r) => r.check === "failing").length,
  };
}

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((n, t) => n + f(t), 0);
}
