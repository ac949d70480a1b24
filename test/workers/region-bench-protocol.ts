/**
 * Shared-memory request protocol between test/bench/region-bandwidth.bench.ts and its peer worker
 * (test/workers/region-bench-peer.worker.ts). Kept apart from the worker so the bench can import it without
 * running the worker's body.
 */

/** Request words: [0] = mode, [1] = length in bytes, [2] = region offset for `handle` mode. */
export const REQUEST_MODE = 0;
/** Index of the request's byte length. */
export const REQUEST_LENGTH = 1;
/** Index of the request's region offset (handle mode). */
export const REQUEST_OFFSET = 2;
/** Mode value: stop the worker. */
export const MODE_STOP = 0;
/** Mode value: read through the region handle. */
export const MODE_HANDLE = 1;
/** Mode value: copy out of the raw SharedArrayBuffer. */
export const MODE_RAW = 2;
