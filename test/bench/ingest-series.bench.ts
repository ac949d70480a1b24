/**
 * Applying a 10-part series from one mbox (git format-patch of 10 consecutive virtio-spec commits), against
 * the baseline of reading the base tree alone, measured in the same run:
 *   npx vitest bench --run test/bench/ingest-series.bench.ts
 * with a base tree on disk, and with `--base <git repository>` (the base commit found from the patch).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { specGit, specHistoryGitDir } from "../helpers/spec-history.js";

const dir = mkdtempSync(join(tmpdir(), "vk-series-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The newest run of 10 consecutive first-parent non-merge commits on master.
const log = specGit(["log", "--first-parent", "--format=%H %P", "master"]).trim().split("\n");
let tip = "";
for (let k = 0, run = 0; k < log.length; k++) {
  run = log[k]!.split(" ").length === 2 ? run + 1 : 0;
  if (run === 10) {
    tip = log[k - 9]!.split(" ")[0]!;
    break;
  }
}
const mbox = join(dir, "series.mbox");
writeFileSync(mbox, specGit(["format-patch", "--cover-letter", "--stdout", "-10", tip]));
const base = join(dir, "base");
mkdirSync(base);
execFileSync("sh", ["-c", `git --git-dir '${specHistoryGitDir()}' archive '${tip}~10' | tar -x -C '${base}'`]);
const gitDir = specHistoryGitDir();
const check = loadInput(mbox, { base });
if (check.series?.length !== 10) throw new Error(`expected 10 parts, got ${check.series?.length}`);

const OPTS = { time: 3000, warmupTime: 500 };
describe(`10-part series ending at ${tip.slice(0, 12)}`, () => {
  bench("baseline: read the base tree", () => {
    loadInput(base);
  }, OPTS);
  bench("the series onto the base tree", () => {
    loadInput(mbox, { base });
  }, OPTS);
  bench("the series with --base <git repository>", () => {
    loadInput(mbox, { base: gitDir });
  }, OPTS);
});
