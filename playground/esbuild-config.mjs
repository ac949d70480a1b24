/**
 * How the playground bundles the front end for a browser: Node's modules are replaced by shims that answer from
 * the in-memory file system (fs), compute sha256 the same way (crypto) or say they are unavailable (git, temp
 * directories); the generator's lazy ts-morph import (used only to verify generated code) and handlebars
 * (reports) are left out.
 */
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** esbuild options shared by the browser build and the Node build the tests run. */
export function frontEndBundleOptions() {
  const unavailable = here("./shims/unavailable.ts");
  const alias = {
    "node:fs": here("./shims/fs.ts"),
    fs: here("./shims/fs.ts"),
    "node:crypto": here("./shims/crypto.ts"),
    "node:path": "path-browserify",
    path: "path-browserify",
    "node:child_process": unavailable,
    "node:os": unavailable,
    "node:url": unavailable,
    "ts-morph": unavailable,
    handlebars: unavailable,
  };
  return {
    bundle: true,
    format: "esm",
    target: "es2022",
    alias,
    inject: [here("./shims/process.ts")],
    logLevel: "warning",
    legalComments: "none",
  };
}
