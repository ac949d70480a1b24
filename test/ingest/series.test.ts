/**
 * Patch series in one mbox file, made by `git format-patch --cover-letter` from consecutive commits of the
 * virtio-spec history: the parts apply in part order (whatever the file's order), the cover letter is
 * skipped, the result is the last commit's tree; a missing part is an error at the message after the gap.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { seriesTag } from "../../grammar/ingest/series.js";
import { specGit, specHistoryGitDir, specHistoryMissing } from "../helpers/spec-history.js";
import { ingestError, tempDir } from "./helpers.js";

const missing = specHistoryMissing();
const tmp = tempDir("vk-series-");
afterAll(() => tmp.cleanup());

/** The mbox of `count` consecutive first-parent commits ending at `tip`, cover letter first, split per message. */
function seriesMessages(tip: string, count: number): string[] {
  const mbox = specGit(["format-patch", "--cover-letter", "--stdout", `-${count}`, tip]);
  return mbox.split(/^(?=From [0-9a-f]{40} )/m);
}

/** A commit's whole tree on disk. */
function checkout(rev: string, name: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", `git --git-dir '${specHistoryGitDir()}' archive '${rev}' | tar -x -C '${dir}'`]);
  return dir;
}

/** The tip of the `skip`-th run of `count` consecutive first-parent non-merge commits on master (newest first). */
function linearTip(count: number, skip: number): string {
  const log = specGit(["log", "--first-parent", "--format=%H %P", "master"]).trim().split("\n");
  let run = 0;
  let seen = 0;
  for (const line of log) {
    const parts = line.split(" ");
    run = parts.length === 2 ? run + 1 : 0;
    if (run >= count) {
      if (seen++ === skip) return log[log.indexOf(line) - count + 1]!.split(" ")[0]!;
      run = 0;
    }
  }
  throw new Error("no linear run");
}

describe("series subjects", () => {
  it("reads n/m from the usual tags", () => {
    expect(seriesTag("[PATCH v3 2/5] virtio-ism: x")).toEqual({ part: 2, total: 5, version: 3 });
    expect(seriesTag("Re: [RFC PATCH 02/10] x")).toEqual({ part: 2, total: 10, version: 1 });
    expect(seriesTag("[PATCH v2 0/3] cover")).toEqual({ part: 0, total: 3, version: 2 });
    expect(seriesTag("[PATCH] single")).toBeUndefined();
    expect(seriesTag("[PATCH 6/5] bad")).toBeUndefined();
  });
});

describe.skipIf(missing !== undefined)("a series from one mbox file", () => {
  it("three parts and a cover letter, in shuffled order, give the last commit's files", () => {
    const tip = linearTip(3, 5);
    const msgs = seriesMessages(tip, 3);
    expect(msgs).toHaveLength(4);
    const path = join(tmp.dir, "series.mbox");
    writeFileSync(path, [msgs[2], msgs[0], msgs[3], msgs[1]].join(""));
    const base = checkout(`${tip}~3`, "base3");
    const r = loadInput(path, { base });
    expect(r.series!.map((p) => p.part)).toEqual([1, 2, 3]);
    expect(r.diagnostics.some((d) => d.code === "message-skipped" && /cover letter/.test(d.message))).toBe(true);
    const changed = specGit(["diff", "--name-only", "--no-renames", `${tip}~3`, tip]).trim().split("\n");
    for (const p of changed) {
      let want: string | undefined;
      try {
        want = specGit(["show", `${tip}:${p}`]);
      } catch {
        want = undefined;
      }
      expect(r.tree.files.get(p)?.text, p).toBe(want);
    }
    // The same from the repository itself: the base is found from part 1's (and the others') index lines.
    const g = loadInput(path, { base: specHistoryGitDir() });
    for (const p of changed) expect(g.tree.files.get(p)?.text, p).toBe(r.tree.files.get(p)?.text);
  });

  it("a missing part is an error at the message after the gap; nothing is applied", () => {
    const tip = linearTip(3, 5);
    const msgs = seriesMessages(tip, 3);
    const text = [msgs[0], msgs[1], msgs[3]].join("");
    const path = join(tmp.dir, "gap.mbox");
    writeFileSync(path, text);
    const e = ingestError(() => loadInput(path, { base: checkout(`${tip}~3`, "base-gap") }));
    expect(e.reason).toBe("series-part-missing");
    expect(e.diagnostics[0]!.message).toContain("part 2/3");
    const part3Line = text.slice(0, text.indexOf(msgs[3]!)).split("\n").length;
    expect(e.diagnostics[0]!.source.line).toBe(part3Line);
  });
});
