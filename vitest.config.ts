import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // generated/<spec>/conformance.test.ts: one case per spec requirement (check or todo).
    include: ["test/**/*.test.ts", "generated/**/*.test.ts"],
    benchmark: { include: ["test/bench/**/*.bench.ts"] },
    // The built tree (dist/) is imported by Node itself, not through vite-node: a bench or a test that loads the
    // shipped JavaScript measures what users run (vite-node's transform turns each imported binding into a getter).
    server: { deps: { external: [/\/dist\//] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: worker-thread tests spawn their own threads, so keep vitest's pool small.
    pool: "forks",
    maxWorkers: 2,
  },
});
