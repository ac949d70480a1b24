/**
 * Lint: the seeds' defects pinned by golden files (reviewed by hand against the mails), the defect classes on
 * small inputs, and the CLI's exit codes. Regenerate the goldens with UPDATE_GOLDEN=1 after reviewing a change.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostics } from "../../../grammar/diagnostics/diagnostics.js";
import { lint } from "../../../grammar/lint/lint.js";
import { runFrontEnd } from "../../../grammar/pipeline.js";

const CLI = "dist/cli/main.js";

function golden(name: string, actual: string): void {
  const path = join("test/fixtures/lint", name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

function lintText(input: string, base?: string, all = false): string {
  const fe = runFrontEnd(input, { base });
  return formatDiagnostics(lint(fe.doc, fe.ir, { scope: all ? undefined : fe.patchScope }));
}

function tmpTex(text: string, name = "x.tex"): string {
  const dir = mkdtempSync(join(tmpdir(), "vk-lint-"));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe("lint on the seeds (golden)", () => {
  it("virtio-ism v3", () => {
    const out = lintText("spec/seeds/virtio-ism-v3.mail.txt", "spec/base-985bbf3");
    // The known defects are among the findings, at their positions.
    expect(out).toContain("virtio-ism.tex:321:4: error: VIRTIO_ISM_NOSPEC is used but never defined [undefined-identifier]\n  hint: did you mean VIRTIO_ISM_ENOSPEC?");
    expect(out).toContain("virtio-ism.tex:327:22: error: unknown macro \\filed [unknown-macro]\n  hint: did you mean \\field?");
    expect(out).toMatch(/virtio-ism\.tex:135:19: error: label 'sec:Device Types \/ ISM Device \/ Event' is already defined at virtio-ism\.tex:119:29/);
    expect(out).toContain("VIRTIO_ISM_PERM_DENY_DEFAULT is used but never defined [undefined-identifier]\n  hint: did you mean VIRTIO_ISM_PERM_CLEAN_DEFAULT?");
    golden("virtio-ism-v3.txt", out);
  });

  it("vhost-pci-net", () => {
    const out = lintText("spec/seeds/vhost-pci-net.mail.txt", "spec/base-be7a82c");
    expect(out).toContain("content.tex:1303:9: warning: virtio_pci_common_cfg.peer_rx_queue_gsi: le32 at offset 62 is not 4-byte aligned");
    expect(out).toMatch(/struct vhost_pci_ctrl_peer_mem_info: expected ';' after the closing '\}' \[struct-syntax\]/);
    golden("vhost-pci-net.txt", out);
  });
});

describe("lint finds defect classes, not instances", () => {
  const base = (body: string) =>
    `\\section{Foo Device}\\label{sec:Foo}\n\\subsection{Device ID}\\label{sec:Foo / ID}\n 77\n\\subsection{Feature bits}\\label{sec:Foo / F}\n\\begin{description}\n\\item[FOO_F_BAR (3)] bar.\n\\end{description}\n${body}\n`;

  it("reports a misspelled constant with the intended name", () => {
    const f = tmpTex(base("\\begin{lstlisting}\n#define FOO_ACK_OK 0\n#define FOO_ACK_EBUSY 16\n\\end{lstlisting}\nThe device MUST set ack to FOO_ACK_BUSY or FOO_ACK_OK."));
    const out = lintText(f, undefined, true);
    expect(out).toMatch(/x\.tex:12:\d+: error: FOO_ACK_BUSY is used but never defined \[undefined-identifier\]\n  hint: did you mean FOO_ACK_EBUSY\?/);
  });

  it("reports misaligned fields, unknown types and native-endian integers", () => {
    const f = tmpTex(base("\\begin{lstlisting}\nstruct foo_msg {\n\tu8 kind;\n\tle32 len;\n\tstruct foo_missing m;\n\tu16 x;\n};\n\\end{lstlisting}\n"));
    const out = lintText(f, undefined, true);
    expect(out).toMatch(/foo_msg\.len: le32 at offset 1 is not 4-byte aligned/);
    expect(out).toMatch(/foo_msg\.m: struct foo_missing is used but not defined/);
    expect(out).toMatch(/foo_msg\.x: u16 has no byte order/);
  });

  it("reports dangling refs with the nearest label", () => {
    const f = tmpTex(base("See \\ref{sec:Foo / Id}."));
    expect(lintText(f, undefined, true)).toMatch(/dangling-ref\]\n  hint: did you mean 'sec:Foo \/ ID'\?/);
  });

  it("reports a device feature bit in the device-independent range", () => {
    const f = tmpTex(base("\\chapter{Reserved Feature Bits}\\label{sec:R}\n\\begin{description}\n\\item[VIRTIO_F_VERSION_1(32)] v1.\n\\end{description}\n").replace("FOO_F_BAR (3)", "FOO_F_BAR (32)"));
    expect(lintText(f, undefined, true)).toMatch(/FOO_F_BAR\(32\) is in the device-independent range 24–32 \(VIRTIO_F_VERSION_1\) \[feature-bit-reserved\]/);
  });
});

describe("virtiokit lint/parse on unusable input", () => {
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

  it("unbalanced braces: one diagnostic with position, exit 2, no stack trace", () => {
    const f = tmpTex("\\section{Broken\n\nText.\n");
    const r = run(["lint", f]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/x\.tex:1:9: error: unbalanced braces: this '\{' is never closed .*\(the parser reached 4:1\)/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("unknown environment: one diagnostic with position, exit 2", () => {
    const f = tmpTex("Intro.\n\n\\begin{frobnicate}\nx\n\\end{frobnicate}\n");
    const r = run(["parse", f]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/x\.tex:3:1: error: unknown environment 'frobnicate'/);
  });

  it("a missing input file: exit 2 with a clear message", () => {
    const r = run(["lint", "/nonexistent/spec.tex"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nonexistent/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("exit 1 when the spec has errors, 0 when it has none", () => {
    expect(run(["lint", "spec/seeds/virtio-ism-v3.mail.txt", "--base", "spec/base-985bbf3"]).status).toBe(1);
    const clean = tmpTex("\\section{Clean}\\label{sec:C}\nNothing normative here.\n");
    expect(run(["lint", clean]).status).toBe(0);
  });

  it("--json prints one JSON object per diagnostic", () => {
    const r = run(["lint", "spec/seeds/vhost-pci-net.mail.txt", "--base", "spec/base-be7a82c", "--json"]);
    expect(r.status).toBe(1);
    const out = r.stdout.trim();
    const rows = out.split("\n").map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(5);
    expect(rows[0]).toHaveProperty("source.file");
  });
});

describe("lint --against a newer base", () => {
  const V14 = "../shared/virtio-spec/v1.4";
  it.skipIf(!existsSync(V14))("reports what vhost-pci-net would collide with in virtio 1.4", () => {
    const r = spawnSync(process.execPath, [CLI, "lint", "spec/seeds/vhost-pci-net.mail.txt", "--base", "spec/base-be7a82c", "--against", V14], { encoding: "utf8" });
    expect(r.status).toBe(1);
    const rebase = r.stdout.split("\n").filter((l) => /\[rebase-/.test(l));
    // Only what the patch adds is compared: its context lines (VIRTIO_F_RING_INDIRECT_DESC, queue_avail) are not.
    expect(rebase).toHaveLength(5);
    expect(rebase[0]).toMatch(/^content\.tex:5979:3: error: VIRTIO_F_PV_INTERRUPT\(33\) collides with VIRTIO_F_ACCESS_PLATFORM\(33\)/);
    expect(r.stdout).toMatch(/virtio_pci_common_cfg\.peer_connection \(offset 56, 2 bytes\) overlaps queue_notif_config_data \(offset 56, 2 bytes\)/);
    expect(r.stdout).toMatch(/hint: free device-independent bits in .*v1\.4: /);
  });
});
