/**
 * The communication domain: cdid, devids, config space, geometry checks, token uniqueness and non-reuse, and
 * isolation between domains.
 */
import { describe, expect, it } from "vitest";
import {
  ISM_CONFIG_SIZE,
  IsmDomain,
  IsmError,
  VIRTIO_ISM_ENOENT,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_OK,
  VIRTIO_ISM_SHM_ID_NOTIFY,
  VIRTIO_ISM_SHM_ID_REGIONS,
  cdidToUuid,
  decodeConfig,
  isUuidV4,
  uuidToCdid,
} from "../../runtime/ism/index.js";
import type { IsmErrorReason } from "../../runtime/ism/index.js";
import { TokenCipher } from "../../runtime/ism/token-cipher.js";
import { alloc, allocToken, attach, detach, domainWith, query, seededRandom } from "./helpers.js";

function expectIsmError(fn: () => unknown, reason: IsmErrorReason): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IsmError);
    expect((e as IsmError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected IsmError ${reason}, nothing thrown`);
}

describe("cdid and config space", () => {
  it("every device of a domain reports the same version 4 UUID cdid; domains differ", () => {
    const { domain, devices } = domainWith(3);
    expect(isUuidV4(domain.uuid)).toBe(true);
    for (const d of devices) expect(cdidToUuid(d.config.cdid)).toBe(domain.uuid);
    expect(new IsmDomain({ chunkSize: 64 }).uuid).not.toBe(domain.uuid);
  });

  it("stores the UUID as le128: config bytes are the RFC 4122 bytes reversed", () => {
    const uuid = "00112233-4455-4677-8899-aabbccddeeff";
    const bytes = uuidToCdid(uuid);
    expect([...bytes.slice(0, 2)]).toEqual([0xff, 0xee]);
    expect([...bytes.slice(14)]).toEqual([0x11, 0x00]);
    expect(cdidToUuid(bytes)).toBe(uuid);
    expect(isUuidV4(uuid)).toBe(true);
    expect(isUuidV4("00112233-4455-1677-8899-aabbccddeeff")).toBe(false); // version 1
    expect(isUuidV4("00112233-4455-4677-c899-aabbccddeeff")).toBe(false); // wrong variant
  });

  it("a custom random source still yields version 4 UUIDs", () => {
    const domain = new IsmDomain({ chunkSize: 64, random: seededRandom(7) });
    expect(isUuidV4(domain.uuid)).toBe(true);
  });

  it("encodes struct virtio_ism_config: cdid, devid, chunk_size, notify_size", () => {
    const domain = new IsmDomain({ chunkSize: 4096, notifySize: 8 });
    const d = domain.createDevice({ chunkCount: 4 });
    const bytes = d.configBytes();
    expect(bytes.length).toBe(ISM_CONFIG_SIZE);
    const view = new DataView(bytes.buffer);
    expect(view.getBigUint64(16, true)).toBe(d.devid);
    expect(view.getBigUint64(24, true)).toBe(4096n);
    expect(view.getBigUint64(32, true)).toBe(8n);
    expect(decodeConfig(bytes)).toEqual({ cdid: domain.cdid, devid: d.devid, chunkSize: 4096, notifySize: 8 });
  });

  it("devids are non-zero, unique, and unchanged by reset", () => {
    const domain = new IsmDomain({ chunkSize: 64 });
    const devs = Array.from({ length: 200 }, () => domain.createDevice({ chunkCount: 1 }));
    const ids = new Set(devs.map((d) => d.devid));
    expect(ids.size).toBe(200);
    expect(ids.has(0n)).toBe(false);
    const before = devs[0]!.devid;
    devs[0]!.reset({ devMem: false });
    expect(devs[0]!.devid).toBe(before);
    expect(devs[0]!.config.devid).toBe(before);
  });

  it("a colliding random source is retried; a stuck one is reported", () => {
    // Every draw repeats the same 8 bytes after the cdid's 16: the first devid is fresh, the second cannot be.
    let calls = 0;
    const stuck = (t: Uint8Array): void => {
      calls++;
      t.fill(calls === 1 ? 0x11 : 0x22);
    };
    const domain = new IsmDomain({ chunkSize: 64, random: stuck });
    domain.createDevice({ chunkCount: 1 });
    expectIsmError(() => domain.createDevice({ chunkCount: 1 }), "random-exhausted");
    const zero = new IsmDomain({ chunkSize: 64, random: (t) => t.fill(calls++ === 0 ? 1 : 0) });
    expectIsmError(() => zero.createDevice({ chunkCount: 1 }), "random-exhausted");
  });

  it("exposes REGIONS and NOTIFY shared memory and allocates no physical memory at initialization", () => {
    const { domain, devices: [d] } = domainWith(1, 10, { notifySize: 4 });
    expect(d!.sharedMemoryRegions()).toEqual([
      { shmid: VIRTIO_ISM_SHM_ID_REGIONS, length: 640 },
      { shmid: VIRTIO_ISM_SHM_ID_NOTIFY, length: 40 },
    ]);
    expect(domain.hostMemory.usedBytes + domain.lentMemory.usedBytes).toBe(0);
  });

  it("refuses impossible geometry and options with typed errors", () => {
    for (const chunkSize of [0, 3, 96, 2 ** 31, 1.5, Number.NaN]) expectIsmError(() => new IsmDomain({ chunkSize }), "invalid-geometry");
    expectIsmError(() => new IsmDomain({ chunkSize: 64, notifySize: 0 }), "invalid-geometry");
    expectIsmError(() => new IsmDomain({ chunkSize: 64, notifySize: 4097 }), "invalid-geometry");
    expectIsmError(() => new IsmDomain({ chunkSize: 64, hostMemoryCapacity: -1 }), "invalid-option");
    const domain = new IsmDomain({ chunkSize: 2 ** 30 });
    expectIsmError(() => domain.createDevice({ chunkCount: 0 }), "invalid-geometry");
    expectIsmError(() => domain.createDevice({ chunkCount: 2 ** 24 }), "invalid-geometry"); // 2^54 bytes
    expectIsmError(() => domain.createDevice({ chunkCount: 1, vectorCount: 0 }), "invalid-option");
    expectIsmError(() => domain.createDevice({ chunkCount: 1, eventQueueCapacity: 0 }), "invalid-option");
  });
});

describe("tokens", () => {
  it("are unique, non-zero and never reused across many alloc/free cycles", () => {
    const { domain, devices: [a] } = domainWith(1, 4);
    const tokens = new Set<bigint>();
    for (let i = 0; i < 2000; i++) {
      const t = allocToken(a!, 64);
      expect(tokens.has(t)).toBe(false);
      expect(t).not.toBe(0n);
      tokens.add(t);
      detach(a!, t);
    }
    expect(domain.issuedTokenCount).toBe(2000);
    expect(domain.regions()).toHaveLength(0);
    for (const t of [...tokens].slice(0, 50)) {
      expect(domain.wasIssued(t)).toBe(true);
      expect(query(a!, t).ack).toBe(VIRTIO_ISM_ENOENT);
    }
  });

  it("are a keyed permutation: the same key gives the same tokens, another key others; decrypt inverts it", () => {
    const key = (seed: number): Uint8Array => {
      const k = new Uint8Array(16);
      seededRandom(seed)(k);
      return k;
    };
    const tokens = (seed: number): bigint[] => {
      const c = new TokenCipher(key(seed));
      return Array.from({ length: 1000 }, (_, i) => c.encrypt(BigInt(i)));
    };
    expect(tokens(11)).toEqual(tokens(11));
    const a = tokens(11);
    expect(new Set(a).size).toBe(a.length);
    const first = new Set(a);
    expect(tokens(12).filter((t) => first.has(t))).toEqual([]);
    const c = new TokenCipher(key(11));
    for (const v of [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n + 5n, 2n ** 64n - 1n]) expect(c.decrypt(c.encrypt(v))).toBe(v);
    // Not a counter in disguise: consecutive tokens differ in about half of their 64 bits.
    const flips = a.slice(1).map((t, i) => (t ^ a[i]!).toString(2).replace(/0/g, "").length);
    const mean = flips.reduce((x, y) => x + y, 0) / flips.length;
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(34);
  });

  it("a stuck random source still gives unique tokens (uniqueness is by construction, not by retry)", () => {
    // Every draw is the same bytes: the cdid, the one devid and the token key all come out 0x42…42.
    const stuck = new IsmDomain({ chunkSize: 64, random: (t) => void t.fill(0x42) });
    const a = stuck.createDevice({ chunkCount: 8 });
    const seen = new Set<bigint>();
    for (let i = 0; i < 500; i++) {
      const t = allocToken(a, 64);
      expect(seen.has(t)).toBe(false);
      seen.add(t);
      detach(a, t);
    }
    expect(stuck.issuedTokenCount).toBe(500);
    expect(stuck.wasIssued(0n)).toBe(false);
  });
});

describe("isolation", () => {
  it("two domains never see each other's regions", () => {
    const one = domainWith(2);
    const two = domainWith(2);
    const t1 = allocToken(one.devices[0]!, 64);
    const t2 = allocToken(two.devices[0]!, 64);
    expect(attach(two.devices[1]!, t1).ack).toBe(VIRTIO_ISM_ENOENT);
    expect(attach(one.devices[1]!, t2).ack).toBe(VIRTIO_ISM_ENOENT);
    expect(attach(one.devices[1]!, t1).ack).toBe(VIRTIO_ISM_OK);
    expect(two.domain.region(t1)).toBeUndefined();
    expect(one.domain.wasIssued(t2)).toBe(false);
  });

  it("events are never delivered across domains", () => {
    const one = domainWith(2);
    const two = domainWith(1);
    const t = allocToken(one.devices[0]!, 64);
    const r = attach(one.devices[1]!, t);
    expect(two.domain.deliver(r.events)).toMatchObject({ undeliverable: 1, queued: 0 });
    expect(one.domain.deliver(r.events)).toMatchObject({ queued: 1 });
  });
});
