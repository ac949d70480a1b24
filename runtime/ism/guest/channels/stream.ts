/**
 * Streaming the test pattern through a {@link ByteRing}, the same way on both sides of every benchmark and demo
 * (ISM region or raw SharedArrayBuffer): the producer writes pattern slices in `chunkBytes` pieces; the consumer
 * either copies each piece out (as a socket read does) or looks at it where it lies (zero-copy), and checks
 * three sample bytes of it against the pattern either way.
 *
 * A warm-up prefix is streamed first and not timed, so that the timed part runs JIT-compiled code.
 *
 * @module
 */
import { IsmDriverError } from "../../driver/index.js";
import type { ByteRing } from "./byte-ring.js";
import { patternMismatches, patternSlice, patternSource } from "./pattern.js";

/** What one side of a stream measured. */
export interface StreamMeasurement {
  /** Bytes moved in the timed part. */
  readonly bytes: number;
  /** Seconds the timed part took (consumer: from its first timed byte to its last). */
  readonly seconds: number;
  /** Sampled bytes that did not match the pattern (consumer only; 0 = intact). */
  readonly mismatches: number;
}

/**
 * Streams `warmupBytes + bytes` through `ring` as `role`.
 *
 * @param onProgress - called with the timed bytes moved so far, every `progressEvery` bytes (0: never)
 * @throws IsmDriverError `invalid-argument` for bad sizes; errors of the ring (`timeout`, `bad-reply`)
 */
export function streamThrough(
  ring: ByteRing,
  role: "producer" | "consumer",
  bytes: number,
  chunkBytes: number,
  inPlace: boolean,
  warmupBytes: number,
  progressEvery: number,
  onProgress: (done: number, total: number) => void = () => {},
): StreamMeasurement {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new IsmDriverError("invalid-argument", `bytes must be a positive integer, got ${String(bytes)}`);
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > 1 << 24) {
    throw new IsmDriverError("invalid-argument", `chunk size must be in [1, 2^24], got ${String(chunkBytes)}`);
  }
  const total = warmupBytes + bytes;
  let moved = 0;
  let mismatches = 0;
  let start = role === "producer" && warmupBytes === 0 ? performance.now() : 0;
  let nextReport = progressEvery;
  if (role === "producer") {
    const source = patternSource(chunkBytes);
    while (moved < total) {
      const n = Math.min(chunkBytes, total - moved, moved < warmupBytes ? warmupBytes - moved : Number.POSITIVE_INFINITY);
      ring.write(patternSlice(source, moved, n));
      moved += n;
      if (moved === warmupBytes) start = performance.now();
      if (progressEvery > 0 && moved - warmupBytes >= nextReport) {
        onProgress(moved - warmupBytes, bytes);
        nextReport += progressEvery;
      }
    }
  } else {
    const target = new Uint8Array(chunkBytes);
    const check = (piece: Uint8Array, offset: number): void => {
      mismatches += patternMismatches(piece, piece.length, moved + offset);
    };
    while (moved < total) {
      // Never read across the end of the warm-up, so that timing starts exactly there. After a warm-up the
      // producer is already streaming, so the clock starts before the first timed read; without one, it starts
      // when the first byte arrives (not while waiting for the producer to begin).
      if (moved === warmupBytes && warmupBytes > 0) start = performance.now();
      const want = Math.min(target.length, total - moved, moved < warmupBytes ? warmupBytes - moved : Number.POSITIVE_INFINITY);
      const n = inPlace ? ring.readInPlace(want, check) : ring.read(target.subarray(0, want));
      if (!inPlace) mismatches += patternMismatches(target, n, moved);
      if (moved === 0 && warmupBytes === 0) start = performance.now();
      moved += n;
    }
  }
  return { bytes: moved - warmupBytes, seconds: (performance.now() - start) / 1000, mismatches };
}
