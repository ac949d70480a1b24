/**
 * Vitest config for the ingest benchmark alone (it lives beside its tests, outside test/bench/).
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    benchmark: { include: ["test/ingest/**/*.bench.ts"] },
  },
});
