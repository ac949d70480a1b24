/**
 * `virtiokit demo vhost-pci-net`: the vhost-pci-net proposal end to end. Guest A (a virtio-net driver) and
 * guest B (the vhost-pci-net device and its driver) run on their own worker threads; guest A's memory is
 * shared with guest B, which mirrors A's virtqueues and moves packets by copying, and the two notify each
 * other with PV interrupts.
 *
 * Script: connect (feature, memory and virtqueue negotiation over the control queues); exchange frames both
 * ways with integrity checks (checksummed payloads, sequence numbers); then measure packets/s and throughput
 * of 64-byte and 1500-byte frames in each direction, against loopback baselines between two worker threads
 * measured in the same run: one UDP datagram per frame (like for like), one TCP write per frame, and TCP 64 KiB
 * writes (a stream, labelled so). Each path gets one warm-up run, then `--repeat` timed runs of `--duration-ms`:
 * the median is printed with the spread. A legend says what each row measures.
 *
 * Exit codes: 0 every check passed; 1 a frame was lost, duplicated or corrupted, or a guest failed; 2 bad usage.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PeerPair } from "../../runtime/vhost-pci-net/pair.js";
import type { GuestRole } from "../../runtime/vhost-pci-net/pair.js";
import type { GuestReport } from "../../runtime/vhost-pci-net/pair-protocol.js";
import { PeerFeatureBit, featureMask } from "../../runtime/vhost-pci-net/spec.js";
import { runTcpBaseline } from "../../runtime/vhost-pci-net/tcp-baseline.js";

/** One-line description. */
export const summary = "vhost-pci-net demo: virtio-net guest and vhost-pci-net guest exchange packets";

const USAGE = [
  "usage: virtiokit demo vhost-pci-net [--frames <n>] [--duration-ms <ms>] [--repeat <n>] [--need-map Y|N] [--no-pv]",
  "  --frames       frames sent each way in the integrity phase (default 100000)",
  "  --duration-ms  length of each throughput run (default 250)",
  "  --repeat       runs per figure; the median is printed (default 3)",
  "  --need-map     how guest B maps guest A's memory: Y (driver maps the BAR) or N (device pre-maps), default Y",
  "  --no-pv        a management environment without PV interrupts (guest A then polls)",
].join("\n");

interface Options {
  readonly frames: number;
  readonly durationMs: number;
  readonly repeat: number;
  readonly needMap: "N" | "Y";
  readonly pv: boolean;
}

