/**
 * Typed access to `Atomics.waitAsync` (ES2024; present in Node 20, absent from this project's ES2023 lib
 * typings), plus the event-loop keep-alive Node needs around it.
 *
 * Node (through at least v22; nodejs/node#44729, #61941) does not keep the event loop alive for a pending
 * `Atomics.waitAsync`: a worker whose only pending work is such a wait exits silently, and the wait never
 * settles. {@link waitAsyncKeepingAlive} therefore holds a ref'd timer for as long as the wait is pending.
 *
 * @module
 */
import { NotifyError } from "./errors.js";

/** Result of `Atomics.waitAsync`, per ECMA-262. */
export type AtomicsWaitAsyncResult =
  | { readonly async: false; readonly value: "not-equal" | "timed-out" }
  | { readonly async: true; readonly value: Promise<"ok" | "timed-out"> };

type WaitAsyncFn = (array: Int32Array, index: number, value: number, timeout?: number) => AtomicsWaitAsyncResult;

/** @returns whether this engine provides `Atomics.waitAsync` */
export function hasWaitAsync(): boolean {
  return typeof (Atomics as unknown as { waitAsync?: unknown }).waitAsync === "function";
}

/** Longest keep-alive timer period Node accepts (2^31 - 1 ms); the timer only needs to exist, never fire. */
const KEEP_ALIVE_PERIOD_MS = 0x7fff_ffff;

/**
 * Waits without blocking until `array[index] !== value`, a notify, or `timeoutMs` elapses, keeping the event
 * loop alive meanwhile (unless `keepAlive` is false).
 *
 * @returns `"not-equal"` (value already differed), `"ok"` (notified) or `"timed-out"`
 * @throws NotifyError `unsupported` if the engine lacks `Atomics.waitAsync`
 */
export async function waitAsyncKeepingAlive(
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
  keepAlive = true,
): Promise<"not-equal" | "ok" | "timed-out"> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsyncFn }).waitAsync;
  if (typeof waitAsync !== "function") throw new NotifyError("unsupported", "Atomics.waitAsync is not available in this engine");
  const result = waitAsync(array, index, value, timeoutMs);
  if (!result.async) return result.value;
  if (!keepAlive) return result.value;
  const timer = setInterval(() => {}, KEEP_ALIVE_PERIOD_MS);
  try {
    return await result.value;
  } finally {
    clearInterval(timer);
  }
}
