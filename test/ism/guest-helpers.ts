/**
 * Helpers of the worker-guest tests: the compiled generic guest program, and hosts that are always shut down.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GuestProgramClient, IsmHost } from "../../runtime/ism/guest/index.js";
import type { IsmHostOptions, IsmSpawnOptions } from "../../runtime/ism/guest/index.js";
import { currentRingLayout } from "./driver-helpers.js";

/** The compiled guest program (tests run from sources; workers need JavaScript). */
export const GUEST_PROGRAM = new URL("../../dist/runtime/ism/guest/ism-guest.worker.js", import.meta.url);

if (!existsSync(fileURLToPath(GUEST_PROGRAM))) {
  throw new Error("dist/runtime/ism/guest/ism-guest.worker.js is missing: run `npm run build` first");
}

/** Spawns the generic guest program with small defaults. */
export function guest(host: IsmHost, name: string, options: Partial<Omit<IsmSpawnOptions, "name" | "data">> = {}): GuestProgramClient {
  return GuestProgramClient.spawn(host, { name, chunkCount: 128, memoryBytes: 1 << 20, offerPackedRing: currentRingLayout() === "packed", ...options, entry: GUEST_PROGRAM });
}

/** Runs `body` with a started host, and shuts the host down (terminating its guests) whatever happens. */
export async function withHost<T>(body: (host: IsmHost) => Promise<T>, options: IsmHostOptions = {}): Promise<T> {
  const host = new IsmHost({ chunkSize: 4096, ...options });
  host.start();
  try {
    return await body(host);
  } finally {
    await host.shutdown();
  }
}
