/**
 * Guests on worker threads around an IsmHost in this thread: three guests sharing a region with grants,
 * refusals and events; ping-pong and streaming through the region with kicks; lent buffers without DEV_MEM;
 * a hostile guest's malformed boot-port requests; boot blocks that are not boot blocks.
 */
import { describe, expect, it } from "vitest";
import { IsmAckError, IsmDriverError } from "../../runtime/ism/driver/index.js";
import { IsmHost, IsmWorkerTransport, renderChunkMaps } from "../../runtime/ism/guest/index.js";
import type { PingPongResult, RegionSummary, StreamResult } from "../../runtime/ism/guest/index.js";
import { guest, withHost } from "./guest-helpers.js";
import { currentRingLayout } from "./driver-helpers.js";

const R = 1;
const W = 2;
const A = 4;

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a refusal");
}

describe("guests on worker threads", () => {
  it("share a region: grants, a refused read-write attach, a refused write, events with peer counts, chunk maps", async () => {
    await withHost(async (host) => {
      const [a, b, c] = [guest(host, "A"), guest(host, "B"), guest(host, "C")];
      const [ra, rb, rc] = await Promise.all([a.ready, b.ready, c.ready]);
      expect(new Set([ra.devid, rb.devid, rc.devid]).size).toBe(3);
      // The queues run on the layout this file is for (guest-workers.packed.test.ts: packed).
      for (const name of ["A", "B", "C"]) expect(host.guests.get(name)!.hosted.ringLayout).toBe(currentRingLayout());
      await c.call("alloc", { size: 3 * 4096 });
      const region = (await a.call("alloc", { size: 2 * 4096 })) as RegionSummary;
      await a.call("grant", { token: region.token, permissions: 0 });
      await a.call("grantDevice", { token: region.token, devid: rb.devid, permissions: R | W | A });
      await a.call("grantDevice", { token: region.token, devid: rc.devid, permissions: R | A });
      await a.call("write", { token: region.token, offset: 10, data: new Uint8Array([1, 2, 3]) });

      const attached = (await b.call("attach", { token: region.token, read: true, write: true })) as RegionSummary;
      expect(attached.chunks).toEqual([0, 4096]);
      expect(await a.waitForEvent("ATTACH", { devid: rb.devid })).toMatchObject({ peers: 1, token: region.token });

      const denied = await refusal(c.call("attach", { token: region.token, read: true, write: true }));
      expect(denied).toBeInstanceOf(IsmAckError);
      expect((denied as IsmAckError).ackName).toBe("VIRTIO_ISM_PERM_EWRITE");
      const ro = (await c.call("attach", { token: region.token, read: true, write: false })) as RegionSummary;
      expect(ro.chunks).toEqual([3 * 4096, 4 * 4096]);
      expect(ro.access).toEqual({ read: true, write: false });
      const writeRefused = await refusal(c.call("write", { token: region.token, offset: 0, data: new Uint8Array([9]) }));
      expect(writeRefused).toBeInstanceOf(IsmDriverError);
      expect((writeRefused as IsmDriverError).reason).toBe("permission-denied");
      expect([...((await c.call("read", { token: region.token, offset: 10, length: 3 })) as Uint8Array)]).toEqual([1, 2, 3]);
      expect(await a.waitForEvent("ATTACH", { devid: rc.devid })).toMatchObject({ peers: 2 });

      const picture = renderChunkMaps([...host.guests.values()].map((g) => ({ label: g.name, core: g.hosted.core })));
      const legend = picture.legend.find((l) => l.token === region.token)!;
      expect(legend.placements).toEqual([
        { label: "A", firstSlot: 0 },
        { label: "B", firstSlot: 0 },
        { label: "C", firstSlot: 3 },
      ]);
      // C's own region came first in C, so it has the next letter; the shared region follows it in C's slots.
      expect(picture.lines.some((l) => l.includes("[bbbaa..."))).toBe(true);

      await c.call("detach", { token: region.token });
      expect(await a.waitForEvent("DETACH", { devid: rc.devid })).toMatchObject({ peers: 1 });
      expect(await b.waitForEvent("DETACH", { devid: rc.devid })).toMatchObject({ peers: 1 });
      // Each event reaches the host once.
      expect(a.events.map((e) => `${e.type} ${e.peers}`)).toEqual(["ATTACH 1", "ATTACH 2", "DETACH 1"]);
    });
  });

  it("ping-pong and a verified stream through the region, woken by kicks", async () => {
    await withHost(async (host) => {
      const [a, b] = [guest(host, "A"), guest(host, "B")];
      await Promise.all([a.ready, b.ready]);
      const region = (await a.call("alloc", { size: 4096 + 256 + 64 * 1024 })) as RegionSummary;
      await b.call("attach", { token: region.token, read: true, write: true });
      // No spin, no nap: every wait sleeps, so every message needs a kick through the host to be seen.
      const pp = { token: region.token, rounds: 200, messageBytes: 64, spinNanoseconds: 0, napNanoseconds: 0, timeoutMs: 10_000 };
      const responder = b.call("pingpong", { ...pp, role: "responder" });
      const result = (await a.call("pingpong", { ...pp, role: "initiator" })) as PingPongResult;
      expect(((await responder) as PingPongResult).rounds).toBe(200);
      expect(result.samplesUs).toHaveLength(200);
      expect(result.slept).toBeGreaterThan(0);
      const stream = { token: region.token, bytes: 8 << 20, chunkBytes: 16 * 1024, spinNanoseconds: 0, napNanoseconds: 0, timeoutMs: 10_000 };
      const consumer = b.call("stream", { ...stream, role: "consumer" });
      await a.call("stream", { ...stream, role: "producer" });
      expect((await consumer) as StreamResult).toMatchObject({ bytes: 8 << 20, mismatches: 0 });
      // The same with the default waits (spin, nap, then sleep): the stream is as intact.
      const consumer2 = b.call("stream", { ...stream, napNanoseconds: undefined, spinNanoseconds: 20_000, role: "consumer", consume: "in-place" });
      await a.call("stream", { ...stream, napNanoseconds: undefined, spinNanoseconds: 20_000, role: "producer" });
      expect((await consumer2) as StreamResult).toMatchObject({ bytes: 8 << 20, mismatches: 0 });
      const kicks = [...host.guests.values()].reduce((n, g) => n + g.hosted.core.stats.kicks, 0);
      expect(kicks).toBeGreaterThan(0);
    });
  });

  it("a host that polls its wake-up doorbell briefly before sleeping serves the same kicks", async () => {
    await withHost(
      async (host) => {
        const [a, b] = [guest(host, "A"), guest(host, "B")];
        await Promise.all([a.ready, b.ready]);
        const region = (await a.call("alloc", { size: 4096 + 256 + 4096 })) as RegionSummary;
        await b.call("attach", { token: region.token, read: true, write: true });
        const pp = { token: region.token, rounds: 100, messageBytes: 64, spinNanoseconds: 0, napNanoseconds: 0, timeoutMs: 10_000 };
        const responder = b.call("pingpong", { ...pp, role: "responder" });
        expect(((await a.call("pingpong", { ...pp, role: "initiator" })) as PingPongResult).rounds).toBe(100);
        await responder;
      },
      { pollSpinNanoseconds: 20_000 },
    );
    expect(() => new IsmHost({ pollSpinNanoseconds: -1 })).toThrow(IsmDriverError);
  });

  it("without DEV_MEM the guests lend their own memory, and get it back", async () => {
    await withHost(async (host) => {
      const [a, b] = [guest(host, "A", { offerDevMem: false }), guest(host, "B", { offerDevMem: false })];
      expect((await a.ready).devMem).toBe(false);
      await b.ready;
      const base = ((await a.call("stats", {})) as { poolUsedBytes: number }).poolUsedBytes;
      const region = (await a.call("alloc", { size: 20_000 })) as RegionSummary;
      await b.call("attach", { token: region.token, read: true, write: true });
      await b.call("write", { token: region.token, offset: 19_999, data: new Uint8Array([5]) });
      expect([...((await a.call("read", { token: region.token, offset: 19_999, length: 1 })) as Uint8Array)]).toEqual([5]);
      expect(host.domain.lentMemory.usedBytes).toBeGreaterThan(0);
      await b.call("detach", { token: region.token });
      await a.call("detach", { token: region.token });
      expect(await a.waitForEvent("BUFFER_FREE")).toMatchObject({ type: "BUFFER_FREE" });
      expect(((await a.call("stats", {})) as { poolUsedBytes: number; lentBuffers: number })).toMatchObject({ poolUsedBytes: base, lentBuffers: 0 });
      expect(host.domain.lentMemory.usedBytes).toBe(0);
    });
  });

  it("a hostile guest's malformed requests are refused and the host keeps serving", async () => {
    await withHost(async (host) => {
      const bad: string[] = [];
      host.on("bad-request", (r) => bad.push(r.detail));
      const worker = host.spawn(new URL("../../dist/test/workers/ism-hostile-guest.worker.js", import.meta.url), { name: "hostile", chunkCount: 16, memoryBytes: 64 * 1024 });
      const report = (await new Promise((resolve, reject) => {
        worker.worker.once("message", resolve);
        worker.worker.once("error", reject);
      })) as { answers: Array<{ op: string; id: number; reason?: string }>; token: bigint };
      expect(report.answers.map((a) => [a.id, a.op])).toEqual([
        [1, "error"],
        [2, "error"],
        [3, "error"],
        [4, "error"],
        [5, "error"],
      ]);
      expect(report.answers.filter((a) => a.id === 4 || a.id === 5).every((a) => a.reason === "activation-failed")).toBe(true);
      expect(bad.length).toBeGreaterThanOrEqual(7);
      expect(host.domain.region(report.token)).toBeDefined();
    });
  });

  it("a boot block that is not one is refused with a typed error", () => {
    for (const boot of [undefined, 42, {}, { kind: "virtiokit/ism-guest-boot", version: 1, name: "x", memory: new ArrayBuffer(4096) }]) {
      expect(() => IsmWorkerTransport.fromBoot(boot)).toThrow(IsmDriverError);
    }
  });

  it("spawning refuses a taken name and a bad memory size", async () => {
    await withHost(async (host) => {
      guest(host, "A");
      expect(() => guest(host, "A")).toThrow(IsmDriverError);
      expect(() => guest(host, "B", { memoryBytes: 1000 })).toThrow(IsmDriverError);
    });
  });
});
