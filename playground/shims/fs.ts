/**
 * `node:fs` for the browser bundle: the synchronous reads the front end makes, answered from the in-memory file
 * system ({@link ./vfs.ts}). Writes are not needed in the playground (it shows results, it writes no tree).
 *
 * @module
 */
import * as vfs from "./vfs.js";

function enoent(path: string, syscall: string): Error {
  const e = new Error(`ENOENT: no such file or directory, ${syscall} '${path}'`) as Error & { code: string; path: string; syscall: string };
  e.code = "ENOENT";
  e.path = path;
  e.syscall = syscall;
  return e;
}

/** What `stat` says of a path, and a directory entry (`readdirSync(…, { withFileTypes: true })`): one shape. */
class Entry {
  constructor(
    readonly name: string,
    private readonly dir: boolean,
    readonly size: number,
  ) {}
  isDirectory(): boolean {
    return this.dir;
  }
  isFile(): boolean {
    return !this.dir;
  }
  isSymbolicLink(): boolean {
    return false;
  }
}
export type { Entry as Dirent, Entry as Stats };


export function statSync(path: string): Entry {
  const f = vfs.get(path);
  if (f) return new Entry(path, false, f.length);
  if (vfs.isDir(path)) return new Entry(path, true, 0);
  throw enoent(path, "stat");
}

export const lstatSync = statSync;

export function existsSync(path: string): boolean {
  return vfs.get(path) !== undefined || vfs.isDir(path);
}

export function readFileSync(path: string, encoding?: string | { encoding?: string }): Uint8Array | string {
  const f = vfs.get(path);
  if (!f) throw enoent(path, "open");
  const enc = typeof encoding === "string" ? encoding : encoding?.encoding;
  return enc ? new TextDecoder(enc === "utf8" ? "utf-8" : enc).decode(f) : f;
}

export function readdirSync(path: string, options?: { withFileTypes?: boolean }): (string | Entry)[] {
  if (!vfs.isDir(path)) throw enoent(path, "scandir");
  const entries = vfs.list(path);
  return options?.withFileTypes ? entries.map((e) => new Entry(e.name, e.dir, 0)) : entries.map((e) => e.name);
}

function readOnly(name: string): () => never {
  return () => {
    throw new Error(`${name}: the playground's file system is read-only`);
  };
}
export const writeFileSync = readOnly("writeFileSync");
export const mkdirSync = readOnly("mkdirSync");
export const mkdtempSync = readOnly("mkdtempSync");
export const rmSync = readOnly("rmSync");
export const renameSync = readOnly("renameSync");

export default { statSync, lstatSync, existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, mkdtempSync, rmSync, renameSync };
