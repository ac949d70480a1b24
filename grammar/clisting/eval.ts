/**
 * Integer constant expressions as the virtio specification writes them in `#define` values, array
 * sizes and enumerator values: `(1 << 2)`, `0x8000`, `VIRTIO_X | VIRTIO_Y`, `1ULL << 32`.
 *
 * Values are exact integers (BigInt while evaluating), not wrapped to a C type's width: `~x` is
 * `-x - 1`, so `~0U` is -1 rather than 4294967295. Anything that is not such an expression, or whose
 * value is not a safe integer, evaluates to null; nothing here throws.
 *
 * @module
 */

/** Name → value for the identifiers of an expression; null/undefined when the name is unknown. */
export type ConstLookup = (name: string) => number | null | undefined;

/** Intermediate values beyond ±2^128 cannot lead to a safe integer the spec means: give up early. */
const MAGNITUDE_LIMIT = 1n << 128n;
/** Shift counts beyond 64 have no meaning for the spec's 64-bit fields (and would allocate huge BigInts). */
const MAX_SHIFT = 64n;
/**
 * Bound on recursion (each parenthesis level enters two parser frames, each unary operator one), so
 * hostile input cannot exhaust the stack; real expressions nest a few levels.
 */
const MAX_DEPTH = 1000;
/** Bound on chains of `#define A B` followed by {@link defineLookup}. */
const MAX_DEFINE_CHAIN = 200;

type Token = { kind: "number"; value: bigint } | { kind: "name"; name: string } | { kind: "op"; op: string };

/** Thrown inside this module only, for text that is no constant expression; caught by the entry points. */
class NotAnExpression extends Error {
  override readonly name = "NotAnExpression";
}

const OPERATORS = ["<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "<", ">", "(", ")", "?", ":"];

/** Binary operators and their C precedence (higher binds tighter). */
const PRECEDENCE: Readonly<Record<string, number>> = {
  "||": 1,
  "&&": 2,
  "|": 3,
  "^": 4,
  "&": 5,
  "==": 6,
  "!=": 6,
  "<": 7,
  "<=": 7,
  ">": 7,
  ">=": 7,
  "<<": 8,
  ">>": 8,
  "+": 9,
  "-": 9,
  "*": 10,
  "/": 10,
  "%": 10,
};

/**
 * Evaluates an integer constant expression: decimal, hex (`0x`), octal (`0` prefix), binary (`0b`)
 * and character literals with `U`/`L`/`UL`/`ULL` suffixes; unary `+ - ~ !`; binary
 * `* / % + - << >> < <= > >= == != & ^ | && ||`; `?:`; parentheses; comments; names through `lookup`.
 *
 * @returns the value, or null when the text is not such an expression, a name is unknown, a
 *   division by zero or a shift by more than 64 occurs, or the result is not a safe integer.
 */
export function evalConstExpr(text: string, lookup: ConstLookup): number | null {
  if (typeof text !== "string") return null;
  try {
    const parser = new ExpressionParser(new Lexer(text), lookup);
    const value = parser.parseAll();
    return toSafeNumber(value);
  } catch {
    // NotAnExpression for text that is no constant expression; anything else would be a bug in this
    // module, and the contract is still "null, never a throw".
    return null;
  }
}

/**
 * The value of a lone integer literal (`16`, `0x80000000`, `0755`, `1ULL`), or null when `text` is
 * anything else or the value is not a safe integer.
 */
export function parseIntegerLiteral(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[0-9][A-Za-z0-9_]*$/.test(trimmed)) return null;
  return toSafeNumber(literalValue(trimmed));
}

/**
 * A lookup over object-like `#define`s for {@link evalConstExpr}: a name's value is its define's
 * value, evaluated with the same lookup (so `#define B (A + 1)` works), memoised. Function-like
 * macros, unknown names and cycles (`#define A B`, `#define B A`) give null. The first definition of
 * a name wins.
 */
export function defineLookup(defines: Iterable<{ name: string; valueText: string; params?: string[] }>): (name: string) => number | null {
  const byName = new Map<string, { valueText: string; params?: string[] }>();
  for (const d of defines) if (!byName.has(d.name)) byName.set(d.name, d);
  const memo = new Map<string, number | null>();
  const inProgress = new Set<string>();
  const lookup = (name: string): number | null => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const define = byName.get(name);
    if (define === undefined || define.params !== undefined) return null;
    // A name met again while its own value is being computed is a cycle; a very long chain is hostile.
    if (inProgress.has(name) || inProgress.size >= MAX_DEFINE_CHAIN) return null;
    inProgress.add(name);
    const value = evalConstExpr(define.valueText, lookup);
    inProgress.delete(name);
    memo.set(name, value);
    return value;
  };
  return lookup;
}

function toSafeNumber(value: bigint | null): number | null {
  if (value === null) return null;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return null;
  return Number(value);
}

