/**
 * One end of a loopback baseline (see ../tcp-baseline.ts). The receiver listens on 127.0.0.1, checks every
 * frame's header and reports; the sender sends test frames for a fixed time, honouring back-pressure:
 * - `tcp-stream`: length-prefixed frames packed into 64 KiB writes;
 * - `tcp-per-frame`: one write per length-prefixed frame;
 * - `udp`: one datagram per frame, then an empty datagram (repeated) to say the run is over.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { createConnection, createServer } from "node:net";
import type { Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { FrameChecker, writeTestFrame } from "../../virtio-net/test-frames.js";
import type { TcpBaselineTask, TcpReceiverReport } from "../tcp-baseline.js";

const CHUNK = 64 * 1024;
/** UDP: datagrams the sender keeps in flight before it yields to the event loop (send callbacks). */
const UDP_WINDOW = 64;
const task = workerData as TcpBaselineTask;

if (task.role === "receiver") {
  if (task.mode === "udp") receiveUdp();
  else receiveTcp();
} else if (task.mode === "udp") sendUdp(task.port, task.frameSize, task.durationMs);
else sendTcp(task.port, task.frameSize, task.durationMs, task.mode === "tcp-per-frame");

function reporter(checker: FrameChecker): { sample: () => void; report: () => TcpReceiverReport } {
  let first = { ms: 0, count: 0, bytes: 0 };
  let last = { ms: 0, count: 0, bytes: 0 };
  return {
    sample: () => {
      const now = { ms: performance.now(), count: checker.stats.received, bytes: checker.stats.bytes };
      if (first.ms === 0) first = now;
      last = now;
    },
    report: () => {
      const s = checker.stats;
      return { received: s.received, bytes: s.bytes, corrupted: s.corrupted, lost: s.lost, duplicated: s.duplicated, first, last };
    },
  };
}

function receiveTcp(): void {
  const checker = new FrameChecker({ stream: 1, mode: "light" });
  const r = reporter(checker);
  const server = createServer((socket: Socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      const buf = pending.length > 0 ? Buffer.concat([pending, data]) : data;
      let at = 0;
      while (buf.length - at >= 2) {
        const length = buf.readUInt16LE(at);
        if (buf.length - at - 2 < length) break;
        checker.check(buf, at + 2, length);
        at += 2 + length;
      }
      pending = at < buf.length ? buf.subarray(at) : Buffer.alloc(0);
      r.sample();
    });
    socket.on("end", () => {
      parentPort!.postMessage(r.report());
      server.close();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    parentPort!.postMessage({ port: typeof address === "object" && address !== null ? address.port : 0 });
  });
}

function sendTcp(port: number, frameSize: number, durationMs: number, perFrame: boolean): void {
  const socket = createConnection({ port, host: "127.0.0.1", noDelay: true });
  let seq = 0;
  socket.on("connect", () => {
    const deadline = performance.now() + durationMs;
    const frames = perFrame ? 1 : Math.floor(CHUNK / (frameSize + 2));
    const pump = (): void => {
      while (performance.now() < deadline) {
        const chunk = Buffer.allocUnsafe(frames * (frameSize + 2));
        for (let i = 0; i < frames; i++) {
          const o = i * (frameSize + 2);
          chunk.writeUInt16LE(frameSize, o);
          writeTestFrame(chunk, o + 2, seq++, frameSize, 1, "light");
        }
        if (!socket.write(chunk)) {
          socket.once("drain", pump);
          return;
        }
      }
      socket.end(() => parentPort!.postMessage({ sent: seq }));
    };
    pump();
  });
}

function receiveUdp(): void {
  const checker = new FrameChecker({ stream: 1, mode: "light" });
  const r = reporter(checker);
  const socket = createSocket("udp4");
  let done = false;
  socket.on("message", (msg: Buffer) => {
    if (done) return;
    if (msg.length === 0) {
      done = true;
      parentPort!.postMessage(r.report());
      socket.close();
      return;
    }
    checker.check(msg, 0, msg.length);
    r.sample();
  });
  socket.bind(0, "127.0.0.1", () => parentPort!.postMessage({ port: socket.address().port }));
}

function sendUdp(port: number, frameSize: number, durationMs: number): void {
  const socket = createSocket("udp4");
  let seq = 0;
  let inFlight = 0;
  const deadline = performance.now() + durationMs;
  const finish = (): void => {
    // The end marker may itself be dropped: send it a few times, spaced out.
    let left = 5;
    const mark = (): void => {
      socket.send(Buffer.alloc(0), port, "127.0.0.1", () => {
        if (--left > 0) setTimeout(mark, 20);
        else {
          parentPort!.postMessage({ sent: seq });
          socket.close();
        }
      });
    };
    mark();
  };
  const pump = (): void => {
    while (inFlight < UDP_WINDOW) {
      if (performance.now() >= deadline) {
        if (inFlight === 0) finish();
        return;
      }
      const frame = Buffer.allocUnsafe(frameSize);
      writeTestFrame(frame, 0, seq++, frameSize, 1, "light");
      inFlight++;
      socket.send(frame, port, "127.0.0.1", () => {
        inFlight--;
        pump();
      });
    }
  };
  pump();
}
