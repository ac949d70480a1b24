import { describe, expect, it, vi } from "vitest";
import {
  DEFAULT_SPIN_ITERATIONS,
  DOORBELL_STRIDE_WORDS,
  Doorbell,
  DoorbellBank,
  InterruptTable,
  NotifyArea,
  NotifyError,
  VIRTIO_MSI_NO_VECTOR,
  hasWaitAsync,
  ringsBetween,
} from "../../runtime/notify/index.js";
import type { NotifyErrorReason } from "../../runtime/notify/index.js";

function refusal(op: () => unknown): NotifyErrorReason {
  try {
    op();
  } catch (e) {
    if (e instanceof NotifyError) return e.reason;
    throw e;
  }
  throw new Error("expected a NotifyError, but the operation succeeded");
}

describe("Doorbell within one thread", () => {
  it("ring increments the counter and a wait on the old value returns at once, without spinning or sleeping", () => {
    const d = Doorbell.create();
    const seen = d.load();
    expect(d.ring()).toBe(seen + 1);
    const r = d.wait(seen);
    expect(r).toEqual({ outcome: "rung", value: seen + 1, spins: 0, slept: false });
  });

  it("counts coalesced rings, also across the 32-bit wrap", () => {
    const d = Doorbell.create();
    new Int32Array(d.buffer)[d.index] = 0x7fff_fffe;
    const seen = d.load();
    d.ring();
    d.ring();
    d.ring();
    const r = d.wait(seen);
    expect(r.value).toBe(-0x7fff_ffff);
    expect(ringsBetween(seen, r.value)).toBe(3);
  });

  it("spin budget 0 goes straight to Atomics.wait", () => {
    const d = Doorbell.create();
    const r = d.wait(d.load(), { spinIterations: 0, timeoutMs: 5 });
    expect(r).toMatchObject({ outcome: "timed-out", spins: 0, slept: true });
  });

  it("an iteration budget polls exactly that many times before sleeping", () => {
    const d = Doorbell.create();
    const r = d.wait(d.load(), { spinIterations: 777, timeoutMs: 5 });
    expect(r).toMatchObject({ outcome: "timed-out", spins: 777, slept: true });
    const byDefault = d.wait(d.load(), { timeoutMs: 1 });
    expect(byDefault.spins).toBe(DEFAULT_SPIN_ITERATIONS);
  });

  it("a nanosecond budget spins for at least that long before sleeping", () => {
    const d = Doorbell.create();
    const start = performance.now();
    const r = d.wait(d.load(), { spinNanoseconds: 3_000_000, timeoutMs: 20 });
    expect(r.outcome).toBe("timed-out");
    expect(r.spins).toBeGreaterThan(0);
    expect(r.slept).toBe(true);
    expect(performance.now() - start).toBeGreaterThanOrEqual(3);
  });

  it("the timeout bounds the spin phase too", () => {
    const d = Doorbell.create();
    const r = d.wait(d.load(), { spinNanoseconds: 60_000_000_000, timeoutMs: 2 });
    expect(r).toMatchObject({ outcome: "timed-out", slept: false });
  });

  it.each([
    [{ spinIterations: -1 }],
    [{ spinIterations: 1.5 }],
    [{ spinNanoseconds: Number.NaN }],
    [{ spinIterations: 1, spinNanoseconds: 1 }],
    [{ timeoutMs: -1 }],
    [{ timeoutMs: Number.NaN }],
  ])("refuses wait options %j", (options) => {
    const d = Doorbell.create();
    expect(refusal(() => d.wait(d.load(), options))).toBe("invalid-option");
  });

  it("refuses a non-integer awaited value", () => {
    const d = Doorbell.create();
    expect(refusal(() => d.wait(0.5))).toBe("invalid-option");
  });

  it("calls in-thread listeners on ring until unsubscribed", () => {
    const d = Doorbell.create();
    const seen: number[] = [];
    const stop = d.subscribe((v) => seen.push(v));
    d.ring();
    d.ring();
    stop();
    d.ring();
    expect(seen).toEqual([1, 2]);
  });

  it("a throwing listener does not stop the ring or the other listeners", () => {
    const d = Doorbell.create();
    const other = vi.fn();
    d.subscribe(() => {
      throw new Error("boom");
    });
    d.subscribe(other);
    const e = (() => {
      try {
        d.ring();
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(NotifyError);
    expect((e as NotifyError).reason).toBe("listener-failed");
    expect((e as NotifyError).cause).toBeInstanceOf(AggregateError);
    expect(other).toHaveBeenCalledWith(1);
    expect(d.load()).toBe(1);
  });

  it("waitAsync resolves on a later ring without blocking the thread", async () => {
    expect(hasWaitAsync()).toBe(true);
    const d = Doorbell.create();
    const seen = d.load();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    setTimeout(() => d.ring(), 20);
    const r = await d.waitAsync(seen, { timeoutMs: 5_000 });
    clearInterval(ticker);
    expect(r).toEqual({ outcome: "rung", value: seen + 1 });
    expect(ticks).toBeGreaterThan(0);
  });

  it("waitAsync times out, and returns at once when the value already moved", async () => {
    const d = Doorbell.create();
    await expect(d.waitAsync(d.load(), { timeoutMs: 5 })).resolves.toEqual({ outcome: "timed-out", value: 0 });
    d.ring();
    await expect(d.waitAsync(0)).resolves.toEqual({ outcome: "rung", value: 1 });
    await expect(d.waitAsync(1, { timeoutMs: -3 })).rejects.toMatchObject({ reason: "invalid-option" });
  });

  it("round-trips through a structured-clone descriptor onto the same word", () => {
    const d = new Doorbell(new SharedArrayBuffer(64), 5);
    const copy = Doorbell.fromDescriptor(structuredClone(d.toDescriptor()));
    copy.ring();
    expect(d.load()).toBe(1);
    expect(new Int32Array(d.buffer)[5]).toBe(1);
  });

  it.each([
    ["null", null],
    ["wrong kind", { kind: "x", version: 1, buffer: new SharedArrayBuffer(4), index: 0 }],
    ["plain ArrayBuffer", { kind: "virtiokit/doorbell", version: 1, buffer: new ArrayBuffer(4), index: 0 }],
    ["index past the buffer", { kind: "virtiokit/doorbell", version: 1, buffer: new SharedArrayBuffer(8), index: 2 }],
    ["negative index", { kind: "virtiokit/doorbell", version: 1, buffer: new SharedArrayBuffer(8), index: -1 }],
    ["missing index", { kind: "virtiokit/doorbell", version: 1, buffer: new SharedArrayBuffer(8) }],
  ])("refuses a descriptor with %s", (_, descriptor) => {
    expect(refusal(() => Doorbell.fromDescriptor(descriptor))).toMatch(/^invalid-(descriptor|index)$/);
  });
});

describe("DoorbellBank and NotifyArea", () => {
  it("keeps doorbells on separate cache lines and independent", () => {
    const bank = new DoorbellBank(4);
    expect(bank.buffer.byteLength).toBe(4 * DOORBELL_STRIDE_WORDS * 4);
    bank.doorbell(2).ring();
    expect([0, 1, 2, 3].map((i) => bank.doorbell(i).load())).toEqual([0, 0, 1, 0]);
    expect(bank.doorbell(2).index).toBe(2 * DOORBELL_STRIDE_WORDS);
    expect(bank.doorbell(1)).toBe(bank.doorbell(1));
    expect(refusal(() => bank.doorbell(4))).toBe("invalid-index");
    expect(refusal(() => new DoorbellBank(0))).toBe("invalid-index");
  });

  it("is rebuilt from its descriptor onto the same counters", () => {
    const bank = new DoorbellBank(3);
    const copy = DoorbellBank.fromDescriptor(structuredClone(bank.toDescriptor()));
    copy.doorbell(1).ring();
    expect(bank.doorbell(1).load()).toBe(1);
    expect(refusal(() => DoorbellBank.fromDescriptor({ ...bank.toDescriptor(), count: 4 }))).toBe("invalid-descriptor");
  });

  it("kicks the doorbell of the notify address containing the written offset", () => {
    const area = new NotifyArea(new DoorbellBank(3), 8);
    area.kick(0);
    area.kick(17);
    area.kick(23);
    expect([0, 1, 2].map((i) => area.bank.doorbell(i).load())).toEqual([1, 0, 2]);
    expect(area.offsetOf(2)).toBe(16);
    expect(refusal(() => area.kick(24))).toBe("invalid-offset");
    expect(refusal(() => area.kick(-1))).toBe("invalid-offset");
    expect(refusal(() => new NotifyArea(new DoorbellBank(1), 0))).toBe("invalid-option");
  });
});

describe("InterruptTable", () => {
  it("delivers unmasked vectors, holds masked ones pending and delivers them once on unmask", () => {
    const t = new InterruptTable(4);
    expect(t.raise(1)).toBe("delivered");
    expect(t.doorbell(1).load()).toBe(1);
    t.mask(1);
    expect(t.isMasked(1)).toBe(true);
    expect(t.raise(1)).toBe("pending");
    expect(t.raise(1)).toBe("pending");
    expect(t.isPending(1)).toBe(true);
    expect(t.doorbell(1).load()).toBe(1);
    expect(t.unmask(1)).toBe(true);
    expect(t.doorbell(1).load()).toBe(2);
    expect(t.isPending(1)).toBe(false);
    expect(t.unmask(1)).toBe(false);
    expect(t.doorbell(0).load()).toBe(0);
  });

  it("ignores VIRTIO_MSI_NO_VECTOR and refuses vectors outside the table", () => {
    const t = new InterruptTable(2);
    expect(t.raise(VIRTIO_MSI_NO_VECTOR)).toBe("no-vector");
    expect(refusal(() => t.raise(2))).toBe("invalid-vector");
    expect(refusal(() => t.mask(-1))).toBe("invalid-vector");
    expect(refusal(() => new InterruptTable(2049))).toBe("invalid-vector");
  });

  it("shares mask and pending state through its descriptor", () => {
    const t = new InterruptTable(2);
    const copy = InterruptTable.fromDescriptor(structuredClone(t.toDescriptor()));
    copy.mask(0);
    expect(t.raise(0)).toBe("pending");
    expect(copy.isPending(0)).toBe(true);
    expect(copy.unmask(0)).toBe(true);
    expect(t.doorbell(0).load()).toBe(1);
  });
});
