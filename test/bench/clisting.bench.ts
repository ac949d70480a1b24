/**
 * Parsing every lstlisting of the v1.4 specification (347 listings, ~109 KB) with parseListing.
 *
 * Rows (same run):
 * - baseline: a regular-expression tokeniser (identifiers, numbers, comments, single characters)
 *   over the same bodies: one linear pass that builds nothing, the floor any parser is measured against;
 * - the generated peggy parser alone (raw nodes, no conversion);
 * - parseListing (parser + conversion to the typed AST + file positions + problems).
 *
 * One iteration = the whole corpus. Use `--outputJson <file>` for medians. Run with
 *   npx vitest bench --run test/bench/clisting.bench.ts
 */
import { bench, describe } from "vitest";
import { parse } from "../../grammar/build/clisting-parser.js";
import { parseListing } from "../../grammar/clisting/clisting.js";
import { sharedRoot, treeListings } from "../grammar/clisting/fixtures.js";

const root = sharedRoot();
if (root === null) throw new Error("the v1.4 spec tree is needed: put it at ../shared/virtio-spec or set VIRTIOKIT_SHARED");
const fixtures = treeListings(root, "v1.4");

/** The parser rows take ~50-100 ms per iteration: give them enough time for 30+ samples. */
const SLOW = { time: 4000, iterations: 30 };

/** Guards against the optimiser discarding work, and fails loudly if a parse comes back empty. */
let sink = 0;
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_]*|\/\*[\s\S]*?\*\/|\/\/[^\n]*|\S/g;

describe("v1.4 corpus", () => {
  bench("baseline: regex tokeniser", () => {
    let tokens = 0;
    for (const f of fixtures) for (TOKEN.lastIndex = 0; TOKEN.exec(f.body) !== null; ) tokens++;
    sink += tokens;
  });

  bench("peggy parser only (raw nodes)", () => {
    let items = 0;
    for (const f of fixtures) items += (parse(f.body) as unknown[]).length;
    if (items === 0) throw new Error("nothing parsed");
    sink += items;
  }, SLOW);

  bench("parseListing (typed AST, positions, problems)", () => {
    let items = 0;
    for (const f of fixtures) items += parseListing(f.body, { line: f.line, column: f.column }).items.length;
    if (items === 0) throw new Error("nothing parsed");
    sink += items;
  }, SLOW);
});

export { sink };
