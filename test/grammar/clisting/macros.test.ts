/**
 * Function-like macros in constant expressions: the spec's crypto opcodes are written as calls of
 * `VIRTIO_CRYPTO_OPCODE(service, op)`.
 */
import { describe, expect, it } from "vitest";
import { evalConstExpr, expandFunctionMacros, type FunctionMacro } from "../../../grammar/clisting/clisting.js";

const macros = new Map<string, FunctionMacro>([
  ["OPCODE", { params: ["service", "op"], body: "(((service) << 8) | (op))" }],
  ["TWICE", { params: ["x"], body: "OPCODE(x, x)" }],
  ["SELF", { params: ["x"], body: "SELF(x)" }],
]);
const values = new Map([["SERVICE_HASH", 1], ["SERVICE_AKCIPHER", 4]]);
const value = (text: string): number | null => {
  const expanded = expandFunctionMacros(text, macros);
  return expanded === null ? null : evalConstExpr(expanded, (n) => values.get(n) ?? null);
};

describe("function-like macros", () => {
  it("substitutes each parameter by its argument, in parentheses", () => {
    expect(value("OPCODE(SERVICE_HASH, 0x02)")).toBe(0x102);
    expect(value("OPCODE(SERVICE_AKCIPHER, 0x04)")).toBe(0x404);
    expect(value("OPCODE(1 + 1, 3) + 1")).toBe(0x204);
  });
  it("expands calls inside expansions, and nested arguments", () => {
    expect(value("TWICE(2)")).toBe(0x202);
    expect(value("OPCODE((1), OPCODE(0, 1))")).toBe(0x101);
  });
  it("gives no value for a malformed call, a wrong argument count, an unknown macro or endless recursion", () => {
    expect(expandFunctionMacros("OPCODE(1, 2", macros)).toBeNull();
    expect(value("OPCODE(1)")).toBeNull();
    expect(value("OPCDE(SERVICE_AKCIPHER, 0x05)")).toBeNull(); // the typo in the v1.4 crypto listing
    expect(value("SELF(1)")).toBeNull();
  });
  it("leaves names that are not calls alone", () => {
    expect(expandFunctionMacros("OPCODE + XOPCODE(1,2)", macros)).toBe("OPCODE + XOPCODE(1,2)");
  });
});
