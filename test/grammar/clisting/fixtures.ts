/**
 * Listing bodies of the real inputs, for the clisting tests and benchmark: every `lstlisting` of the
 * OASIS spec trees and of the two proposal mails, with where each body starts in its file.
 *
 * The inputs live outside the repository (../shared, or $VIRTIOKIT_SHARED); `sharedRoot()` is null
 * when they are absent, and the corpus tests skip with that reason.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One listing body and the arguments `parseListing` needs for file positions. */
export interface ListingFixture {
  /** Path relative to the shared root, e.g. `virtio-spec/v1.4/split-ring.tex`. */
  file: string;
  body: string;
  line: number;
  column: number;
  linePrefixWidth: number;
}

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The folder holding `virtio-spec/` and `seeds/`, or null when it is not there. */
export function sharedRoot(): string | null {
  const candidate = resolve(process.env["VIRTIOKIT_SHARED"] ?? join(REPO_ROOT, "..", "shared"));
  return existsSync(join(candidate, "virtio-spec")) && existsSync(join(candidate, "seeds")) ? candidate : null;
}

/** Text of a file under the shared root. */
export function readShared(root: string, file: string): string {
  return readFileSync(join(root, file), "utf8");
}

function texFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? texFiles(join(dir, entry.name)) : entry.name.endsWith(".tex") ? [join(dir, entry.name)] : []))
    .sort();
}

/**
 * Bodies of every `\begin{lstlisting}...\end{lstlisting}` of a LaTeX file: the body starts on the
 * line after `\begin{lstlisting}[options]` and ends right before `\end{lstlisting}` (which may be
 * indented, so the last body line can be whitespace).
 */
export function texListings(text: string, file: string): ListingFixture[] {
  const out: ListingFixture[] = [];
  const pattern = /\\begin\{lstlisting\}[^\n]*\n([\s\S]*?)\\end\{lstlisting\}/g;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const bodyStart = m.index + m[0].indexOf("\n") + 1;
    const line = text.slice(0, bodyStart).split("\n").length;
    out.push({ file, body: m[1] as string, line, column: 1, linePrefixWidth: 0 });
  }
  return out;
}

/**
 * Bodies of the listings a mail adds, with the per-line prefix (`> +` for the ISM mail, which quotes
 * the patch; `+` for the vhost-pci one) removed and reported as `linePrefixWidth`.
 */
export function mailListings(text: string, file: string, prefix: string): ListingFixture[] {
  const lines = text.split("\n");
  const out: ListingFixture[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.startsWith(prefix) || !line.slice(prefix.length).trimStart().startsWith("\\begin{lstlisting}")) continue;
    const bodyLines: string[] = [];
    let j = i + 1;
    for (; j < lines.length && (lines[j] as string).startsWith(prefix) && !(lines[j] as string).includes("\\end{lstlisting}"); j++) {
      bodyLines.push((lines[j] as string).slice(prefix.length));
    }
    const end = lines[j];
    if (end !== undefined && end.startsWith(prefix)) {
      const last = end.slice(prefix.length);
      const body = bodyLines.map((l) => `${l}\n`).join("") + last.slice(0, last.indexOf("\\end{lstlisting}"));
      out.push({ file, body, line: i + 2, column: prefix.length + 1, linePrefixWidth: prefix.length });
    }
    i = j;
  }
  return out;
}

/** The three spec trees the brief names: all of v1.4 (recursively), base-985bbf3, and base-be7a82c's content.tex. */
export const TREES = ["v1.4", "base-985bbf3", "base-be7a82c"] as const;

/** Listings of one spec tree. */
export function treeListings(root: string, tree: (typeof TREES)[number]): ListingFixture[] {
  const dir = join(root, "virtio-spec", tree);
  const files = tree === "base-be7a82c" ? [join(dir, "content.tex")] : texFiles(dir);
  return files.flatMap((path) => texListings(readFileSync(path, "utf8"), path.slice(root.length + 1)));
}

/** The two seed mails and the prefix their patches carry. */
export const MAILS = [
  { file: "seeds/virtio-ism-v3.mail.txt", prefix: "> +" },
  { file: "seeds/vhost-pci-net.mail.txt", prefix: "+" },
] as const;

/** Listings of one seed mail. */
export function seedListings(root: string, mail: (typeof MAILS)[number]): ListingFixture[] {
  return mailListings(readShared(root, mail.file), mail.file, mail.prefix);
}