/** Value of a C integer literal with optional suffix; null when malformed (`08`, `1x`, `1uu`). */
function literalValue(literal: string): bigint | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([A-Za-z_0-9]*)$/.exec(literal);
  if (!m) return null;
  const digits = m[1] as string;
  const suffix = m[2] as string;
  if (!/^(?:[uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?$/.test(suffix)) return null;
  if (/^0[bB]/.test(digits)) return BigInt(digits.toLowerCase());
  if (/^0[0-7]+$/.test(digits)) return BigInt(`0o${digits.slice(1)}`);
  return BigInt(digits);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, "0": 0, "\\": 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, "?": 63 };

/** Value of a one-character constant body (between the quotes); null for anything longer. */
function charValue(inner: string): bigint | null {
  if (inner.length === 1) return BigInt(inner.charCodeAt(0));
  if (!inner.startsWith("\\")) return null;
  const rest = inner.slice(1);
  const simple = SIMPLE_ESCAPES[rest];
  if (simple !== undefined) return BigInt(simple);
  if (/^x[0-9a-fA-F]{1,2}$/.test(rest)) return BigInt(`0x${rest.slice(1)}`);
  if (/^[0-7]{1,3}$/.test(rest)) return BigInt(`0o${rest}`);
  return null;
}

// Sticky patterns: each is tried at the current index only (no re-slicing, so tokenising is linear).
const SPACE = /\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*/y;
const NUMBER = /[0-9][A-Za-z0-9_]*/y;
const CHAR = /'((?:\\.[0-9a-fA-F]*|[^'\\\n])+)'/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Matches sticky `pattern` at `index` of `text`. */
function matchAt(pattern: RegExp, text: string, index: number): RegExpExecArray | null {
  pattern.lastIndex = index;
  return pattern.exec(text);
}

/**
 * Tokens on demand: the parser pulls them, so text it rejects early (too deep, malformed) is never
 * tokenised to its end.
 */
class Lexer {
  private index = 0;
  private lookahead: Token | null | undefined;

  constructor(private readonly text: string) {}

  /** The next token without consuming it; null at the end. */
  peek(): Token | null {
    if (this.lookahead === undefined) this.lookahead = this.read();
    return this.lookahead;
  }

  /** Consumes and returns the next token; null at the end. */
  next(): Token | null {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  private read(): Token | null {
    const text = this.text;
    for (;;) {
      if (this.index >= text.length) return null;
      const space = matchAt(SPACE, text, this.index);
      if (!space) break;
      this.index += space[0].length;
    }
    const number = matchAt(NUMBER, text, this.index);
    if (number) {
      const value = literalValue(number[0]);
      if (value === null) throw new NotAnExpression(`bad literal ${number[0]}`);
      this.index += number[0].length;
      return { kind: "number", value };
    }
    const char = matchAt(CHAR, text, this.index);
    if (char) {
      const value = charValue(char[1] as string);
      if (value === null) throw new NotAnExpression(`bad character constant ${char[0]}`);
      this.index += char[0].length;
      return { kind: "number", value };
    }
    const name = matchAt(NAME, text, this.index);
    if (name) {
      this.index += name[0].length;
      return { kind: "name", name: name[0] };
    }
    const op = OPERATORS.find((o) => text.startsWith(o, this.index));
    if (op === undefined) throw new NotAnExpression(`unexpected ${JSON.stringify(text[this.index])}`);
    this.index += op.length;
    return { kind: "op", op };
  }
}

/** Precedence-climbing parser that evaluates as it parses; `null` values mean "unknown". */
class ExpressionParser {
  private depth = 0;

  constructor(
    private readonly lexer: Lexer,
    private readonly lookup: ConstLookup,
  ) {}

  parseAll(): bigint | null {
    const value = this.expression();
    if (this.lexer.peek() !== null) throw new NotAnExpression("trailing tokens");
    return value;
  }

  private expression(): bigint | null {
    this.enter();
    const condition = this.binary(1);
    let value = condition;
    if (this.acceptOp("?")) {
      const whenTrue = this.expression();
      this.expectOp(":");
      const whenFalse = this.expression();
      value = condition === null ? null : condition !== 0n ? whenTrue : whenFalse;
    }
    this.depth--;
    return value;
  }

  private binary(minPrecedence: number): bigint | null {
    let left = this.unary();
    for (;;) {
      const token = this.lexer.peek();
      if (token?.kind !== "op") break;
      const precedence = PRECEDENCE[token.op];
      if (precedence === undefined || precedence < minPrecedence) break;
      this.lexer.next();
      const right = this.binary(precedence + 1);
      left = bounded(applyBinary(token.op, left, right));
    }
    return left;
  }

  private unary(): bigint | null {
    this.enter();
    const token = this.lexer.next();
    let value: bigint | null;
    if (token === null) throw new NotAnExpression("unexpected end");
    if (token.kind === "number") value = token.value;
    else if (token.kind === "name") value = this.resolve(token.name);
    else if (token.op === "(") {
      value = this.expression();
      this.expectOp(")");
    } else if (token.op === "-" || token.op === "+" || token.op === "~" || token.op === "!") {
      const operand = this.unary();
      value = operand === null ? null : applyUnary(token.op, operand);
    } else throw new NotAnExpression(`unexpected ${token.op}`);
    this.depth--;
    return bounded(value);
  }

