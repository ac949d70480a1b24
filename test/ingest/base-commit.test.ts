/**
 * `--base <git repository>`: the base commit found from the patch's own `index` lines, against the
 * virtio-spec history (spec/history/virtio-spec.bundle). The oracle is the history itself: the chosen commit's
 * tree must hold the named blobs, and the post-image must equal the one from the shipped base trees.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { specGit, specHistoryGitDir, specHistoryMissing } from "../helpers/spec-history.js";
import { ingestError, tempDir, ISM_BASE, ISM_MAIL, VHOST_BASE, VHOST_MAIL } from "./helpers.js";

const missing = specHistoryMissing();
const tmp = tempDir("vk-base-commit-");
afterAll(() => tmp.cleanup());
const specGitHas = (rev: string, path: string): boolean => {
  try {
    specGit(["cat-file", "-e", `${rev}:${path}`]);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(missing !== undefined)("--base <git repository>", () => {
  for (const [name, mail, shipped, expected] of [
    ["virtio-ism v3", ISM_MAIL, ISM_BASE, "985bbf3"],
    ["vhost-pci-net", VHOST_MAIL, VHOST_BASE, "be7a82c"],
  ] as const) {
    it(`${name}: a fitting commit is found and named; the post-image equals the shipped base's`, () => {
      const git = specHistoryGitDir();
      const r = loadInput(mail, { base: git });
      const note = r.diagnostics.find((d) => d.code === "base-commit-chosen")!;
      expect(note.message).toContain(r.baseCommit!.commit.slice(0, 12));
      const fromTree = loadInput(mail, { base: shipped });
      for (const p of fromTree.tree.changed) expect(r.tree.files.get(p)?.text).toBe(fromTree.tree.files.get(p)?.text);
      // The shipped base commit is among the candidates, and the one taken is the newest of them.
      const shippedCommit = specGit(["rev-parse", `${expected}^{commit}`]).trim();
      const fitting = specGit(["rev-list", "--all", "--date-order"]).trim().split("\n");
      expect(fitting.indexOf(r.baseCommit!.commit)).toBeLessThanOrEqual(fitting.indexOf(shippedCommit));
      // Every pre-image blob the mail names is in the chosen commit's tree.
      for (const p of r.tree.changed.filter((q) => !fromTree.diffstat!.files.some((f) => f.path === q && f.deletions === 0 && !specGitHas(shippedCommit, q)))) {
        const blob = specGit(["rev-parse", `${r.baseCommit!.commit}:${p}`]).trim();
        expect(blob).toBe(specGit(["rev-parse", `${shippedCommit}:${p}`]).trim());
      }
      console.log(`${name}: ${note.message}`);
      if (r.baseCommit!.candidates > 1) expect(note.message).toMatch(/newest of \d+ commits/);
    });
  }

  it("a patch no commit fits is refused at its first index line, naming the blob", () => {
    const git = specHistoryGitDir();
    const text = readFileSync(VHOST_MAIL, "utf8");
    const k = text.split("\n").findIndex((l) => /^index [0-9a-f]+\.\./.test(l));
    const bogus = join(tmp.dir, "bogus.mail");
    writeFileSync(bogus, text.replace(/^index [0-9a-f]+\.\./m, "index 0123abc.."));
    const e = ingestError(() => loadInput(bogus, { base: git }));
    expect(e.reason).toBe("base-commit-not-found");
    expect(e.diagnostics[0]!.source.line).toBe(k + 1);
    expect(e.diagnostics[0]!.message).toContain("0123abc");
  });

  it("a base-commit: trailer is taken when its tree fits", () => {
    const git = specHistoryGitDir();
    const text = readFileSync(VHOST_MAIL, "utf8");
    const shipped = specGit(["rev-parse", "be7a82c^{commit}"]).trim();
    const withTrailer = join(tmp.dir, "trailer.mail");
    // Where git format-patch --base puts it: after the patch, before the signature, a blank line first.
    writeFileSync(withTrailer, /^-- $/m.test(text) ? text.replace(/^-- $/m, `\nbase-commit: ${shipped}\n-- `) : `${text}\nbase-commit: ${shipped}\n`);
    const r = loadInput(withTrailer, { base: git });
    expect(r.baseCommit).toMatchObject({ commit: shipped, via: "trailer" });
  });
});
