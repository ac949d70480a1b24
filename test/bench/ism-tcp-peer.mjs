#!/usr/bin/env node
// @ts-check
/**
 * The other process of the TCP loopback baselines of test/bench/ism-bench.mjs.
 *
 *   node ism-tcp-peer.mjs echo          echo server: every byte received is sent back (ping-pong)
 *   node ism-tcp-peer.mjs sink <bytes>  receives <bytes> and reports, as one JSON line on stdout,
 *                                       { bytes, seconds } from the first byte received to the last
 *
 * It listens on 127.0.0.1 on an ephemeral port and prints `{"port": n}` first.
 */
import { createServer } from "node:net";

const mode = process.argv[2];
const expected = Number(process.argv[3] ?? 0);
const server = createServer((socket) => {
  socket.setNoDelay(true);
  if (mode === "echo") {
    socket.on("data", (chunk) => socket.write(chunk));
    socket.on("end", () => process.exit(0));
    return;
  }
  let received = 0;
  let first = 0;
  socket.on("data", (chunk) => {
    if (received === 0) first = performance.now();
    received += chunk.length;
    if (received >= expected) {
      const seconds = (performance.now() - first) / 1000;
      process.stdout.write(JSON.stringify({ bytes: received, seconds }) + "\n");
      socket.end();
      server.close();
    }
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(JSON.stringify({ port: typeof address === "object" && address !== null ? address.port : 0 }) + "\n");
});
