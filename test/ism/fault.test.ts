/**
 * Faults: a guest worker terminated mid-session. The host retires its device — every region it referred to is
 * detached, the peers get DETACH with the right peer count, a region's memory is freed once nobody refers to
 * it, its token names nothing any more — and the other guests go on.
 */
import { describe, expect, it } from "vitest";
import { IsmAckError, IsmDriverError } from "../../runtime/ism/driver/index.js";
import type { IsmGuestExit, PingPongResult, RegionSummary } from "../../runtime/ism/guest/index.js";
import { guest, withHost } from "./guest-helpers.js";

const CHANNEL_REGION = 4096 + 256 + 64 * 1024;

describe("a guest terminated mid-session", () => {
  it("its regions are detached, peers get DETACH with the count left, the others carry on", async () => {
    await withHost(async (host) => {
      const [a, b, c] = [guest(host, "A"), guest(host, "B"), guest(host, "C")];
      const [, , rc] = await Promise.all([a.ready, b.ready, c.ready]);
      const region = (await a.call("alloc", { size: CHANNEL_REGION })) as RegionSummary;
      await b.call("attach", { token: region.token, read: true, write: true });
      await c.call("attach", { token: region.token, read: true, write: true });
      await c.call("alloc", { size: 8192 });
      // C is busy when it dies: waiting for an event that will never come.
      const cWaiting = c.call("waitEvent", { type: "BUFFER_FREE", timeoutMs: 60_000 });
      const exit = new Promise<IsmGuestExit>((resolve) => host.once("exit", resolve));
      await c.guest.worker.terminate();
      const report = await exit;
      expect(report.name).toBe("C");
      expect(report.devid).toBe(rc.devid);
      expect(report.detached).toHaveLength(2);
      expect(report.detached).toContain(region.token);
      expect(((await cWaiting.catch((e: unknown) => e)) as IsmDriverError).reason).toBe("closed");

      expect(await a.waitForEvent("DETACH", { devid: rc.devid })).toMatchObject({ peers: 1, token: region.token });
      expect(await b.waitForEvent("DETACH", { devid: rc.devid })).toMatchObject({ peers: 1, token: region.token });
      // C's private region had nobody else: its memory is gone; the shared one lives on for A and B.
      expect(host.domain.regions().map((r) => r.token)).toEqual([region.token]);
      expect(host.domain.hostMemory.usedBytes).toBe(host.domain.region(region.token)!.backing.byteLength);
      const dead = [...host.guests.values()].find((g) => g.name === "C")!;
      expect(dead.hosted.core.memory.allocatedChunks).toBe(0);

      // A and B go on: a ping-pong through the region, then they leave and nothing is left.
      const pp = { token: region.token, rounds: 100, messageBytes: 64, spinNanoseconds: 0, napNanoseconds: 0, timeoutMs: 10_000 };
      const responder = b.call("pingpong", { ...pp, role: "responder" });
      expect(((await a.call("pingpong", { ...pp, role: "initiator" })) as PingPongResult).rounds).toBe(100);
      await responder;
      await b.call("detach", { token: region.token });
      await a.call("detach", { token: region.token });
      expect(host.domain.regions()).toEqual([]);
      expect(host.domain.hostMemory.usedBytes).toBe(0);
      expect(host.domain.verifyInvariants()).toEqual([]);
    });
  });

  it("the allocator dies: its region lives while peers refer to it, and is freed by the last detach", async () => {
    await withHost(async (host) => {
      const [a, b, c] = [guest(host, "A"), guest(host, "B"), guest(host, "C")];
      const [ra] = await Promise.all([a.ready, b.ready, c.ready]);
      const region = (await c.call("alloc", { size: 3 * 4096 })) as RegionSummary;
      await a.call("attach", { token: region.token, read: true, write: true });
      await b.call("attach", { token: region.token, read: true, write: true });
      await a.call("write", { token: region.token, offset: 0, data: new Uint8Array([7]) });
      const exited = c.guest.exited;
      await c.guest.worker.terminate();
      await exited;
      expect(await a.waitForEvent("DETACH")).toMatchObject({ peers: 1 });
      expect(await b.waitForEvent("DETACH")).toMatchObject({ peers: 1 });
      expect([...((await b.call("read", { token: region.token, offset: 0, length: 1 })) as Uint8Array)]).toEqual([7]);
      await a.call("detach", { token: region.token });
      expect(await b.waitForEvent("DETACH", { devid: ra.devid })).toMatchObject({ peers: 0 });
      expect(host.domain.hostMemory.usedBytes).toBe(3 * 4096);
      await b.call("detach", { token: region.token });
      expect(host.domain.hostMemory.usedBytes).toBe(0);
      // The token is retired for good.
      const gone = await b.call("attach", { token: region.token, read: true, write: false }).catch((e: unknown) => e);
      expect(gone).toBeInstanceOf(IsmAckError);
      expect((gone as IsmAckError).ackName).toBe("VIRTIO_ISM_ENOENT");
    });
  });

  it("the consumer dies mid-stream: the producer times out with a typed error and can still clean up", async () => {
    await withHost(async (host) => {
      const [a, b] = [guest(host, "A"), guest(host, "B")];
      await Promise.all([a.ready, b.ready]);
      const region = (await a.call("alloc", { size: CHANNEL_REGION })) as RegionSummary;
      await b.call("attach", { token: region.token, read: true, write: true });
      const stream = { token: region.token, bytes: 1 << 30, chunkBytes: 16 * 1024, spinNanoseconds: 0, timeoutMs: 1000 };
      void b.call("stream", { ...stream, role: "consumer" }).catch(() => undefined);
      const producer = a.call("stream", { ...stream, role: "producer" }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await b.guest.worker.terminate();
      const failure = (await producer) as IsmDriverError;
      expect(failure).toBeInstanceOf(IsmDriverError);
      expect(failure.reason).toBe("timeout");
      expect(await a.waitForEvent("DETACH")).toMatchObject({ peers: 0 });
      await a.call("detach", { token: region.token });
      expect(host.domain.hostMemory.usedBytes).toBe(0);
    });
  });
});
