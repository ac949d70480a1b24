import assert from "node:assert/strict";
import { describe, expect, it } from "vitest";
import { runChecks, runOne, type RunnableCheck } from "../../generator/conformance/run-checks.js";

/** A registry stand-in: the runner only needs ids() and get(). */
function source(checks: Record<string, RunnableCheck>) {
  return { ids: () => Object.keys(checks), get: (id: string) => checks[id] };
}

describe("runOne", () => {
  it("passes a check that returns and one that resolves", async () => {
    expect(await runOne(() => {}, 1000)).toEqual({ passed: true });
    expect(await runOne(async () => {}, 1000)).toEqual({ passed: true });
  });

  it("fails a check that throws synchronously, with the assertion's message", async () => {
    const out = await runOne(() => assert.equal(1 + 1, 3, "arithmetic is broken"), 1000);
    expect(out.passed).toBe(false);
    expect(out.message).toMatch(/^AssertionError: arithmetic is broken\b/);
  });

  it("fails a check that rejects", async () => {
    const out = await runOne(async () => {
      await Promise.resolve();
      throw new RangeError("devid is 0");
    }, 1000);
    expect(out).toEqual({ passed: false, message: "RangeError: devid is 0" });
  });

  it("fails a check that never settles, after the timeout", async () => {
    const out = await runOne(() => new Promise<void>(() => {}), 30);
    expect(out.passed).toBe(false);
    expect(out.message).toContain("did not settle within 30 ms");
  });

  it("keeps a multi-line message on one bounded line", async () => {
    const out = await runOne(() => assert.deepEqual({ a: "x".repeat(2000) }, { a: "y" }), 1000);
    expect(out.passed).toBe(false);
    expect(out.message).not.toMatch(/\n/);
    expect(out.message!.length).toBeLessThanOrEqual(400);
  });

  it("survives a thrown value that cannot be printed", async () => {
    const unprintable = {
      toString() {
        throw new Error("no");
      },
    };
    const out = await runOne(() => {
      throw unprintable;
    }, 1000);
    expect(out).toEqual({ passed: false, message: "thrown: an unprintable value" });
  });
});

describe("runChecks", () => {
  it("runs in-scope checks in scope order and reports the others as stale without running them", async () => {
    const ran: string[] = [];
    const track = (id: string, fail = false) => () => {
      ran.push(id);
      if (fail) throw new Error(`${id} broken`);
    };
    const src = source({
      "b#1": track("b#1"),
      "gone#1": track("gone#1"),
      "a#1": track("a#1", true),
      "other#1": track("other#1"),
    });
    const run = await runChecks(src, ["a#1", "a#2", "b#1"], new Set(["a#1", "a#2", "b#1", "other#1"]), { timeoutMs: 1000 });
    expect(ran).toEqual(["a#1", "b#1"]);
    expect([...run.outcomes]).toEqual([
      ["a#1", { passed: false, message: "Error: a#1 broken" }],
      ["b#1", { passed: true }],
    ]);
    expect(run.stale).toEqual([
      { id: "gone#1", reason: "not-in-ir" },
      { id: "other#1", reason: "out-of-scope" },
    ]);
    expect([...run.registered].sort()).toEqual(["a#1", "b#1", "gone#1", "other#1"]);
  });
});
