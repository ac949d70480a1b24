/**
 * The generic ISM guest program: a worker started by {@link IsmHost} that opens its ISM driver and then
 * executes commands from the host thread (alloc, attach, grant, read/write, kick, ping-pong and streaming
 * through a region, ...), reporting every driver event as it arrives. The `virtiokit demo`, the fault tests
 * and the benchmarks all drive their guests through it (see `GuestProgramClient`).
 *
 * Ping-pong and streaming block this thread (spin, then sleep on the region's bound interrupt vector); every
 * other command is asynchronous.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { IsmAckError, IsmDriver, IsmDriverError, tokenText } from "../driver/index.js";
import type { IsmDriverEvent, IsmRegionHandle } from "../driver/index.js";
import { ByteRing, ringCapacityFor } from "./channels/byte-ring.js";
import { streamThrough } from "./channels/stream.js";
import { Mailbox } from "./channels/mailbox.js";
import { regionSignal } from "./channels/signal.js";
import { waitCounters } from "./channels/spin.js";
import type { WaitBudget } from "./channels/spin.js";
import { CHANNEL_MAILBOX_OFFSET, CHANNEL_MAX_MESSAGE, CHANNEL_RING_OFFSET } from "./program-protocol.js";
import type {
  GuestCommandMessage,
  GuestCommandName,
  GuestCommands,
  GuestNotice,
  GuestProgramData,
  PingPongResult,
  RegionSummary,
  SerializedError,
  SerializedEvent,
  StreamResult,
} from "./program-protocol.js";
import { guestFromWorkerData } from "./worker-transport.js";

/** Second byte of a ping-pong message that ends the exchange. */
const LAST_ROUND = 0xff;

/** The vector the program binds a region to before using it as a channel. */
const CHANNEL_VECTOR = 2;

const port = parentPort;
if (port === null) throw new Error("ism-guest.worker must run as a worker thread");

function post(notice: GuestNotice, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(notice, transfer);
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof IsmAckError) {
    return { name: error.name, message: error.message, reason: error.reason, ackName: error.ackName, ack: error.ack, command: error.command };
  }
  if (error instanceof IsmDriverError) return { name: error.name, message: error.message, reason: error.reason };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

function serializeEvent(e: IsmDriverEvent): SerializedEvent {
  switch (e.type) {
    case "UPDATE":
      return { type: e.type, offset: e.offset, ...(e.region === undefined ? {} : { token: e.region.token }), ...(e.from === undefined ? {} : { devid: e.from }) };
    case "ATTACH":
    case "DETACH":
      return { type: e.type, offset: e.offset, devid: e.devid, peers: e.peers, ...(e.region === undefined ? {} : { token: e.region.token }) };
    case "BUFFER_FREE":
      return { type: e.type, buffer: e.buffer };
  }
}

function summary(region: IsmRegionHandle): RegionSummary {
  return { token: region.token, size: region.size, chunks: region.chunks, notifyOffset: region.notifyOffset, access: region.access };
}

