/**
 * The ISM driver against a hostile device: a scripted device side on the real split rings that answers with
 * whatever the test wants — replies that lie about their chunks, no ack at all, garbage events, a bogus
 * BUFFER_FREE, a corrupted used ring. Every case must end in a typed error (or an ignored, counted event),
 * never a crash, a hang or a handle built on a lie.
 */
import { describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import { Doorbell } from "../../runtime/notify/index.js";
import type { RegionHandle } from "../../runtime/shm/index.js";
import { IsmDeviceStatus } from "../../runtime/ism/device-status.js";
import { IsmDriver, IsmDriverError } from "../../runtime/ism/driver/index.js";
import type { IsmDriverTransport, IsmQueueSetup } from "../../runtime/ism/driver/index.js";
import { LineInterruptTable } from "../../runtime/ism/guest/index.js";
import { SplitQueueDevice, gatherReadable, isPackedRing, scatterWritable } from "../../runtime/virtqueue/index.js";
import type { SplitRingAddresses } from "../../runtime/virtqueue/index.js";
import { settle } from "./driver-helpers.js";

/** What the scripted device answers to one control request: the bytes it writes and the used length it claims. */
type Answer = { readonly bytes: Uint8Array; readonly usedLength?: number };

function le64(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigUint64(i * 8, v, true));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A transport whose device is a script. */
class ScriptedDevice implements IsmDriverTransport {
  readonly memory = GuestMemory.fromBuffer(new SharedArrayBuffer(256 * 1024));
  readonly ram = { base: 0, length: 256 * 1024 };
  readonly deviceFeatures = 1n;
  readonly interrupts = new LineInterruptTable(8, Doorbell.create());
  readonly interruptLine = this.interrupts.line;
  readonly inline = true;
  readonly deviceStatus = new IsmDeviceStatus();
  controlq: SplitQueueDevice | undefined;
  eventq: SplitQueueDevice | undefined;
  controlRing: SplitRingAddresses | undefined;
  /** When set, the used element is written straight into guest memory with this length (no device-side checks). */
  forgeUsedLength: number | undefined;
  /** Answers control requests in order. */
  answer: (request: Uint8Array) => Answer = () => ({ bytes: new Uint8Array([0]) });

  readConfig(): Uint8Array {
    return concat(new Uint8Array(16), le64([7n, 4096n, 4n]));
  }

  async reset(): Promise<void> {
    this.deviceStatus.clear();
  }

  async activate(setup: IsmQueueSetup): Promise<void> {
    const { controlq, eventq } = setup;
    // This hand-written device forges split used rings; the driver negotiates no packed ring with it.
    if (isPackedRing(controlq) || isPackedRing(eventq)) throw new Error("the hostile test device speaks split rings only");
    this.controlRing = controlq;
    this.controlq = new SplitQueueDevice(this.memory, controlq);
    this.eventq = new SplitQueueDevice(this.memory, eventq);
  }

  notifyQueue(queue: number): void {
    if (queue !== 0) return;
    const q = this.controlq!;
    const chain = q.createChain();
    while (q.pop(chain) === "popped") {
      const request = new Uint8Array(64);
      const n = gatherReadable(this.memory, chain, request);
      const a = this.answer(request.subarray(0, n));
      const written = scatterWritable(this.memory, chain, a.bytes);
      if (this.forgeUsedLength === undefined) {
        q.addUsed(chain.head, a.usedLength ?? written);
        continue;
      }
      // A device that does not follow the rules writes the used ring directly.
      const used = this.controlRing!.usedAddress;
      const idx = this.memory.readU16(used + 2);
      const slot = used + 4 + 8 * (idx % this.controlRing!.size);
      this.memory.writeU32(slot, chain.head);
      this.memory.writeU32(slot + 4, this.forgeUsedLength);
      this.memory.atomicStore16(used + 2, (idx + 1) & 0xffff);
    }
    q.publishUsed();
    this.interrupts.raise(0);
  }

  /** Completes the next eventq buffer with `bytes`. */
  sendEvents(bytes: Uint8Array): void {
    const q = this.eventq!;
    const chain = q.createChain();
    expect(q.pop(chain)).toBe("popped");
    q.addUsed(chain.head, scatterWritable(this.memory, chain, bytes));
    q.publishUsed();
    this.interrupts.raise(1);
  }

  writeNotify(): void {}

  async mapRegion(): Promise<RegionHandle | undefined> {
    return undefined;
  }
}

async function opened(): Promise<{ device: ScriptedDevice; driver: IsmDriver }> {
  const device = new ScriptedDevice();
  const driver = await IsmDriver.open(device);
  return { device, driver };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IsmDriverError);
    return (error as IsmDriverError).reason;
  }
  return "resolved";
}

