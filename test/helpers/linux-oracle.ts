/**
 * Linux as a layout oracle: reads the struct members and `#define` names of the uapi `<linux/virtio_*.h>`
 * headers, writes a C program that prints what gcc makes of them (sizeof, offsetof, member sizes, constant
 * values), compiles and runs it. Reusable: a test that also fills structs with values (the codec comparison)
 * builds on {@link cOracleProgram} and {@link runC}.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the uapi headers live. */
export const LINUX_INCLUDE = "/usr/include/linux";

/** One member of a Linux struct, as the header declares it. Members of anonymous unions/structs are direct members. */
export interface LinuxMember {
  name: string;
  /** `[]` or `[0]`: no size of its own (sizeof cannot be taken). */
  flexible: boolean;
  /** A C bit-field (offsetof cannot be taken). */
  bitField: boolean;
}

/** A struct of a uapi header. */
export interface LinuxStruct {
  name: string;
  header: string;
  members: LinuxMember[];
}

/** What the headers declare. */
export interface LinuxHeaders {
  /** Header file names that compile on their own (`virtio_net.h`). */
  headers: string[];
  structs: Map<string, LinuxStruct>;
  /** Object-like `#define NAME value` whose value looks like an integer expression. */
  defines: Set<string>;
}

/** Why the oracle cannot run here (no gcc, no headers), or undefined. */
export function linuxOracleMissing(): string | undefined {
  if (spawnSync("gcc", ["--version"]).status !== 0) return "gcc is not installed";
  if (!existsSync(LINUX_INCLUDE) || virtioHeaderFiles().length === 0) return `no ${LINUX_INCLUDE}/virtio_*.h headers`;
  return undefined;
}

function virtioHeaderFiles(): string[] {
  return readdirSync(LINUX_INCLUDE)
    .filter((f) => /^virtio_.*\.h$/.test(f))
    .sort();
}

/** Reads every virtio uapi header that compiles on its own. */
export function readLinuxHeaders(): LinuxHeaders {
  const all = virtioHeaderFiles();
  const together = (hs: string[]) => compiles(`${hs.map((h) => `#include <linux/${h}>`).join("\n")}\nint main(void) { return 0; }\n`);
  const headers = together(all) ? all : all.filter((h) => together([h]));
  const structs = new Map<string, LinuxStruct>();
  const defines = new Set<string>();
  for (const h of headers) {
    const text = stripComments(readFileSync(join(LINUX_INCLUDE, h), "utf8"));
    for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+([^\n]*)$/gm)) {
      if (/^[\s\w()<>|&+\-~*]+$/.test(m[2]!) && /\d/.test(m[2]!)) defines.add(m[1]!);
    }
    for (const m of text.matchAll(/\bstruct\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{/g)) {
      const open = m.index! + m[0].length - 1;
      const close = matchingBrace(text, open);
      if (close < 0 || structs.has(m[1]!)) continue;
      // Headers write #defines between members (the values of the member that follows).
      const body = text.slice(open + 1, close).replace(/^[ \t]*#(?:[^\n]*\\\n)*[^\n]*$/gm, "");
      structs.set(m[1]!, { name: m[1]!, header: h, members: membersOf(body) });
    }
  }
  return { headers, structs, defines };
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, "");
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

/** Members of a struct body; an anonymous nested union/struct contributes its own members. */
function membersOf(body: string): LinuxMember[] {
  const out: LinuxMember[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "{" || c === "(") depth++;
    else if (c === "}" || c === ")") depth--;
    else if (c === ";" && depth === 0) {
      out.push(...declaration(body.slice(start, i)));
      start = i + 1;
    }
  }
  return out;
}

