/**
 * The released trees of virtio 1.0 to 1.3 (tags of the virtio-spec history in spec/history/virtio-spec.bundle)
 * go through the front end without a crash and without a silent drop: every struct or union an `lstlisting`
 * defines is in the IR or has a diagnostic inside its listing, and every struct in the IR with no fixed size
 * owes it to a variable-length member or to a type that lint reports.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lint } from "../../grammar/lint/lint.js";
import { runFrontEnd } from "../../grammar/pipeline.js";
import type { Diagnostic, Field, SpecIR } from "../../grammar/ir/types.js";
import { specGit, specHistoryGitDir, specHistoryMissing } from "../helpers/spec-history.js";

/**
 * Released trees: a tag where the history has one; 1.3 has no tag (its tags stop at v1.3-wd02), so its tree is
 * the last commit that set REVISION to `virtio-v1.3-csd01`, the revision released as 1.3.
 */
const REVISIONS: { name: string; revision?: string }[] = [{ name: "v1.0-cs04" }, { name: "v1.1-cs01" }, { name: "v1.2-cs01" }, { name: "v1.3-csd01", revision: "virtio-v1.3-csd01" }];
const missing = specHistoryMissing();
if (missing) console.warn(`older revisions skipped: ${missing}`);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The commit of a revision: its tag, or the newest master commit that set REVISION to `revision`. */
function commitOf(r: { name: string; revision?: string }): string {
  if (r.revision === undefined) return r.name;
  const commits = specGit(["log", "--format=%H", "master", "--", "REVISION"]).trim().split("\n");
  const commit = commits.find((c) => specGit(["show", `${c}:REVISION`]).trim() === r.revision);
  if (!commit) throw new Error(`no commit sets REVISION to ${r.revision}`);
  return commit;
}

/** The tree of a revision, extracted into a temporary directory. */
function checkout(r: { name: string; revision?: string }): string {
  const dir = mkdtempSync(join(tmpdir(), `virtio-${r.name}-`));
  dirs.push(dir);
  execFileSync("sh", ["-c", `git --git-dir "$0" archive "$1" | tar -x -C "$2"`, specHistoryGitDir(), commitOf(r), dir]);
  return dir;
}

/** Every `struct NAME {` / `union NAME {` inside an lstlisting of a file, with the listing's line range. */
function listedStructs(text: string): { name: string; line: number; from: number; to: number }[] {
  const out: { name: string; line: number; from: number; to: number }[] = [];
  const lineAt = (i: number) => text.slice(0, i).split("\n").length;
  for (const m of text.matchAll(/\\begin\{lstlisting\}([\s\S]*?)\\end\{lstlisting\}/g)) {
    const bodyStart = m.index! + m[0].indexOf("}") + 1;
    const from = lineAt(m.index!);
    const to = lineAt(m.index! + m[0].length);
    for (const s of m[1]!.matchAll(/\b(?:struct|union)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{/g)) out.push({ name: s[1]!, line: lineAt(bodyStart + s.index!), from, to });
  }
  return out;
}

/** Why a field has no fixed size: a variable-length array or member, or an unknown/undefined type. */
function unsizedCause(f: Field): "variable" | "type" | undefined {
  if (f.size !== null) return undefined;
  if (f.type.kind === "unknown" || (f.type.kind === "struct" && !f.type.resolved)) return "type";
  if (f.array.kind === "flexible" || (f.array.kind === "expr" && f.array.length === undefined)) return "variable";
  if (f.members) {
    const inner = f.members.map(unsizedCause).filter((c) => c !== undefined);
    return inner.includes("type") ? "type" : inner.length > 0 ? "variable" : undefined;
  }
  return f.elementSize === null ? "variable" : undefined;
}

describe.skipIf(missing !== undefined)("older released revisions", () => {
  it.each(REVISIONS)("$name parses with every listed struct laid out or diagnosed", (revision) => {
    const tag = revision.name;
    const dir = checkout(revision);
    let ir: SpecIR;
    let diagnostics: Diagnostic[];
    try {
      const fe = runFrontEnd(dir);
      ir = fe.ir;
      diagnostics = lint(fe.doc, fe.ir, {});
    } catch (error) {
      throw new Error(`${tag}: the front end threw: ${error instanceof Error ? error.stack : String(error)}`);
    }
    expect(ir.files.length).toBeGreaterThan(5);
    const inIR = new Set(ir.structs.map((s) => s.name));
    const dropped: string[] = [];
    let listed = 0;
    let byDiagnostic = 0;
    for (const file of ir.files) {
      for (const s of listedStructs(readFileSync(join(dir, file), "utf8"))) {
        listed++;
        if (inIR.has(s.name)) continue;
        if (diagnostics.some((d) => d.source.file === file && d.source.line >= s.from && d.source.line <= s.to)) {
          byDiagnostic++;
          continue;
        }
        dropped.push(`${file}:${s.line}: struct ${s.name}`);
      }
    }
    console.log(`${tag}: ${ir.files.length} files, ${listed} structs in listings (${listed - dropped.length - byDiagnostic} in the IR, ${byDiagnostic} diagnosed), ${ir.structs.length} IR structs, ${ir.structs.filter((s) => s.size !== null).length} with a fixed size`);
    expect(listed).toBeGreaterThan(20);
    expect(dropped, `${tag}: structs of a listing neither in the IR nor diagnosed`).toEqual([]);
    // An unsized struct owes it to a variable-length member, or to a type that a diagnostic names.
    const unexplained: string[] = [];
    for (const st of ir.structs) {
      if (st.size !== null) continue;
      const walk = (fields: Field[]): boolean => fields.some((f) => unsizedCause(f) === "variable" || (unsizedCause(f) === "type" && diagnostics.some((d) => d.source.file === f.source.file && d.source.line === f.source.line)));
      if (!walk(st.fields)) unexplained.push(`${st.source.file}:${st.source.line}: struct ${st.name}`);
    }
    expect(unexplained, `${tag}: unsized structs with no variable-length member and no diagnostic`).toEqual([]);
  });
});
