/**
 * `virtiokit demo ism`: the ISM device (virtio-ism v3) end to end — a host (this thread: the communication
 * domain and one device per guest, polling on kicks) and three guests on worker threads, each with its own
 * memory, virtqueues and ISM driver.
 *
 * Script: A allocates a region and grants B read-write and C read-only (dedicated permissions; the default set
 * is cleared); the token goes to B and C out of band (through the host, as a management network would carry
 * it). B attaches read-write; C's read-write attach is refused with the device's ack, C attaches read-only and
 * its write is refused by the mapping; it reads A's greeting, and the chunk maps of the three devices are
 * printed. C detaches and A sees the DETACH (peers 1). A and B then ping-pong 64-byte messages and stream bytes
 * through the region, waking each other with kicks; latency (p50/p99) and throughput are printed. Every step is
 * checked, and the exit code is 1 if one failed.
 *
 * @module
 */
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { describePermissionBits } from "../../runtime/ism/driver/index.js";
import {
  CHANNEL_RING_OFFSET,
  GuestProgramClient,
  IsmHost,
  RING_HEADER_BYTES,
  renderChunkMaps,
} from "../../runtime/ism/guest/index.js";
import type { GuestReady, PingPongResult, RegionSummary, SerializedEvent, StreamResult } from "../../runtime/ism/guest/index.js";

/** One-line description. */
export const summary = "ISM demo: host + 3 guests sharing a region";

/** `virtiokit demo ism --help`. */
export const usage = [
  "usage: virtiokit demo ism [--rounds <n>] [--seconds <s>] [--stream-mib <n>] [--spin <ns>] [--repeat <n>]",
  "  --rounds      ping-pong rounds timed for the latency figures (default 20000)",
  "  --seconds     length of each stream run (default 1.5)",
  "  --stream-mib  MiB streamed through the shared region per run (default 64)",
  "  --spin        how long a waiting side busy-polls before it sleeps, in ns (default 50000)",
  "  --repeat      timed runs of each workload after an untimed warm-up; medians and spread are printed (default 3)",
].join("\n");

/** Permission bits (VIRTIO_ISM_PERM_*). */
const READ = 1;
const WRITE = 2;
const ATTACH = 4;

/** Bytes of the ring inside the shared region. */
const RING_BYTES = 256 * 1024;
/** Where A writes its greeting (between the mailbox and the ring). */
const GREETING_OFFSET = 3072;

interface DemoOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly streamBytes: number;
  readonly spin: number;
  readonly repeat: number;
}

function hex(v: bigint): string {
  return `0x${v.toString(16).padStart(16, "0")}`;
}

function parse(argv: string[]): DemoOptions | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        rounds: { type: "string" },
        seconds: { type: "string" },
        "stream-mib": { type: "string" },
        spin: { type: "string" },
        repeat: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const num = (text: string | undefined, fallback: number, name: string, min: number, max: number): number | string => {
    const v = text === undefined ? fallback : Number(text);
    return Number.isFinite(v) && v >= min && v <= max ? v : `--${name} must be a number in [${min}, ${max}]`;
  };
  const rounds = num(values.rounds, 20_000, "rounds", 1, 10_000_000);
  const seconds = num(values.seconds, 1.5, "seconds", 0.01, 600);
  const mib = num(values["stream-mib"], 64, "stream-mib", 1, 65_536);
  const spin = num(values.spin, 50_000, "spin", 0, 100_000_000);
  const repeat = num(values.repeat, 3, "repeat", 1, 50);
  for (const v of [rounds, seconds, mib, spin, repeat]) if (typeof v === "string") return v;
  return { rounds: Math.floor(rounds as number), seconds: seconds as number, streamBytes: Math.floor((mib as number) * 1024 * 1024), spin: Math.floor(spin as number), repeat: Math.floor(repeat as number) };
}

/** A progress line: redrawn in place on a terminal, printed at each quarter otherwise. */
function progress(label: string): (done: number, total: number) => void {
  const tty = process.stdout.isTTY === true;
  let lastQuarter = 0;
  return (done, total) => {
    const fraction = Math.min(1, done / total);
    if (tty) {
      const width = 30;
      const bar = "#".repeat(Math.round(fraction * width)).padEnd(width, ".");
      process.stdout.write(`\r    ${label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%${fraction >= 1 ? "\n" : ""}`);
      return;
    }
    const quarter = Math.floor(fraction * 4);
    if (quarter > lastQuarter) {
      lastQuarter = quarter;
      process.stdout.write(`    ${label} ${quarter * 25}%\n`);
    }
  };
}

