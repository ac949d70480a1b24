/**
 * `node:crypto` for the browser bundle: only `createHash("sha256")`, which the front end uses for input digests
 * and requirement text hashes, and `createHash("sha1")`, for the git blob ids that ingest compares with `index` lines, on @noble/hashes (audited, no dependencies) so results equal Node's.
 *
 * @module
 */
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

class Hash {
  constructor(readonly hash: (b: Uint8Array) => Uint8Array) {}
  readonly #parts: Uint8Array[] = [];
  update(data: string | Uint8Array): this {
    this.#parts.push(typeof data === "string" ? new TextEncoder().encode(data) : data);
    return this;
  }
  digest(encoding: "hex"): string {
    if (encoding !== "hex") throw new Error("the playground's hashes digest to hex only");
    const total = this.#parts.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of this.#parts) {
      all.set(p, at);
      at += p.length;
    }
    return bytesToHex(this.hash(all));
  }
}

export function createHash(algorithm: string): Hash {
  if (algorithm === "sha256") return new Hash(sha256);
  if (algorithm === "sha1") return new Hash(sha1);
  throw new Error(`the playground supports sha256 and sha1 only, not ${algorithm}`);
}

export default { createHash };
