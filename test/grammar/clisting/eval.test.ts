// evalConstExpr and defineLookup: the spec's integer constant expressions.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineLookup, evalConstExpr, parseIntegerLiteral, parseListing, type DefineItem } from "../../../grammar/clisting/clisting.js";

const none = (): null => null;

describe("evalConstExpr", () => {
  it("reads integer literals with C prefixes and suffixes", () => {
    expect(evalConstExpr("0", none)).toBe(0);
    expect(evalConstExpr("16", none)).toBe(16);
    expect(evalConstExpr("0x80000000", none)).toBe(0x80000000); // v1.4 blk VIRTIO_BLK_T_BARRIER
    expect(evalConstExpr("0X1f", none)).toBe(31);
    expect(evalConstExpr("0755", none)).toBe(0o755);
    expect(evalConstExpr("0b101", none)).toBe(5);
    expect(evalConstExpr("1ULL", none)).toBe(1);
    expect(evalConstExpr("7u", none)).toBe(7);
    expect(evalConstExpr("10LU", none)).toBe(10);
    expect(evalConstExpr("'V'", none)).toBe(86);
    expect(evalConstExpr("'\\n'", none)).toBe(10);
  });

  it("rejects malformed literals", () => {
    for (const text of ["08", "1uu", "1lul", "0x", "1.5", "12abc", "'ab'", "''"]) expect(evalConstExpr(text, none), text).toBeNull();
  });

  it("evaluates the spec's shift and mask forms", () => {
    expect(evalConstExpr("(1 << 0)", none)).toBe(1);
    expect(evalConstExpr("(1 << 3)", none)).toBe(8);
    expect(evalConstExpr("1ULL << 32", none)).toBe(2 ** 32);
    expect(evalConstExpr("(1 << 52)", none)).toBe(2 ** 52);
    expect(evalConstExpr("~0 & 0xff", none)).toBe(255);
    expect(evalConstExpr("0xffffffffffffffff >> 60", none)).toBe(15);
    expect(evalConstExpr("(((3) << 8) | (0x02))", none)).toBe(0x302); // VIRTIO_CRYPTO_OPCODE expanded
  });

  it("follows C precedence and associativity", () => {
    expect(evalConstExpr("1 + 2 * 3", none)).toBe(7);
    expect(evalConstExpr("1 << 2 + 1", none)).toBe(8);
    expect(evalConstExpr("1 | 2 ^ 3 & 1", none)).toBe(3);
    expect(evalConstExpr("10 - 4 - 3", none)).toBe(3);
    expect(evalConstExpr("64 / 4 / 2", none)).toBe(8);
    expect(evalConstExpr("1 == 1 & 0", none)).toBe(0);
    expect(evalConstExpr("2 < 3 == 1", none)).toBe(1);
    expect(evalConstExpr("-3 + 5", none)).toBe(2);
    expect(evalConstExpr("!0 + !5 + ~1", none)).toBe(-1);
  });

  it("divides like C: truncation toward zero, remainder with the dividend's sign", () => {
    expect(evalConstExpr("7 / 2", none)).toBe(3);
    expect(evalConstExpr("-7 / 2", none)).toBe(-3);
    expect(evalConstExpr("-7 % 2", none)).toBe(-1);
    expect(evalConstExpr("7 % -2", none)).toBe(1);
  });

  it("evaluates ?: and short-circuits && and || over unknown names", () => {
    expect(evalConstExpr("1 ? 2 : 3", none)).toBe(2);
    expect(evalConstExpr("0 ? 2 : 3", none)).toBe(3);
    expect(evalConstExpr("0 ? UNKNOWN : 5", none)).toBe(5);
    expect(evalConstExpr("1 ? UNKNOWN : 5", none)).toBeNull();
    expect(evalConstExpr("0 && UNKNOWN", none)).toBe(0);
    expect(evalConstExpr("1 || UNKNOWN", none)).toBe(1);
    expect(evalConstExpr("UNKNOWN || 1", none)).toBeNull();
    expect(evalConstExpr("1 && 2", none)).toBe(1);
  });

  it("resolves names through the lookup and ignores comments", () => {
    const values: Record<string, number> = { VIRTIO_X: 1, VIRTIO_Y: 4, HALF: 0.5 };
    const lookup = (name: string) => values[name];
    expect(evalConstExpr("VIRTIO_X | VIRTIO_Y", lookup)).toBe(5);
    expect(evalConstExpr("(1 << 3) /* comment */ + VIRTIO_Y // tail", lookup)).toBe(12);
    expect(evalConstExpr("VIRTIO_Z", lookup)).toBeNull();
    expect(evalConstExpr("HALF", lookup)).toBeNull();
    expect(
      evalConstExpr("X", () => {
        throw new Error("lookup failed");
      }),
    ).toBeNull();
  });

  it("returns null for what is not a safe integer constant expression", () => {
    for (const text of ["", "   ", "1 +", "(1", "1)", "0x000000ff;", "sizeof(u8)", "VIRTIO_CRYPTO_OPCODE(1, 2)", "a = 1", "1 << 53", "1 << 64", "1 << 65", "1 << -1", "1 / 0", "5 % 0", "0xffffffffffffffff", "-(1 << 53) - 1", "1 ? 2", "/* open"]) {
      expect(evalConstExpr(text, none), text).toBeNull();
    }
    expect(evalConstExpr(undefined as unknown as string, none)).toBeNull();
  });

  it("bounds nesting instead of overflowing the stack", () => {
    expect(evalConstExpr(`${"(".repeat(100)}7${")".repeat(100)}`, none)).toBe(7);
    expect(evalConstExpr(`${"(".repeat(100_000)}7${")".repeat(100_000)}`, none)).toBeNull();
    expect(evalConstExpr(`${"-".repeat(100_000)}7`, none)).toBeNull();
    expect(evalConstExpr(Array.from({ length: 10_000 }, () => "9").join(" * "), none)).toBeNull();
  });

  it("agrees with JavaScript BigInt arithmetic on random expressions of the operators both share", () => {
    // C and JavaScript give + - * / % << >> & ^ | the same precedence, and BigInt division
    // truncates like C, so JavaScript is an independent reference for these.
    type Expr = { op: string; l: Expr; r: Expr } | { neg: Expr } | { n: number };
    const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
      e: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.integer({ min: 0, max: 300 }).map((n) => ({ n })),
        fc.record({ op: fc.constantFrom("+", "-", "*", "/", "%", "&", "^", "|", "<<", ">>"), l: tie("e"), r: tie("e") }),
        tie("e").map((e) => ({ neg: e })),
      ),
    })).e;
    const render = (e: Expr, js: boolean): string => {
      if ("n" in e) return js ? `${e.n}n` : String(e.n);
      if ("neg" in e) return `- (${render(e.neg, js)})`;
      // Shift counts are kept small and non-negative so both sides define the result.
      // (The whole shift is bracketed: otherwise a following `+` would bind to the count first.)
      if (e.op === "<<" || e.op === ">>") return `((${render(e.l, js)}) ${e.op} ((${render(e.r, js)}) & ${js ? "15n" : "15"}))`;
      return `${render(e.l, js)} ${e.op} ${render(e.r, js)}`;
    };
    fc.assert(
      fc.property(expr, (e) => {
        let expected: number | null;
        try {
          const value = new Function(`return ${render(e, true)};`)() as bigint;
          expected = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
        } catch {
          expected = null; // division by zero
        }
        const actual = evalConstExpr(render(e, false), none);
        // Values past 2^128 in between are given up on by design; everything else must agree.
        if (actual === null && expected !== null) return false;
        return actual === expected || expected === null;
      }),
      { numRuns: 400 },
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."0123456789xXuUlL()+-*/%<>=!&|^~?: 'abAB_\\/\n") }), (text) => {
        const v = evalConstExpr(text, (n) => n.length);
        return v === null || Number.isSafeInteger(v);
      }),
      { numRuns: 500 },
    );
  });
});

