/**
 * Front end speed: both seeds from mail to IR, in one process (warm), against the ingest step alone (reading the
 * base tree and applying the mail: the floor any front end pays) in the same run.
 * Cold start (a fresh process each time) is measured by test/bench/frontend-cold.mjs.
 */
import { bench, describe } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { runFrontEnd } from "../../grammar/pipeline.js";

const SEEDS = [
  ["spec/seeds/virtio-ism-v3.mail.txt", "spec/base-985bbf3"],
  ["spec/seeds/vhost-pci-net.mail.txt", "spec/base-be7a82c"],
] as const;

describe("both seeds", () => {
  bench("baseline: ingest only (read base trees, apply mails)", () => {
    for (const [mail, base] of SEEDS) loadInput(mail, { base });
  });
  bench("front end: mail → post-patch tree → document → IR", () => {
    for (const [mail, base] of SEEDS) runFrontEnd(mail, { base });
  });
});
