/**
 * One end of the TCP loopback baseline (see ../tcp-baseline.ts): the receiver listens on 127.0.0.1, checks
 * every frame's header and reports; the sender writes length-prefixed test frames for a fixed time, in 64 KiB
 * chunks, honouring the socket's back-pressure.
 *
 * @module
 */
import { createConnection, createServer } from "node:net";
import type { Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { FrameChecker, writeTestFrame } from "../../virtio-net/test-frames.js";
import type { TcpBaselineTask, TcpReceiverReport } from "../tcp-baseline.js";

const CHUNK = 64 * 1024;
const task = workerData as TcpBaselineTask;

if (task.role === "receiver") receive();
else send(task.port, task.frameSize, task.durationMs);

function receive(): void {
  const checker = new FrameChecker({ stream: 1, mode: "light" });
  let first = { ms: 0, count: 0, bytes: 0 };
  let last = { ms: 0, count: 0, bytes: 0 };
  const server = createServer((socket: Socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      let buf = pending.length > 0 ? Buffer.concat([pending, data]) : data;
      let at = 0;
      while (buf.length - at >= 2) {
        const length = buf.readUInt16LE(at);
        if (buf.length - at - 2 < length) break;
        checker.check(buf, at + 2, length);
        at += 2 + length;
      }
      pending = at < buf.length ? buf.subarray(at) : Buffer.alloc(0);
      buf = pending;
      const now = { ms: performance.now(), count: checker.stats.received, bytes: checker.stats.bytes };
      if (first.ms === 0) first = now;
      last = now;
    });
    socket.on("end", () => {
      const s = checker.stats;
      const report: TcpReceiverReport = { received: s.received, bytes: s.bytes, corrupted: s.corrupted, lost: s.lost, duplicated: s.duplicated, first, last };
      parentPort!.postMessage(report);
      server.close();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    parentPort!.postMessage({ port: typeof address === "object" && address !== null ? address.port : 0 });
  });
}

function send(port: number, frameSize: number, durationMs: number): void {
  const socket = createConnection({ port, host: "127.0.0.1", noDelay: true });
  let seq = 0;
  socket.on("connect", () => {
    const deadline = performance.now() + durationMs;
    const pump = (): void => {
      while (performance.now() < deadline) {
        const frames = Math.floor(CHUNK / (frameSize + 2));
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