async function main(): Promise<void> {
  let driver: IsmDriver;
  const { transport, data } = guestFromWorkerData();
  try {
    driver = await IsmDriver.open(transport, (data as GuestProgramData | undefined)?.driver ?? {});
  } catch (error) {
    post({ kind: "boot-failed", error: serializeError(error) });
    transport.close();
    return;
  }
  const log: SerializedEvent[] = [];
  const waiters = new Set<(e: SerializedEvent) => boolean>();
  driver.on("event", (e) => {
    const s = serializeEvent(e);
    for (const w of [...waiters]) if (w(s)) waiters.delete(w);
    // UPDATEs can be many (one per kick): they only resolve waiters, they are neither kept nor reported.
    if (s.type === "UPDATE") return;
    log.push(s);
    post({ kind: "event", event: s });
  });

  const regionOf = (token: bigint): IsmRegionHandle => {
    const r = driver.region(token);
    if (r === undefined) throw new IsmDriverError("not-attached", `no region ${tokenText(token)} attached here`);
    return r;
  };

  const channelRegion = async (token: bigint): Promise<IsmRegionHandle> => {
    const region = regionOf(token);
    if (region.vector === undefined) await driver.bindVector(token, CHANNEL_VECTOR);
    return region;
  };

  const handlers: { [K in GuestCommandName]: (args: GuestCommands[K]) => Promise<unknown> } = {
    info: async () => ({ devid: driver.devid, devMem: driver.devMem, chunkSize: driver.chunkSize, notifySize: driver.notifySize }),
    alloc: async ({ size }) => summary(await driver.alloc(size)),
    attach: async ({ token, read, write }) => summary(await driver.attach(token, { read, write })),
    query: async ({ token }) => driver.query(token),
    grant: async ({ token, permissions }) => driver.grant(token, permissions),
    grantDevice: async ({ token, devid, permissions }) => driver.grantDevice(token, devid, permissions),
    bindVector: async ({ token, vector }) => driver.bindVector(token, vector),
    write: async ({ token, offset, data }) => regionOf(token).write(offset, data),
    read: async ({ token, offset, length }) => regionOf(token).read(offset, length),
    kick: async ({ token }) => regionOf(token).kick(),
    detach: async ({ token }) => driver.detach(token),
    waitEvent: ({ type, devid, timeoutMs }) =>
      new Promise<SerializedEvent>((resolve, reject) => {
        const matches = (e: SerializedEvent): boolean => e.type === type && (devid === undefined || e.devid === devid);
        const found = log.find(matches);
        if (found !== undefined) return resolve(found);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new IsmDriverError("timeout", `no ${type} event within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (e: SerializedEvent): boolean => {
          if (!matches(e)) return false;
          clearTimeout(timer);
          resolve(e);
          return true;
        };
        waiters.add(waiter);
      }),
    pingpong: async (args) => pingpong(await channelRegion(args.token), args),
    stream: async (args) => stream(await channelRegion(args.token), args),
    stats: async () => ({ ...driver.stats, ...driver.memory, regions: driver.regions().length }),
    close: async ({ detachAll }) => {
      if (detachAll) await driver.detachAll();
      await driver.close();
      transport.close();
      setImmediate(() => process.exit(0));
      return undefined;
    },
  };

  port!.on("message", (message: GuestCommandMessage) => {
    void (async () => {
      const handler = handlers[message.cmd] as ((args: unknown) => Promise<unknown>) | undefined;
      try {
        if (handler === undefined) throw new IsmDriverError("invalid-argument", `unknown command ${String(message.cmd)}`);
        const result = await handler(message.args);
        const transfer = result instanceof Object && "samplesUs" in result && (result as PingPongResult).samplesUs !== undefined ? [(result as PingPongResult).samplesUs!.buffer as ArrayBuffer] : [];
        post({ kind: "reply", id: message.id, ok: true, result }, transfer);
      } catch (error) {
        post({ kind: "reply", id: message.id, ok: false, error: serializeError(error) });
      }
    })();
  });
  post({ kind: "ready", devid: driver.devid, devMem: driver.devMem, chunkSize: driver.chunkSize, notifySize: driver.notifySize });
}

/** The wait budget a channel command asks for. */
function budgetOf(args: { readonly spinNanoseconds: number; readonly napNanoseconds?: number; readonly timeoutMs?: number }): WaitBudget {
  return {
    spinNanoseconds: args.spinNanoseconds,
    ...(args.napNanoseconds === undefined ? {} : { napNanoseconds: args.napNanoseconds }),
    ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
  };
}

/** Request/response through the region's mailbox; the initiator times each round trip. */
function pingpong(region: IsmRegionHandle, args: GuestCommands["pingpong"]): PingPongResult {
  if (!Number.isSafeInteger(args.rounds) || args.rounds < 1) throw new IsmDriverError("invalid-argument", `rounds must be a positive integer, got ${String(args.rounds)}`);
  // Two bytes at least: the second carries the end-of-exchange mark.
  if (!Number.isSafeInteger(args.messageBytes) || args.messageBytes < 2 || args.messageBytes > CHANNEL_MAX_MESSAGE) {
    throw new IsmDriverError("invalid-argument", `message size must be in [2, ${CHANNEL_MAX_MESSAGE}], got ${String(args.messageBytes)}`);
  }
  const budget = budgetOf(args);
  const side = args.role === "initiator" ? 0 : 1;
  const mailbox = new Mailbox(region.views(), CHANNEL_MAILBOX_OFFSET, side, CHANNEL_MAX_MESSAGE, regionSignal(region), budget);
  const message = new Uint8Array(args.messageBytes);
  const inbox = new Uint8Array(CHANNEL_MAX_MESSAGE);
  const every = args.progressEvery ?? 0;
  const before = { ...waitCounters };
  const waits = (): { spun: number; napped: number; slept: number } => ({
    spun: waitCounters.spun - before.spun,
    napped: waitCounters.napped - before.napped,
    slept: waitCounters.slept - before.slept,
  });
  if (args.role === "responder") {
    let rounds = 0;
    while (rounds < args.rounds) {
      const n = mailbox.receive(inbox);
      mailbox.send(inbox, n);
      rounds++;
      if (n >= 2 && inbox[1] === LAST_ROUND) break;
    }
    return { rounds, ...waits() };
  }
  const samples = new Float64Array(args.rounds);
  const deadline = args.maxSeconds === undefined ? Number.POSITIVE_INFINITY : performance.now() + args.maxSeconds * 1000;
  let rounds = 0;
  for (let i = 0; i < args.rounds; i++) {
    message[0] = i & 0xff;
    // The initiator decides when to stop and tells the responder in the message itself.
    const last = i === args.rounds - 1 || ((i & 255) === 255 && performance.now() > deadline);
    if (last) message[1] = LAST_ROUND;
    const t0 = performance.now();
    mailbox.send(message);
    mailbox.receive(inbox);
    samples[i] = (performance.now() - t0) * 1000;
    rounds++;
    if (inbox[0] !== (i & 0xff)) throw new IsmDriverError("bad-reply", `round ${i}: the echo carries ${inbox[0]}`);
    if (every > 0 && (i + 1) % every === 0) post({ kind: "progress", phase: "pingpong", done: i + 1, total: args.rounds });
    if (last) break;
  }
  return { rounds, samplesUs: samples.slice(0, rounds), ...waits() };
}

/** Streams `bytes` through the region's byte ring. */
function stream(region: IsmRegionHandle, args: GuestCommands["stream"]): StreamResult {
  const budget = budgetOf(args);
  const views = region.views();
  const capacity = ringCapacityFor(region.size - CHANNEL_RING_OFFSET);
  const ring = new ByteRing(views, CHANNEL_RING_OFFSET, capacity, args.role, regionSignal(region), budget);
  const warmup = args.warmupBytes ?? 0;
  if (!Number.isSafeInteger(warmup) || warmup < 0) throw new IsmDriverError("invalid-argument", `warm-up bytes must be a non-negative integer, got ${String(warmup)}`);
  const before = { ...waitCounters };
  const result = streamThrough(ring, args.role, args.bytes, args.chunkBytes, args.consume === "in-place", warmup, args.progressEvery ?? 0, (done, total) =>
    post({ kind: "progress", phase: "stream", done, total }),
  );
  return { ...result, spun: waitCounters.spun - before.spun, napped: waitCounters.napped - before.napped, slept: waitCounters.slept - before.slept };
}

void main();