describe("parseIntegerLiteral", () => {
  it("accepts a lone literal only", () => {
    expect(parseIntegerLiteral(" 512 ")).toBe(512);
    expect(parseIntegerLiteral("0x10")).toBe(16);
    expect(parseIntegerLiteral("2 * 4")).toBeNull();
    expect(parseIntegerLiteral("N")).toBeNull();
    expect(parseIntegerLiteral("99999999999999999999")).toBeNull();
  });
});

describe("defineLookup", () => {
  function defines(body: string): DefineItem[] {
    return parseListing(body, { line: 1, column: 1 }).items.filter((i): i is DefineItem => i.kind === "define");
  }

  // seeds/virtio-ism-v3.mail.txt:639 (the permissions) plus names built from names
  it("evaluates defines that refer to other defines", () => {
    const lookup = defineLookup(defines("#define VIRTIO_ISM_PERM_READ       (1 << 0)\n#define VIRTIO_ISM_PERM_WRITE      (1 << 1)\n#define RW (VIRTIO_ISM_PERM_READ | VIRTIO_ISM_PERM_WRITE)\n#define NEXT (RW + 1)\n"));
    expect(lookup("RW")).toBe(3);
    expect(lookup("NEXT")).toBe(4);
    expect(evalConstExpr("NEXT << 1", lookup)).toBe(8);
    expect(lookup("MISSING")).toBeNull();
  });

  it("gives null for cycles, function-like macros and hostile chains, and keeps the first definition", () => {
    const lookup = defineLookup(defines("#define A B\n#define B A\n#define F(x) (x)\n#define C 1\n#define C 2\n"));
    expect(lookup("A")).toBeNull();
    expect(lookup("F")).toBeNull();
    expect(lookup("C")).toBe(1);
    const chain = Array.from({ length: 5000 }, (_, i) => ({ name: `D${i}`, valueText: i === 4999 ? "1" : `D${i + 1}` }));
    expect(defineLookup(chain)("D0")).toBeNull();
    expect(defineLookup(chain)("D4900")).toBe(1);
  });
});