function declaration(text: string): LinuxMember[] {
  const decl = text.replace(/__attribute__\s*\(\([^;]*?\)\)/g, " ").trim();
  if (decl === "" || decl.startsWith("#")) return [];
  const brace = decl.indexOf("{");
  if (brace >= 0) {
    const close = matchingBrace(decl, brace);
    const after = decl.slice(close + 1).trim();
    if (after === "") return membersOf(decl.slice(brace + 1, close));
    return declarators(after);
  }
  // `__le16 a[3], b : 4` → the type words, then declarators; the first declarator's name is the last word
  // of the first comma-separated part once its brackets and bit width are set aside.
  const parts = decl.replace(/\*/g, " ").split(",");
  const first = parts[0]!.replace(/\[[^\]]*\]/g, " ").replace(/:\s*\d+\s*$/, " ").trim().split(/\s+/);
  const name = first[first.length - 1]!;
  const firstDecl = parts[0]!.slice(parts[0]!.lastIndexOf(name, parts[0]!.search(/\[|:|$/)));
  return declarators([firstDecl, ...parts.slice(1)].join(","));
}

function declarators(text: string): LinuxMember[] {
  return text
    .split(",")
    .map((d) => d.trim())
    .filter((d) => /^[A-Za-z_]/.test(d))
    .map((d) => {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(d)?.[1] ?? d;
      return { name, flexible: /\[\s*0?\s*\]/.test(d), bitField: /:\s*\d+\s*$/.test(d) };
    });
}

/** What to ask gcc about. */
export interface OracleRequest {
  /** Struct name → the members to measure (each must be a member of the Linux struct). */
  structs: { name: string; members: LinuxMember[] }[];
  /** `#define` names whose values to print. */
  defines: string[];
}

/**
 * A C program that prints, one per line: `size <struct> <sizeof>`, `member <struct> <member> <offset> <size|->`
 * (`-` for a flexible array) and `define <NAME> <value>` (as unsigned long long).
 */
export function cOracleProgram(headers: readonly string[], request: OracleRequest): string {
  const lines: string[] = [];
  for (const s of request.structs) {
    lines.push(`  printf("size ${s.name} %zu\\n", sizeof(struct ${s.name}));`);
    for (const m of s.members) {
      if (m.bitField) continue;
      const size = m.flexible ? `"-"` : `sizeof(((struct ${s.name} *)0)->${m.name})`;
      lines.push(
        m.flexible
          ? `  printf("member ${s.name} ${m.name} %zu -\\n", offsetof(struct ${s.name}, ${m.name}));`
          : `  printf("member ${s.name} ${m.name} %zu %zu\\n", offsetof(struct ${s.name}, ${m.name}), ${size});`,
      );
    }
  }
  for (const d of request.defines) lines.push(`  printf("define ${d} %llu\\n", (unsigned long long)(${d}));`);
  return `#include <stdio.h>\n#include <stddef.h>\n${headers.map((h) => `#include <linux/${h}>`).join("\n")}\nint main(void) {\n${lines.join("\n")}\n  return 0;\n}\n`;
}

/** What gcc said. */
export interface OracleAnswer {
  sizes: Map<string, number>;
  /** `struct.member` → offset and size (null for a flexible array). */
  members: Map<string, { offset: number; size: number | null }>;
  defines: Map<string, bigint>;
}

/** Parses the output of a {@link cOracleProgram}. */
export function parseOracleOutput(out: string): OracleAnswer {
  const answer: OracleAnswer = { sizes: new Map(), members: new Map(), defines: new Map() };
  for (const line of out.split("\n")) {
    const w = line.split(" ");
    if (w[0] === "size") answer.sizes.set(w[1]!, Number(w[2]));
    else if (w[0] === "member") answer.members.set(`${w[1]}.${w[2]}`, { offset: Number(w[3]), size: w[4] === "-" ? null : Number(w[4]) });
    else if (w[0] === "define") answer.defines.set(w[1]!, BigInt(w[2]!));
  }
  return answer;
}

/** Compiles and runs a C program; stdout. Throws with gcc's message when it does not compile. */
export function runC(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), "virtiokit-linux-oracle-"));
  try {
    writeFileSync(join(dir, "oracle.c"), source);
    const r = spawnSync("gcc", ["-std=gnu11", "-o", join(dir, "oracle"), join(dir, "oracle.c")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`gcc failed:\n${r.stderr}`);
    return execFileSync(join(dir, "oracle"), { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compiles(source: string): boolean {
  try {
    runC(source);
    return true;
  } catch {
    return false;
  }
}
