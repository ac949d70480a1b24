/**
 * Traffic endpoints made of test frames: a {@link FrameSource} that sends a numbered sequence and a
 * {@link FrameSink} that checks what arrives (see test-frames.ts). Used by the pair workers, the demo and the
 * tests.
 *
 * @module
 */
import type { FrameSink, FrameSource } from "./frame-io.js";
import { FrameChecker, MAX_ETHERNET_FRAME, TEST_FRAME_HEADER, writeTestFrame } from "./test-frames.js";
import type { FrameCheckMode, FrameExpectation } from "./test-frames.js";

/** What a {@link TestFrameSource} sends. */
export interface TrafficPlan {
  /** Frames to send (Infinity: until stopped). */
  readonly count: number;
  /** Frame lengths, used in turn (frame `seq` has length `sizes[seq % sizes.length]`). */
  readonly sizes: readonly number[];
  /** Stream id written into each frame (tells the two directions apart). */
  readonly stream: number;
  /** How much integrity data each frame carries. */
  readonly mode: FrameCheckMode;
}

/** Sends frames 0, 1, 2, … of a plan. */
export class TestFrameSource implements FrameSource {
  /** Frames produced so far. */
  produced = 0;
  readonly #plan: TrafficPlan;
  #limit: number;

  /** @throws RangeError for a size outside [26, 1514] or a count that is not a non-negative integer or Infinity */
  constructor(plan: TrafficPlan) {
    if (plan.sizes.length === 0 || plan.sizes.some((s) => !Number.isInteger(s) || s < TEST_FRAME_HEADER || s > MAX_ETHERNET_FRAME)) {
      throw new RangeError(`frame sizes must be integers in ${TEST_FRAME_HEADER}..${MAX_ETHERNET_FRAME}`);
    }
    if (plan.count !== Infinity && (!Number.isSafeInteger(plan.count) || plan.count < 0)) throw new RangeError(`frame count ${plan.count}`);
    this.#plan = plan;
    this.#limit = plan.count;
  }

  /** Stops sending (frames already produced stay sent). */
  stop(): void {
    this.#limit = this.produced;
  }

  /** Whether every frame of the plan was produced. */
  get done(): boolean {
    return this.produced >= this.#limit;
  }

  /** Writes the next frame into `dst`; 0 when done. */
  produce(dst: Uint8Array): number {
    if (this.produced >= this.#limit) return 0;
    const seq = this.produced;
    const sizes = this.#plan.sizes;
    const length = sizes[seq % sizes.length]!;
    writeTestFrame(dst, 0, seq, length, this.#plan.stream, this.#plan.mode);
    this.produced++;
    return length;
  }
}

/** Checks every frame it receives. */
export class TestFrameSink {
  /** The checker (its `stats` say what arrived). */
  readonly checker: FrameChecker;

  /** @param expect - the stream and mode of the frames (checked when given) */
  constructor(expect: FrameExpectation = {}) {
    this.checker = new FrameChecker(expect);
  }

  /** The sink to give a driver. */
  readonly sink: FrameSink = (bytes, offset, length) => {
    this.checker.check(bytes, offset, length);
  };
}
