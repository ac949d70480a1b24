/**
 * The bounded queue of events waiting for eventq buffers: order, coalescing of identical UPDATEs, the
 * eviction order when full (oldest UPDATE, then oldest ATTACH/DETACH, BUFFER_FREE never evicted), and taking
 * whole events into a buffer of a given size.
 */
import { describe, expect, it } from "vitest";
import { IsmError, IsmEventQueue } from "../../runtime/ism/index.js";
import type { IsmEvent } from "../../runtime/ism/index.js";

const upd = (offset: number, devid = 1n): IsmEvent => ({ kind: "update", offset, devid });
const att = (offset: number, peers = 1): IsmEvent => ({ kind: "attach", offset, devid: 2n, peers });
const det = (offset: number, peers = 0): IsmEvent => ({ kind: "detach", offset, devid: 2n, peers });
const free = (buffer: bigint): IsmEvent => ({ kind: "buffer-free", buffer });

describe("IsmEventQueue", () => {
  it("keeps events in order and coalesces an identical pending UPDATE", () => {
    const q = new IsmEventQueue(8);
    expect(q.push(upd(0))).toBe("queued");
    expect(q.push(att(0))).toBe("queued");
    expect(q.push(upd(0))).toBe("coalesced");
    expect(q.push(upd(0, 5n))).toBe("queued"); // another kicker: not identical
    expect(q.pending()).toEqual([upd(0), att(0), upd(0, 5n)]);
    q.take(24); // the first UPDATE is gone: a new identical one is queued again
    expect(q.push(upd(0))).toBe("queued");
    expect(q.stats).toMatchObject({ queued: 4, coalesced: 1, delivered: 1 });
  });

  it("when full evicts the oldest UPDATE, then the oldest ATTACH/DETACH, and drops only when all are BUFFER_FREE", () => {
    const q = new IsmEventQueue(3);
    q.push(att(0));
    q.push(upd(64));
    q.push(det(128));
    expect(q.push(free(1n))).toBe("evicted-oldest");
    expect(q.pending()).toEqual([att(0), det(128), free(1n)]);
    expect(q.push(free(2n))).toBe("evicted-oldest");
    expect(q.pending()).toEqual([det(128), free(1n), free(2n)]);
    expect(q.push(upd(0))).toBe("evicted-oldest");
    expect(q.pending()).toEqual([free(1n), free(2n), upd(0)]);
    expect(q.push(free(3n))).toBe("evicted-oldest");
    expect(q.push(free(4n))).toBe("dropped");
    expect(q.pending()).toEqual([free(1n), free(2n), free(3n)]);
    expect(q.stats.evicted).toEqual({ update: 2, attach: 1, detach: 1, "buffer-free": 0 });
    expect(q.stats.dropped).toBe(1);
    expect(q.length).toBeLessThanOrEqual(q.capacity);
  });

  it("takes the longest prefix of whole events that fits, never splitting one", () => {
    const q = new IsmEventQueue();
    q.push(upd(0)); // 24
    q.push(att(0)); // 32
    q.push(free(9n)); // 16
    expect(q.headSize()).toBe(24);
    expect(q.take(23)).toEqual([]);
    expect(q.take(24 + 31)).toEqual([upd(0)]);
    expect(q.take(1000)).toEqual([att(0), free(9n)]);
    expect(q.headSize()).toBe(0);
  });

  it("rejects a capacity outside [1, 2^20]", () => {
    expect(() => new IsmEventQueue(0)).toThrow(IsmError);
    expect(() => new IsmEventQueue(2 ** 20 + 1)).toThrow(IsmError);
  });
});