/** Runs the demo. @returns the exit code */
export async function runVhostPciNetDemo(argv: string[]): Promise<number> {
  const options = parse(argv);
  if (options === "") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof options === "string") {
    process.stderr.write(`virtiokit demo vhost-pci-net: ${options}\n${USAGE}\n`);
    return 2;
  }
  const out = (line: string): void => void process.stdout.write(line + "\n");
  out("vhost-pci-net demo: guest A (virtio-net driver) and guest B (vhost-pci-net device + driver) on worker threads");
  const started = performance.now();
  let pair: PeerPair;
  try {
    pair = await PeerPair.start({
      workers: { a: workerUrl("guest-a.worker.js"), b: workerUrl("guest-b.worker.js") },
      a: { pvInterrupt: options.pv },
      b: { pvInterrupt: options.pv, needMap: options.needMap },
      idleTimeoutMs: options.pv ? 20 : 1,
    });
  } catch (err) {
    process.stderr.write(`virtiokit demo vhost-pci-net: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  let ok = true;
  try {
    const b = await pair.report("b");
    out(
      `  connected in ${(performance.now() - started).toFixed(0)} ms: need_map ${options.needMap}, PV interrupts ${options.pv ? "on" : "off"}, ` +
        `peer feature bits 0x${b.peerFeatures.toString(16)} (${peerFeatureNames(b.peerFeatures)})`,
    );
    ok = (await integrity(pair, options.frames, out)) && ok;
    for (const line of queuePicture(await pair.report("a"), await pair.report("b"))) out(line);
    out(`throughput (after one warm-up run per path, median of ${options.repeat} runs of ${options.durationMs} ms, [min–max]; frames checked on arrival):`);
    out(`  ${"frame".padEnd(7)}${"path".padEnd(38)}${"packets/s".padStart(22)}${"throughput".padStart(16)}`);
    const progress = progressLine(options);
    for (const size of [64, 1500]) {
      for (const [from, to, label] of [
        ["a", "b", "vhost-pci-net  A → B"],
        ["b", "a", "vhost-pci-net  B → A"],
      ] as const) {
        const runs: Rate[] = [];
        for (let i = 0; i <= options.repeat; i++) {
          progress(`${size} B ${label}`, i);
          const r = await measure(pair, from, to, size, options.durationMs);
          if (r === null) ok = false;
          else if (i > 0) runs.push(r); // run 0 warms up the JIT, the rings and the pages
        }
        out(row(size, label, runs));
      }
      for (const [mode, label] of BASELINES) {
        const runs: Rate[] = [];
        let sent = 0;
        let delivered = 0;
        for (let i = 0; i <= options.repeat; i++) {
          progress(`${size} B ${label}`, i);
          const r = await runTcpBaseline(workerUrl("tcp-baseline.worker.js"), size, options.durationMs, mode);
          if (i === 0) continue;
          runs.push({ pps: r.packetsPerSecond, bps: r.bytesPerSecond });
          sent += r.sent;
          delivered += r.receiver.received;
        }
        const loss = mode === "udp" && sent > 0 ? `  ${(((sent - delivered) / sent) * 100).toFixed(1)}% lost` : "";
        out(row(size, label, runs) + loss);
      }
    }
    progress("", -1);
    for (const line of LEGEND) out(line);
  } catch (err) {
    process.stderr.write(`virtiokit demo vhost-pci-net: ${err instanceof Error ? err.message : String(err)}\n`);
    ok = false;
  } finally {
    await pair.close();
  }
  out(ok ? "all checks passed" : "CHECKS FAILED");
  return ok ? 0 : 1;
}

/** Both ways at once, every frame checksummed; prints and returns whether everything arrived intact. */
async function integrity(pair: PeerPair, frames: number, out: (line: string) => void): Promise<boolean> {
  const sizes = [64, 1514, 128, 1000, 60, 576];
  const plan = { count: frames, sizes, mode: "full", expect: frames } as const;
  await pair.traffic({ a: plan, b: plan });
  const [a, b] = await Promise.all([pair.waitFor("a", "traffic-done", 120_000), pair.waitFor("b", "traffic-done", 120_000)]);
  const line = (who: string, r: GuestReport): string =>
    `${who} received ${r.received.received} (lost ${r.received.lost}, duplicated ${r.received.duplicated}, corrupted ${r.received.corrupted})`;
  const good = (r: GuestReport): boolean => r.received.received === frames && r.received.lost + r.received.duplicated + r.received.corrupted === 0;
  const ms = Math.max(a.report.trafficMs, b.report.trafficMs);
  out(`integrity: ${frames} frames each way (${sizes.join("/")} B, checksummed payloads, sequence numbers) in ${ms.toFixed(0)} ms`);
  out(`  guest A ${line("", a.report).trim()}; guest B ${line("", b.report).trim()}`);
  const refused = [...a.report.refusals.device, ...b.report.refusals.device, ...b.report.refusals.driver];
  if (refused.length > 0) out(`  refusals: ${refused.map((r) => r.reason).join(", ")}`);
  return good(a.report) && good(b.report);
}

interface Rate {
  readonly pps: number;
  readonly bps: number;
}

/** One throughput run from `from` to `to`; null when the stream arrived damaged. */
async function measure(pair: PeerPair, from: GuestRole, to: GuestRole, size: number, durationMs: number): Promise<Rate | null> {
  await pair.traffic({ [to]: { count: 0, sizes: [size], mode: "light", expect: -1 }, [from]: { count: -1, sizes: [size], mode: "light", expect: -1 } });
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  pair.send(from, { cmd: "stop-traffic" });
  const sender = await pair.report(from);
  let receiver = await pair.report(to);
  for (let i = 0; i < 200 && receiver.received.received + receiver.received.lost < sender.produced; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    receiver = await pair.report(to);
  }
  const s = receiver.received;
  if (s.received !== sender.produced || s.lost + s.duplicated + s.corrupted > 0) return null;
  const seconds = (receiver.rxLast.ms - receiver.rxFirst.ms) / 1000;
  if (seconds <= 0) return { pps: 0, bps: 0 };
  return { pps: (receiver.rxLast.count - receiver.rxFirst.count) / seconds, bps: (receiver.rxLast.bytes - receiver.rxFirst.bytes) / seconds };
}

/** The loopback baselines, like for like first (see runtime/vhost-pci-net/tcp-baseline.ts). */
const BASELINES = [
  ["udp", "UDP loopback, 1 datagram/frame"],
  ["tcp-per-frame", "TCP loopback, 1 write/frame"],
  ["tcp-stream", "TCP loopback, 64 KiB writes (stream)"],
] as const;

/** What each row and word of the output means. */
const LEGEND = [
  "legend:",
  "  vhost-pci-net A → B   guest A's virtio-net driver puts each frame in its TX virtqueue; guest B's vhost-pci-net device copies",
  "                        it out of A's memory (mapped through the peer memory BAR) into B's RX buffers: one frame per descriptor chain",
  "  UDP, 1 datagram/frame like for like: every frame is its own message through the host's network stack (two worker threads);",
  "                        the rate counts delivered frames; the loss is what loopback UDP dropped when the receiver fell behind",
  "  TCP, 1 write/frame    one socket write per frame (Nagle off); the kernel may still merge writes into fewer segments",
  "  TCP, 64 KiB writes    frames packed into large writes: a byte stream, not frames; its packets/s counts frames cut out of",
  "                        coalesced writes, an upper bound for what a socket moves, no fair comparison for small frames",
  "  packets/s             frames that arrived intact per second at the receiver, between its first and last arrival;",
  "                        [min–max] is the spread of the timed runs; throughput = frame bytes × 8 per second",
];

function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function rate(pps: number): string {
  return pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} M` : `${(pps / 1e3).toFixed(1)} k`;
}

/** One row: median packets/s with the spread of the runs, median throughput. */
function row(size: number, label: string, runs: readonly Rate[]): string {
  const pps = runs.map((r) => r.pps);
  const spread = runs.length > 1 ? ` [${rate(Math.min(...pps))}–${rate(Math.max(...pps))}]` : "";
  const bps = median(runs.map((r) => r.bps));
  return `  ${`${size} B`.padEnd(7)}${label.padEnd(38)}${`${rate(median(pps))}${spread}`.padStart(22)}${`${((bps * 8) / 1e9).toFixed(2)} Gbit/s`.padStart(16)}`;
}

/**
 * Where the frames are: guest A's queues as guest B mirrors them. Guest A owns the rings in its own memory;
 * guest B's device reads them through the peer memory mapping and serves them as if they were its own.
 */
function queuePicture(a: GuestReport, b: GuestReport): string[] {
  const n = (r: GuestReport, k: string, w: number): string => String(r.counters[k] ?? 0).padStart(w);
  return [
    "where the frames go (counters after the integrity phase):",
    "  guest A: virtio-net driver, its rings in its memory       guest B: vhost-pci-net device + driver",
    "  ┌─────────────────────────────┐  B maps A's memory   ┌──────────────────────────────────┐",
    `  │ TX virtqueue  sent ${n(a, "sent", 8)} │ ─── B copies out ──▶ │ mirrored TX  copied ${n(b, "copiedFromPeer", 8)}     │`,
    `  │               done ${n(a, "completed", 8)} │                      │ B's RX       delivered ${n(b, "delivered", 8)}  │`,
    `  │ RX virtqueue  recv ${n(a, "received", 8)} │ ◀── B copies in ──── │ mirrored RX  filled ${n(b, "sentToPeer", 8)}     │`,
    "  └─────────────────────────────┘   PV interrupts      └──────────────────────────────────┘",
    `  B dropped ${b.counters["dropped"] ?? 0}; PV interrupts injected by A ${a.pvInjected}, by B ${b.pvInjected}`,
  ];
}

/** Progress on stderr while the throughput runs take their seconds (on a terminal only: logs stay clean). */
function progressLine(options: Options): (what: string, run: number) => void {
  if (!process.stderr.isTTY) return () => undefined;
  return (what, run) => {
    if (run < 0) process.stderr.write("\r\x1b[K");
    else process.stderr.write(`\r\x1b[K  measuring ${what}: ${run === 0 ? "warm-up" : `run ${run}/${options.repeat}`}`);
  };
}

function peerFeatureNames(bits: bigint): string {
  const names = Object.entries(PeerFeatureBit)
    .filter(([, bit]) => (bits & featureMask(bit)) !== 0n)
    .map(([name]) => name);
  return names.length > 0 ? names.join(", ") : "none";
}

/** The compiled worker entry `name`: next to this module in dist/, or under dist/ when run from the sources. */
function workerUrl(name: string): URL {
  const compiled = new URL(`../../runtime/vhost-pci-net/workers/${name}`, import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled;
  return new URL(`../../dist/runtime/vhost-pci-net/workers/${name}`, import.meta.url);
}

/** Options, "" for --help, or a usage error. */
function parse(argv: string[]): Options | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        frames: { type: "string" },
        "duration-ms": { type: "string" },
        repeat: { type: "string" },
        "need-map": { type: "string" },
        "no-pv": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (values.help) return "";
  const int = (v: string | undefined, fallback: number, min: number, max: number, name: string): number | string => {
    if (v === undefined) return fallback;
    const n = Number(v);
    return /^\d+$/.test(v) && n >= min && n <= max ? n : `--${name} must be an integer in ${min}..${max}`;
  };
  const frames = int(values.frames, 100_000, 1, 10_000_000, "frames");
  const durationMs = int(values["duration-ms"], 250, 20, 10_000, "duration-ms");
  const repeat = int(values.repeat, 3, 1, 15, "repeat");
  for (const v of [frames, durationMs, repeat]) if (typeof v === "string") return v;
  const needMap = values["need-map"] ?? "Y";
  if (needMap !== "Y" && needMap !== "N") return "--need-map must be Y or N";
  return { frames: frames as number, durationMs: durationMs as number, repeat: repeat as number, needMap, pv: values["no-pv"] !== true };
}