describe("hostile device replies", () => {
  it("an alloc reply whose num disagrees with the size is bad-reply", async () => {
    const { device, driver } = await opened();
    device.answer = () => ({ bytes: concat(new Uint8Array([0]), le64([5n, 1n, 0n])) });
    expect(await reason(driver.alloc(2 * 4096))).toBe("bad-reply");
  });

  it("chunk offsets that are not chunk boundaries, or not ascending, are bad-reply", async () => {
    const { device, driver } = await opened();
    device.answer = () => ({ bytes: concat(new Uint8Array([0]), le64([5n, 2n, 4096n, 100n])) });
    expect(await reason(driver.alloc(2 * 4096))).toBe("bad-reply");
    device.answer = () => ({ bytes: concat(new Uint8Array([0]), le64([5n, 2n, 8192n, 4096n])) });
    expect(await reason(driver.alloc(2 * 4096))).toBe("bad-reply");
  });

  it("token 0 in an OK alloc reply is bad-reply", async () => {
    const { device, driver } = await opened();
    device.answer = () => ({ bytes: concat(new Uint8Array([0]), le64([0n, 1n, 0n])) });
    expect(await reason(driver.alloc(10))).toBe("bad-reply");
  });

  it("no ack at all (used length 0), a truncated reply, or an undefined ack value are bad-reply", async () => {
    const { device, driver } = await opened();
    device.answer = () => ({ bytes: new Uint8Array(0), usedLength: 0 });
    expect(await reason(driver.query(1n))).toBe("bad-reply");
    device.answer = () => ({ bytes: concat(new Uint8Array([0]), le64([5n])) });
    expect(await reason(driver.query(1n))).toBe("bad-reply");
    device.answer = () => ({ bytes: new Uint8Array([77]) });
    expect(await reason(driver.detach(1n))).toBe("bad-reply");
  });

  it("an E2BIG that asks for an absurd reply size is reported, not retried", async () => {
    const { device, driver } = await opened();
    let calls = 0;
    device.answer = () => {
      calls++;
      return { bytes: concat(new Uint8Array([7]), le64([4096n, 1n << 40n])) };
    };
    expect(await reason(driver.attach(5n))).toBe("ack");
    expect(calls).toBe(1);
  });

  it("a used length beyond the reply buffer breaks the queue and fails every pending request", async () => {
    const { device, driver } = await opened();
    device.forgeUsedLength = 1 << 20;
    expect(await reason(driver.detach(1n))).toBe("queue-broken");
    expect(await reason(driver.detach(2n))).toBe("queue-broken");
    expect(driver.failure?.reason).toBe("queue-broken");
  });
});

describe("hostile device events", () => {
  it("garbage in an eventq buffer is counted and dropped; the buffer is reposted", async () => {
    const { device, driver } = await opened();
    const seen: unknown[] = [];
    driver.on("event", (e) => seen.push(e));
    device.sendEvents(le64([99n, 1n, 2n]));
    await settle();
    expect(seen).toEqual([]);
    expect(driver.stats.undecodableEventBuffers).toBe(1);
    // The buffer went back: 32 buffers are posted, so 40 more event buffers can be completed.
    for (let i = 0; i < 40; i++) {
      device.sendEvents(le64([2n, 0n, 9n, 1n]));
      await settle();
    }
    expect(seen).toHaveLength(40);
  });

  it("an event for an offset where the driver holds no region is reported without a region and counted", async () => {
    const { device, driver } = await opened();
    const seen: unknown[] = [];
    driver.on("event", (e) => seen.push(e));
    device.sendEvents(le64([4n, 4096n * 3n, 9n, 0n]));
    await settle();
    expect(seen).toMatchObject([{ type: "DETACH", region: undefined, offset: 4096 * 3, devid: 9n, peers: 0 }]);
    expect(driver.stats.unknownRegionEvents).toBe(1);
  });

  it("a BUFFER_FREE naming no lent buffer is ignored: nothing is freed", async () => {
    const device = new ScriptedDevice();
    (device as { deviceFeatures: bigint }).deviceFeatures = 0n;
    const driver = await IsmDriver.open(device);
    const before = driver.memory.poolUsedBytes;
    const seen: unknown[] = [];
    driver.on("event", (e) => seen.push(e));
    device.sendEvents(le64([8n, 0x1000n]));
    await settle();
    expect(seen).toMatchObject([{ type: "BUFFER_FREE", known: false }]);
    expect(driver.stats.bogusBufferFree).toBe(1);
    expect(driver.memory.poolUsedBytes).toBe(before);
  });
});
