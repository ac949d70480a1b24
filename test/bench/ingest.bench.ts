/**
 * Cost of ingesting the seeds, against two baselines measured in the same run: reading the base tree alone
 * (the I/O floor every patch input pays), and applying the same patch already unwrapped and un-quoted (so
 * the difference is what mail extraction and unwrapping cost).
 *
 * Not under test/bench/ (this suite owns test/ingest/ only); run it with a config that includes it:
 *   npx vitest bench --run --config test/ingest/bench.config.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { ISM_BASE, ISM_MAIL, VHOST_BASE, VHOST_MAIL } from "../ingest/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "vk-ingest-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function unwrappedCopy(mail: string, base: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, loadInput(mail, { base }).unwrappedPatch!);
  return path;
}
/** Longer runs than the default: the CI machine is noisy and these take milliseconds each. */
const OPTS = { time: 2000, warmupTime: 500 };
const vhostPatch = unwrappedCopy(VHOST_MAIL, VHOST_BASE, "vhost.patch");
const ismPatch = unwrappedCopy(ISM_MAIL, ISM_BASE, "ism.patch");

describe("vhost-pci-net seed: 1 file, 8 hunks, 82 wrapped lines", () => {
  bench("baseline: read the base tree", () => {
    loadInput(VHOST_BASE);
  }, OPTS);
  bench("baseline: the same patch, unwrapped", () => {
    loadInput(vhostPatch, { base: VHOST_BASE });
  }, OPTS);
  bench("the wrapped mail", () => {
    loadInput(VHOST_MAIL, { base: VHOST_BASE });
  }, OPTS);
});

describe("virtio-ism v3 seed: 3 files, quoted in a web-archived reply", () => {
  bench("baseline: read the base tree", () => {
    loadInput(ISM_BASE);
  }, OPTS);
  bench("baseline: the same patch, un-quoted", () => {
    loadInput(ismPatch, { base: ISM_BASE });
  }, OPTS);
  bench("the quoted mail", () => {
    loadInput(ISM_MAIL, { base: ISM_BASE });
  }, OPTS);
});