  private resolve(name: string): bigint | null {
    let value: number | null | undefined;
    try {
      value = this.lookup(name);
    } catch {
      return null;
    }
    return typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : null;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new NotAnExpression("nesting too deep");
  }

  private acceptOp(op: string): boolean {
    const token = this.lexer.peek();
    if (token?.kind === "op" && token.op === op) {
      this.lexer.next();
      return true;
    }
    return false;
  }

  private expectOp(op: string): void {
    if (!this.acceptOp(op)) throw new NotAnExpression(`expected ${op}`);
  }
}

function applyUnary(op: string, v: bigint): bigint {
  switch (op) {
    case "-":
      return -v;
    case "~":
      return -v - 1n;
    case "!":
      return v === 0n ? 1n : 0n;
    default:
      return v;
  }
}

function applyBinary(op: string, a: bigint | null, b: bigint | null): bigint | null {
  // && and || decide on their left operand alone when they can, as C's short-circuit does.
  if (op === "&&") return a === 0n ? 0n : a === null || b === null ? null : b !== 0n ? 1n : 0n;
  if (op === "||") return a !== null && a !== 0n ? 1n : a === null || b === null ? null : b !== 0n ? 1n : 0n;
  if (a === null || b === null) return null;
  switch (op) {
    case "*":
      return a * b;
    case "/":
      return b === 0n ? null : a / b;
    case "%":
      return b === 0n ? null : a % b;
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "<<":
      return b < 0n || b > MAX_SHIFT ? null : a << b;
    case ">>":
      return b < 0n || b > MAX_SHIFT ? null : a >> b;
    case "<":
      return a < b ? 1n : 0n;
    case "<=":
      return a <= b ? 1n : 0n;
    case ">":
      return a > b ? 1n : 0n;
    case ">=":
      return a >= b ? 1n : 0n;
    case "==":
      return a === b ? 1n : 0n;
    case "!=":
      return a !== b ? 1n : 0n;
    case "&":
      return a & b;
    case "^":
      return a ^ b;
    case "|":
      return a | b;
    default:
      return null;
  }
}

/** Null for values too large to matter (see {@link MAGNITUDE_LIMIT}). */
function bounded(value: bigint | null): bigint | null {
  if (value === null) return null;
  return value > MAGNITUDE_LIMIT || value < -MAGNITUDE_LIMIT ? null : value;
}

/** A function-like macro: `#define NAME(a, b) body`. */
export interface FunctionMacro {
  params: readonly string[];
  body: string;
}

/**
 * Expands calls of function-like macros in `text` (`VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_HASH, 0x02)` with
 * `#define VIRTIO_CRYPTO_OPCODE(service, op) (((service) << 8) | (op))`), as the C preprocessor would for a
 * constant expression: each parameter replaced by its argument in parentheses, repeated while calls remain (at
 * most `depth` rounds, so a self-referencing macro ends). Returns null when a call is malformed (unbalanced
 * parentheses, wrong argument count), so the caller reports no value rather than a wrong one.
 */
export function expandFunctionMacros(text: string, macros: ReadonlyMap<string, FunctionMacro>, depth = 8): string | null {
  let out = text;
  for (let round = 0; round < depth; round++) {
    let changed = false;
    let result = "";
    let i = 0;
    const ident = /[A-Za-z_][A-Za-z0-9_]*/y;
    while (i < out.length) {
      ident.lastIndex = i;
      const m = /[A-Za-z_]/.test(out[i]!) && (i === 0 || !/[A-Za-z0-9_]/.test(out[i - 1]!)) ? ident.exec(out) : null;
      if (!m) {
        result += out[i];
        i++;
        continue;
      }
      const name = m[0];
      const macro = macros.get(name);
      let j = i + name.length;
      while (j < out.length && /\s/.test(out[j]!)) j++;
      if (!macro || out[j] !== "(") {
        result += name;
        i += name.length;
        continue;
      }
      // Arguments: split at top-level commas up to the matching ')'.
      const args: string[] = [];
      let level = 0;
      let start = j + 1;
      let k = j;
      for (; k < out.length; k++) {
        const c = out[k];
        if (c === "(") level++;
        else if (c === ")") {
          level--;
          if (level === 0) break;
        } else if (c === "," && level === 1) {
          args.push(out.slice(start, k));
          start = k + 1;
        }
      }
      if (k >= out.length) return null;
      args.push(out.slice(start, k));
      const actual = args.length === 1 && args[0]!.trim() === "" ? [] : args.map((a) => a.trim());
      if (actual.length !== macro.params.length) return null;
      const byParam = new Map(macro.params.map((p, n) => [p, actual[n]!]));
      const body = macro.body.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (id) => (byParam.has(id) ? `(${byParam.get(id)!})` : id));
      result += `(${body})`;
      i = k + 1;
      changed = true;
    }
    out = result;
    if (!changed) return out;
  }
  return out;
}
