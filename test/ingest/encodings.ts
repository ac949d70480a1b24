/**
 * Mail encodings for the ingest tests. Quoted-printable and MIME multipart mails are made by Python's
 * standard `email` package (an encoder nobody here wrote); format=flowed, which Python does not write, by
 * {@link flowed} below, following RFC 3676 §4 as a sending client does.
 */
import { execFileSync } from "node:child_process";

/** Why Python's email package cannot be used here, or undefined when it can. */
export function pythonMissing(): string | undefined {
  try {
    execFileSync("python3", ["-c", "import email"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "python3 is not installed";
  }
}

const PY = String.raw`
import sys, json, email.policy
from email.message import EmailMessage
req = json.load(sys.stdin)
m = EmailMessage(policy=email.policy.SMTP.clone(linesep="\n", max_line_length=78))
m["From"] = "A Proposer <a@example.org>"
m["Subject"] = req["subject"]
if req["mode"] == "qp":
    m.set_content(req["body"], subtype="plain", charset="utf-8", cte="quoted-printable")
elif req["mode"] == "attachment":
    m.set_content(req["intro"], subtype="plain", charset="utf-8", cte="7bit" if req["intro"].isascii() else "8bit")
    m.add_attachment(req["body"].encode("utf-8"), maintype="text", subtype="x-patch", filename="0001-change.patch", cte="base64")
sys.stdout.write(m.as_string())
`;

const PY_BATCH = String.raw`
import sys, json, email.policy
from email.message import EmailMessage
out = []
for body in json.load(sys.stdin):
    m = EmailMessage(policy=email.policy.SMTP.clone(linesep="\n", max_line_length=78))
    m["Subject"] = "[PATCH] change"
    m.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    out.append(m.as_string())
json.dump(out, sys.stdout)
`;

/** {@link qpMail} of many bodies in one Python process. */
export function qpMails(bodies: readonly string[]): string[] {
  return JSON.parse(execFileSync("python3", ["-c", PY_BATCH], { input: JSON.stringify(bodies), encoding: "utf8", maxBuffer: 512 * 1024 * 1024 })) as string[];
}

/** A MIME mail whose body is `body`, quoted-printable encoded (Python's email package). */
export function qpMail(body: string, subject = "[PATCH] change"): string {
  return execFileSync("python3", ["-c", PY], { input: JSON.stringify({ mode: "qp", body, subject }), encoding: "utf8" });
}

/** A multipart/mixed mail: a short text part, and `body` as a base64 `text/x-patch` attachment. */
export function attachmentMail(body: string, subject = "[PATCH] change", intro = "The patch is attached.\n"): string {
  return execFileSync("python3", ["-c", PY], { input: JSON.stringify({ mode: "attachment", body, subject, intro }), encoding: "utf8" });
}

/**
 * `text` as a format=flowed body (RFC 3676): each line space-stuffed when it starts with a space, `>` or
 * `From `; trailing blanks removed (a fixed line cannot end in one: that is the format's own loss); lines
 * longer than `width` soft-broken at a blank (DelSp=no: the blank ends the fragment) or, with `delSp`, at
 * any character with a space added and deleted again by the reader. With `softTrailingBlank`, a line that
 * already ends in a blank (a wrapped mail's first fragment) is sent as the soft break it is. Returns the
 * whole mail with headers.
 */
export function flowed(text: string, opts: { delSp?: boolean; width?: number; subject?: string; softTrailingBlank?: boolean } = {}): string {
  const width = opts.width ?? 76;
  const out: string[] = [];
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  for (const original of body.split("\n")) {
    // With softTrailingBlank, a non-blank line ending in a blank is a break the client made: it stays soft.
    const soft = opts.softTrailingBlank === true && !opts.delSp && / $/.test(original) && original.trim() !== "";
    let line = soft ? original : original.replace(/ +$/, "");
    if (line !== "-- " && (line.startsWith(" ") || line.startsWith(">") || line.startsWith("From "))) line = " " + line;
    while (line.length > width) {
      let k: number;
      if (opts.delSp) k = width - 1;
      else {
        k = line.lastIndexOf(" ", width - 1);
        // No blank to break at (or only the stuffing one): leave the line long, as clients do.
        if (k <= 1) break;
        k += 1;
      }
      const piece = line.slice(0, k);
      let rest = line.slice(k);
      out.push(opts.delSp ? piece + " " : piece);
      // A continuation is a line of its own: it is stuffed too.
      if (rest.startsWith(" ") || rest.startsWith(">") || rest.startsWith("From ")) rest = " " + rest;
      line = rest;
    }
    out.push(line);
  }
  const head = [
    "From: A Proposer <a@example.org>",
    `Subject: ${opts.subject ?? "[PATCH] change"}`,
    "MIME-Version: 1.0",
    `Content-Type: text/plain; charset=utf-8; format=flowed${opts.delSp ? "; delsp=yes" : ""}`,
    "Content-Transfer-Encoding: 8bit",
    "",
  ];
  return [...head, ...out].join("\n") + "\n";
}

/**
 * Whether `text` survives format=flowed: no line ends in a blank (a fixed line cannot), except a blank
 * context line ` ` (sent as an empty line, which a patch reader takes as one) and the signature `-- `.
 */
export function flowedSafe(text: string): boolean {
  return !text.split("\n").some((l) => /[ \t]$/.test(l) && l !== " " && l !== "-- ");
}
