/**
 * The in-memory file system the playground's front end reads: the shipped trees and the pasted input are put
 * here by the worker, and the `node:fs` shim answers from it. Paths are absolute POSIX paths ("/trees/v1.4/…").
 *
 * @module
 */

/** Path → file bytes. Directories are implied by the paths of their files. */
const files = new Map<string, Uint8Array>();

/** Removes every file under `prefix` (or everything). */
export function clear(prefix = "/"): void {
  for (const p of [...files.keys()]) if (p.startsWith(prefix)) files.delete(p);
}

/** Writes one file. */
export function put(path: string, content: string | Uint8Array): void {
  files.set(normalise(path), typeof content === "string" ? new TextEncoder().encode(content) : content);
}

/** The bytes at `path`, or undefined. */
export function get(path: string): Uint8Array | undefined {
  return files.get(normalise(path));
}

/** Whether `path` is a directory: some file lies below it. */
export function isDir(path: string): boolean {
  const p = normalise(path);
  const prefix = p === "/" ? "/" : p + "/";
  for (const k of files.keys()) if (k.startsWith(prefix)) return true;
  return false;
}

/** The names directly in directory `path`, each with whether it is a directory. */
export function list(path: string): { name: string; dir: boolean }[] {
  const p = normalise(path);
  const prefix = p === "/" ? "/" : p + "/";
  const out = new Map<string, boolean>();
  for (const k of files.keys()) {
    if (!k.startsWith(prefix)) continue;
    const rest = k.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash < 0) out.set(rest, out.get(rest) ?? false);
    else out.set(rest.slice(0, slash), true);
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, dir]) => ({ name, dir }));
}

function normalise(path: string): string {
  const parts: string[] = [];
  for (const s of path.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") parts.pop();
    else parts.push(s);
  }
  return "/" + parts.join("/");
}
