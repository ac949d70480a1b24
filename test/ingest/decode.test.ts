/**
 * The decode stage on whole mails: quoted-printable, base64 attachments in multipart/mixed, format=flowed
 * (DelSp no and yes) copies of both seeds must give the seed's own post-image; diagnostics still point at
 * lines of the file as saved.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { decodeMessage, splitMessages, unflow } from "../../grammar/ingest/decode.js";
import { attachmentMail, flowed, pythonMissing, qpMail } from "./encodings.js";
import { ingestError, ISM_BASE, ISM_MAIL, tempDir, VHOST_BASE, VHOST_MAIL } from "./helpers.js";

const tmp = tempDir("vk-decode-");
afterAll(() => tmp.cleanup());
let n = 0;
const write = (text: string) => {
  const p = join(tmp.dir, `m${n++}.eml`);
  writeFileSync(p, text);
  return p;
};
const seeds = [
  ["vhost-pci-net", VHOST_MAIL, VHOST_BASE],
  ["virtio-ism v3", ISM_MAIL, ISM_BASE],
] as const;

describe.skipIf(pythonMissing() !== undefined)("encoded copies of the seeds (Python's email package)", () => {
  for (const [name, mail, base] of seeds) {
    const want = loadInput(mail, { base });
    const same = (path: string) => {
      const r = loadInput(path, { base });
      expect(r.tree.changed).toEqual(want.tree.changed);
      for (const p of want.tree.changed) expect(r.tree.files.get(p)?.text, p).toBe(want.tree.files.get(p)?.text);
      return r;
    };
    it(`${name}: quoted-printable`, () => {
      const text = qpMail(readFileSync(mail, "utf8"));
      expect(text).toMatch(/Content-Transfer-Encoding: quoted-printable/);
      expect(text).toMatch(/=3D|=\n/);
      const r = same(write(text));
      expect(r.diagnostics.some((d) => d.code === "mail-decoded" && d.message.includes("quoted-printable"))).toBe(true);
    });
    it(`${name}: base64 text/x-patch attachment in multipart/mixed`, () => {
      const text = attachmentMail(readFileSync(mail, "utf8"));
      expect(text).toMatch(/multipart\/mixed/);
      same(write(text));
    });
    it(`${name}: format=flowed, DelSp=no and DelSp=yes`, () => {
      const raw = readFileSync(mail, "utf8");
      const soft = same(write(flowed(raw, { softTrailingBlank: true })));
      // The client's wraps arrive as soft breaks: the decoder rejoins them, none is left for the unwrapper.
      expect(soft.diagnostics.filter((d) => d.code === "lines-unwrapped")).toEqual([]);
      if (!/ \n/.test(raw)) same(write(flowed(raw, { delSp: true, width: 60 })));
    });
  }
});

describe("decode details", () => {
  it("quoted-printable: soft breaks, =XX bytes in UTF-8, lines keep the line where they start", () => {
    const lines = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", "a=3Db =", "continued", "caf=C3=A9"];
    const m = decodeMessage(splitMessages(lines)[0]!, "x", []);
    expect(m.lines.slice(3)).toEqual([
      { text: "a=b continued", line: 4 },
      { text: "café", line: 6 },
    ]);
  });

  it("format=flowed: soft breaks per quote depth, stuffing removed, DelSp", () => {
    const l = (text: string, line: number) => ({ text, line });
    expect(unflow([l("a ", 1), l("b", 2), l("  c", 3), l(">> x ", 4), l(">> y", 5), l("-- ", 6)], false)).toEqual([
      l("a b", 1),
      l(" c", 3),
      l("> > x y", 4),
      l("-- ", 6),
    ]);
    expect(unflow([l("ab ", 1), l("cd", 2)], true)).toEqual([l("abcd", 1)]);
  });

  it("an error in a quoted-printable mail points at the line of the file as saved", () => {
    const patch = ["--- a/content.tex", "+++ b/content.tex", "@@ -1,2 +1,2 @@", " not the base line", "-x", "+y", ""].join("\n");
    const text = qpMail(patch);
    const path = write(text);
    const e = ingestError(() => loadInput(path, { base: join(import.meta.dirname, "../fixtures/ingest/mini-tree") }));
    const saved = text.split("\n");
    expect(saved[e.diagnostics[0]!.source.line - 1]).toContain("@@ -1,2 +1,2 @@");
  });

  it("mbox: messages split at From lines; >From unescaped", () => {
    const lines = ["From a Mon Sep 17 00:00:00 2001", "Subject: one", "", ">From here", "", "From b Mon Sep 17 00:00:00 2001", "Subject: two", "", "body"];
    const msgs = splitMessages(lines);
    expect(msgs.map((m) => m[0]!.line)).toEqual([1, 6]);
    expect(msgs[0]![3]!.text).toBe("From here");
  });
});