/** What the demo's notation means. */
const LEGEND = [
  "legend:",
  "  permissions  r = read, w = write, a = attach, m = manage (VIRTIO_ISM_PERM_READ/WRITE/ATTACH/MANAGE); '-' = not granted",
  "  chunk maps   one character per chunk slot of a device's shared memory; a letter = the region in that slot, '.' = free",
  "  waits        how a waiting side saw its peer: 'caught spinning' / 'spun' = the data came while it busy-polled",
  "               (no kick needed), 'napped' = it came during a short sleep between polls, 'slept' = the side slept",
  "               until the peer's kick (ISM notify) woke it",
  "  kicks        writes to a region's notify address that the host handled and turned into the peer's wake-up",
  "  p50 / p99    median and 99th percentile of the round trips of one run; the printed figure is the median over runs",
];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!;
}

/** Runs the ISM demo. @returns the exit code (0 all checks passed, 1 a check failed, 2 bad arguments) */
export async function runIsmDemo(argv: string[]): Promise<number> {
  const options = parse(argv);
  if (typeof options === "string") {
    process.stderr.write(`virtiokit demo ism: ${options}\n`);
    return 2;
  }
  const started = performance.now();
  const out = (line: string): void => {
    process.stdout.write(line + "\n");
  };
  const failures: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok) {
      failures.push(what);
      out(`    CHECK FAILED: ${what}`);
    }
  };

  const host = new IsmHost({ chunkSize: 4096 });
  host.start();
  out("virtiokit demo: ISM device (virtio-ism v3 draft), a host and three guests on worker threads");
  out(`[host] communication domain ${host.domain.uuid}, chunk_size ${host.domain.chunkSize}, notify_size ${host.domain.notifySize}`);
  const guests = { A: spawnGuest(host, "A"), B: spawnGuest(host, "B"), C: spawnGuest(host, "C") };
  const { A, B, C } = guests;
  let exitCode = 0;
  try {
    const ready: Record<string, GuestReady> = {};
    for (const [name, g] of Object.entries(guests)) {
      ready[name] = await g.ready;
      out(`[${name}] driver up: devid ${hex(ready[name]!.devid)}, VIRTIO_ISM_F_DEV_MEM ${ready[name]!.devMem ? "negotiated" : "not negotiated (lent buffers)"}`);
    }
    const devid = (name: "A" | "B" | "C"): bigint => ready[name]!.devid;
    for (const [name, g] of Object.entries(guests)) {
      g.on("event", (e: SerializedEvent) => {
        if (e.type === "ATTACH" || e.type === "DETACH") {
          const who = Object.keys(ready).find((n) => ready[n]!.devid === e.devid) ?? hex(e.devid ?? 0n);
          out(`[${name}] event ${e.type} by ${who} at offset 0x${(e.offset ?? 0).toString(16)}: peers now ${e.peers}`);
        }
      });
    }

    // B takes a few chunk slots of its own first, so the shared region sits elsewhere in B's memory.
    const privateB = (await B.call("alloc", { size: 16 * 1024 })) as RegionSummary;
    out(`[B] allocated a private region ${hex(privateB.token)} (${privateB.size} bytes, ${privateB.chunks.length} chunks)`);

    const shared = (await A.call("alloc", { size: CHANNEL_RING_OFFSET + RING_HEADER_BYTES + RING_BYTES })) as RegionSummary;
    const token = shared.token;
    out(`[A] allocated region ${hex(token)}: ${shared.size} bytes, ${shared.chunks.length} chunks at device offset 0x${shared.chunks[0]!.toString(16)}, notify address 0x${shared.notifyOffset.toString(16)}`);
    await A.call("grant", { token, permissions: 0 });
    await A.call("grantDevice", { token, devid: devid("B"), permissions: READ | WRITE | ATTACH });
    await A.call("grantDevice", { token, devid: devid("C"), permissions: READ | ATTACH });
    out(`[A] default permissions cleared; granted B ${describePermissionBits(READ | WRITE | ATTACH)}, C ${describePermissionBits(READ | ATTACH)}`);
    const greeting = new TextEncoder().encode("hello from A");
    await A.call("write", { token, offset: GREETING_OFFSET, data: greeting });
    out(`[A] token ${hex(token)} passed to B and C`);

    const attachedB = (await B.call("attach", { token, read: true, write: true })) as RegionSummary;
    out(`[B] attached ${hex(token)} read-write at device offset 0x${attachedB.chunks[0]!.toString(16)}`);
    const seenByA = await A.waitForEvent("ATTACH", { devid: devid("B") });
    check(seenByA.peers === 1, "A sees B's ATTACH with 1 peer");

    let refusal = "";
    try {
      await C.call("attach", { token, read: true, write: true });
    } catch (error) {
      refusal = (error as { ackName?: string }).ackName ?? String(error);
    }
    out(`[C] attach read-write refused by the device: ${refusal || "NOT REFUSED"}`);
    check(refusal === "VIRTIO_ISM_PERM_EWRITE", "C's read-write attach is refused with VIRTIO_ISM_PERM_EWRITE");
    const info = (await C.call("query", { token })) as { size: number; permissionBits: number };
    out(`[C] query: ${info.size} bytes, permissions ${describePermissionBits(info.permissionBits)}`);
    const attachedC = (await C.call("attach", { token, read: true, write: false })) as RegionSummary;
    out(`[C] attached read-only at device offset 0x${attachedC.chunks[0]!.toString(16)}`);
    await A.waitForEvent("ATTACH", { devid: devid("C") });
    let writeError = "";
    try {
      await C.call("write", { token, offset: GREETING_OFFSET, data: new TextEncoder().encode("graffiti") });
    } catch (error) {
      writeError = `${(error as { reason?: string }).reason ?? "error"}: ${(error as Error).message}`;
    }
    out(`[C] write refused: ${writeError || "NOT REFUSED"}`);
    check(writeError.startsWith("permission-denied"), "C's write through its read-only mapping is refused");
    const read = new TextDecoder().decode((await C.call("read", { token, offset: GREETING_OFFSET, length: greeting.length })) as Uint8Array);
    out(`[C] reads A's greeting: "${read}"`);
    check(read === "hello from A", "C reads what A wrote");

    out("chunk maps (one character per chunk slot, '.' free):");
    const names = new Map<bigint, string>([
      [token, "A's shared region"],
      [privateB.token, "B's private region"],
    ]);
    const picture = renderChunkMaps([...host.guests.values()].map((g) => ({ label: g.name, core: g.hosted.core })), names);
    for (const line of picture.lines) out(`  ${line}`);

    // C has seen what it came for; it leaves before the data phase (its UPDATE events would only cost CPU).
    await C.call("detach", { token });
    out(`[C] detached ${hex(token)}`);
    const detachSeen = await A.waitForEvent("DETACH", { devid: devid("C") });
    check(detachSeen.peers === 1, "A sees C's DETACH with 1 peer left");

    // Warm-up: the first round trips and bytes of a fresh process pay for the JIT, the page faults of the new
    // memory and the workers' first wake-ups (a first demo after install showed p50 580 us against 0.6-1 us
    // later). One short untimed run of each workload first, then `--repeat` timed runs: medians and spread.
    const common = { token, messageBytes: 64, spinNanoseconds: options.spin, napNanoseconds: 0, timeoutMs: 30_000 };
    const streamArgs = { token, chunkBytes: 64 * 1024, spinNanoseconds: options.spin, timeoutMs: 30_000 };
    const pingPong = async (rounds: number, maxSeconds: number, show: boolean): Promise<PingPongResult> => {
      if (show) A.on("progress", progressListener("pingpong", progress("ping-pong"), rounds));
      // No nap phase here: a wait that outlasts the spin sleeps and is woken by a kick through the device.
      const responder = B.call("pingpong", { ...common, rounds, role: "responder" });
      const pp = (await A.call("pingpong", { ...common, rounds, role: "initiator", maxSeconds, progressEvery: show ? Math.max(1, Math.floor(rounds / 20)) : rounds + 1 })) as PingPongResult;
      await responder;
      A.removeAllListeners("progress");
      return pp;
    };
    const stream = async (bytes: number, show: boolean): Promise<StreamResult> => {
      if (show) A.on("progress", progressListener("stream", progress("stream"), bytes));
      const consumer = B.call("stream", { ...streamArgs, bytes, role: "consumer" });
      await A.call("stream", { ...streamArgs, bytes, role: "producer", progressEvery: show ? Math.max(1, Math.floor(bytes / 8)) : bytes + 1 });
      const st = (await consumer) as StreamResult;
      A.removeAllListeners("progress");
      return st;
    };
    out(`[A<->B] warm-up (untimed): ${Math.min(2000, options.rounds)} round trips, ${Math.min(8, options.streamBytes / (1024 * 1024))} MiB streamed`);
    await pingPong(Math.min(2000, options.rounds), 1, false);
    await stream(Math.min(8 * 1024 * 1024, options.streamBytes), false);

    out(`[A<->B] ping-pong, 64-byte messages, ${options.repeat} runs of up to ${options.rounds} round trips or ${options.seconds} s (each wait spins ${options.spin} ns, then sleeps until the peer kicks)`);
    const kicksBefore = kicksOf(host);
    const p50s: number[] = [];
    const p99s: number[] = [];
    let rounds = 0;
    let spun = 0;
    let slept = 0;
    for (let run = 0; run < options.repeat; run++) {
      const pp = await pingPong(options.rounds, options.seconds, run === 0);
      check(pp.rounds > 0, "ping-pong made round trips");
      const sorted = Float64Array.from(pp.samplesUs!).sort();
      p50s.push(percentile(sorted, 0.5));
      p99s.push(percentile(sorted, 0.99));
      rounds += pp.rounds;
      spun += pp.spun;
      slept += pp.slept;
    }
    const pingPongKicks = kicksOf(host) - kicksBefore;

    out(`[A->B] streaming ${options.streamBytes / (1024 * 1024)} MiB through the region's ring (${RING_BYTES / 1024} KiB), ${options.repeat} runs (each wait spins, naps, then sleeps until kicked)`);
    const streamKicksBefore = kicksOf(host);
    const rates: number[] = [];
    let streamMs = 0;
    const waits = { spun: 0, napped: 0, slept: 0 };
    for (let run = 0; run < options.repeat; run++) {
      const st = await stream(options.streamBytes, run === 0);
      check(st.bytes === options.streamBytes && st.mismatches === 0, "the stream arrives complete and intact");
      rates.push(st.bytes / st.seconds / 1e6);
      streamMs += st.seconds * 1000;
      waits.spun += st.spun;
      waits.napped += st.napped;
      waits.slept += st.slept;
    }
    const streamKicks = kicksOf(host) - streamKicksBefore;

    const spread = (xs: number[], digits: number): string => (xs.length > 1 ? ` [${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}]` : "");
    out(`results (after the warm-up; median of ${options.repeat} runs, [min-max]):`);
    out(`  latency, 64-byte round trip A->B->A: p50 ${median(p50s).toFixed(2)} us${spread(p50s, 2)}, p99 ${median(p99s).toFixed(2)} us${spread(p99s, 2)} (${rounds} rounds; A's waits: ${spun} caught spinning, ${slept} slept; ${pingPongKicks} kicks)`);
    out(`  throughput A->B: ${median(rates).toFixed(0)} MB/s${spread(rates, 0)} (${options.repeat} × ${(options.streamBytes / (1024 * 1024)).toFixed(0)} MiB in ${streamMs.toFixed(0)} ms, pattern verified; B's waits: ${waits.spun} spun, ${waits.napped} napped, ${waits.slept} slept; ${streamKicks} kicks)`);
    const wide = (xs: number[]): boolean => xs.length > 1 && Math.max(...xs) > 3 * Math.min(...xs);
    if (wide(p50s) || wide(rates)) {
      // Spinning waits need a core each: when other processes hold the cores, waits turn into sleeps and kicks.
      out(`  note: the runs differ by more than 3x: the machine is busy (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores); the fast runs show the path, the slow ones the contention`);
    }
    for (const line of LEGEND) out(line);

    await B.call("detach", { token });
    await B.call("detach", { token: privateB.token });
    await A.call("detach", { token });
    const left = host.domain.snapshot();
    out(`[host] all detached: ${left.regions.length} regions live, ${left.hostBytes} bytes of host memory in use`);
    check(left.regions.length === 0 && left.hostBytes === 0, "no region and no host memory left");
  } catch (error) {
    out(`demo failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    exitCode = 1;
  } finally {
    await Promise.all(Object.values(guests).map((g) => g.call("close", { detachAll: false }).catch(() => undefined)));
    await host.shutdown();
  }
  if (failures.length > 0) exitCode = 1;
  out(`${exitCode === 0 ? "done" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return exitCode;
}

/** Kicks of attached regions' notify addresses handled by the host, all devices together. */
function kicksOf(host: IsmHost): number {
  let kicks = 0;
  for (const g of host.guests.values()) kicks += g.hosted.core.stats.kicks;
  return kicks;
}

function spawnGuest(host: IsmHost, name: string): GuestProgramClient {
  return GuestProgramClient.spawn(host, { name, chunkCount: 256, memoryBytes: 1 << 20 });
}

function progressListener(phase: string, update: (done: number, total: number) => void, total: number): (p: { phase: string; done: number; total: number }) => void {
  return (p) => {
    if (p.phase === phase) update(p.done, p.total || total);
  };
}
