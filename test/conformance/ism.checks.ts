/**
 * Conformance checks of the virtio-ism v3 proposal (spec `ism`), one per normative sentence of the ISM device
 * section, keyed by requirement id (`<normative section label>#<n>`, numbered as in the IR).
 *
 * The subject is the real device model (`runtime/ism`): each check builds a fresh communication domain,
 * drives the device cores with requests encoded by the generated codecs, reads the configuration space with
 * the generated `virtio_ism_config` codec, and asserts the sentence with `node:assert/strict`. Driver
 * requirements are checked from the device's side: what the device does when a driver breaks them, or the
 * property that makes them checkable. Interpretations of the draft are those of spec/ism-decisions.md.
 *
 * @module
 */
import assert from "node:assert/strict";
import { decodeVirtioIsmConfig } from "../../generated/ism/index.js";
import {
  IsmDomain,
  IsmError,
  VIRTIO_ISM_ENOENT,
  VIRTIO_ISM_ENOMEM,
  VIRTIO_ISM_ENOSPEC,
  VIRTIO_ISM_E2BIG,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_OK,
  VIRTIO_ISM_PERM_ATTACH,
  VIRTIO_ISM_PERM_EATTACH,
  VIRTIO_ISM_PERM_EREAD,
  VIRTIO_ISM_PERM_EWRITE,
  VIRTIO_ISM_PERM_MANAGE,
  VIRTIO_ISM_PERM_READ,
  VIRTIO_ISM_PERM_WRITE,
  VIRTIO_ISM_SHM_ID_NOTIFY,
  VIRTIO_ISM_SHM_ID_REGIONS,
  decodeAllocReply,
  decodeAttachReply,
  decodeQueryReply,
  encodeRequest,
} from "../../runtime/ism/index.js";
import type { IsmDeviceCore, IsmExecution, IsmRequest, RandomSource } from "../../runtime/ism/index.js";
import { ShmError } from "../../runtime/shm/index.js";
import { registryFor } from "./registry.js";

const { check } = registryFor("ism");

const R = VIRTIO_ISM_PERM_READ;
const W = VIRTIO_ISM_PERM_WRITE;
const A = VIRTIO_ISM_PERM_ATTACH;
const M = VIRTIO_ISM_PERM_MANAGE;
const CHUNK = 64;
const BUFFER = 0x10_0000n;
const ROOM = 4096;

const DEV = "devicenormative:Device Types / ISM Device / ";
const DRV = "drivernormative:Device Types / ISM Device / ";
const CONFIG = `${DEV}Device configuration layout#`;
const INIT = `${DEV}Device Initialization#`;
const ALLOC = `${DEV}Device Operation / Alloc ISM Region#`;
const QUERY = `${DEV}Device Operation / Query ISM Region#`;
const ATTACH = `${DEV}Device Operation / Attach ISM Region#`;
const DETACH = `${DEV}Device Operation / Detach ISM Region#`;
const GRANT = `${DEV}Device Operation / Grant ISM Region#`;
const VECTOR = `${DEV}Device Operation / Inform Event IRQ Vector#`;

/** A domain of `n` devices with `chunks` slots each. */
function domain(n: number, options: { chunks?: number; devMem?: boolean; capacity?: number; random?: RandomSource } = {}): { d: IsmDomain; devs: IsmDeviceCore[] } {
  const d = new IsmDomain({
    chunkSize: CHUNK,
    ...(options.capacity === undefined ? {} : { hostMemoryCapacity: options.capacity }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const devs = Array.from({ length: n }, () => d.createDevice({ chunkCount: options.chunks ?? 16, devMem: options.devMem ?? true }));
  return { d, devs };
}

/** The device's configuration space, read with the generated codec. */
function config(core: IsmDeviceCore): ReturnType<typeof decodeVirtioIsmConfig> {
  return decodeVirtioIsmConfig(core.configBytes());
}

/** A random source replaying `draws` (each fills the whole buffer with one byte value), then the CSPRNG. */
function scripted(...draws: number[]): RandomSource {
  const queue = [...draws];
  return (bytes) => {
    const next = queue.shift();
    if (next === undefined) globalThis.crypto.getRandomValues(bytes);
    else bytes.fill(next);
  };
}

function run(core: IsmDeviceCore, request: IsmRequest, room = ROOM): IsmExecution {
  return core.execute(encodeRequest(request, core.devMem), room);
}

function alloc(core: IsmDeviceCore, size: number, room = ROOM, buffer: bigint | undefined = core.devMem ? undefined : BUFFER): IsmExecution {
  return run(core, { kind: "alloc", size: BigInt(size), buffer }, room);
}

function token(core: IsmDeviceCore, size: number): bigint {
  const r = alloc(core, size);
  assert.equal(r.ack, VIRTIO_ISM_OK, r.detail);
  return decodeAllocReply(r.reply)!.token;
}

function attach(core: IsmDeviceCore, t: bigint, rw = R | W, room = ROOM, buffer: bigint | undefined = core.devMem ? undefined : BUFFER): IsmExecution {
  return run(core, { kind: "attach", token: t, rwPerm: BigInt(rw), buffer }, room);
}

function detach(core: IsmDeviceCore, t: bigint): IsmExecution {
  return run(core, { kind: "detach", token: t });
}

function queryPerms(core: IsmDeviceCore, t: bigint): number | undefined {
  return decodeQueryReply(run(core, { kind: "query", token: t }).reply)?.permissions;
}

function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof ShmError && (e.reason === "permission-denied" || e.reason === "not-mapped")) return true;
    throw e;
  }
}

// --- Device configuration layout -------------------------------------------------------------------------

check(`${CONFIG}1`, () => {
  const { devs } = domain(3);
  const cdids = devs.map((dev) => config(dev).cdid);
  assert.equal(new Set(cdids).size, 1, "every device of a domain reports one cdid");
  assert.notEqual(config(domain(1).devs[0]!).cdid, cdids[0], "another domain has another cdid");
});

check(`${CONFIG}2`, () => {
  for (let i = 0; i < 16; i++) {
    const { cdid } = config(domain(1).devs[0]!);
    assert.equal((cdid >> 76n) & 0xfn, 4n, `cdid ${cdid.toString(16)} is not version 4`);
    assert.equal((cdid >> 62n) & 0x3n, 2n, `cdid ${cdid.toString(16)} is not the RFC 4122 variant`);
  }
});

check(`${CONFIG}3`, () => {
  const { devs } = domain(64, { chunks: 1 });
  assert.equal(new Set(devs.map((dev) => config(dev).devid)).size, 64);
  // A random source that repeats a draw: the device after the first must not take its devid.
  const { devs: repeat } = domain(3, { chunks: 1, random: scripted(0x01, 0x11, 0x11, 0x11, 0x22) });
  const ids = repeat.map((dev) => config(dev).devid);
  assert.equal(new Set(ids).size, 3, `devids repeat: ${ids.join(", ")}`);
});

check(`${CONFIG}4`, () => {
  for (const size of [1, 64, 4096, 2 ** 30]) {
    const { chunk_size } = config(new IsmDomain({ chunkSize: size }).createDevice({ chunkCount: 1 }));
    assert.equal(chunk_size & (chunk_size - 1n), 0n);
    assert.equal(chunk_size, BigInt(size));
  }
  for (const bad of [0, 3, 100, 2 ** 30 + 1]) assert.throws(() => new IsmDomain({ chunkSize: bad }), IsmError);
});

// --- Device Initialization -------------------------------------------------------------------------------

check(`${INIT}1`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  assert.notEqual(config(a).devid, config(b).devid, "devids are generated, not fixed");
  const before = config(a).devid;
  a.reset({ devMem: false });
  assert.equal(config(a).devid, before, "devid remains unchanged during reset");
});

check(`${INIT}2`, () => {
  const { devs } = domain(256, { chunks: 1 });
  for (const dev of devs) assert.notEqual(config(dev).devid, 0n);
  // A source that yields only zeros after the cdid and the token key never makes a device with devid 0:
  // creation is refused.
  const zeros = new IsmDomain({ chunkSize: CHUNK, random: scripted(0x3c, 0x7e, ...new Array<number>(64).fill(0)) });
  assert.throws(() => zeros.createDevice({ chunkCount: 1 }), (e) => e instanceof IsmError && e.reason === "random-exhausted");
});

check(`${INIT}3`, () => {
  const { devs } = domain(1);
  const ids = devs[0]!.sharedMemoryRegions().map((r) => r.shmid);
  assert.deepEqual(ids, [VIRTIO_ISM_SHM_ID_REGIONS, VIRTIO_ISM_SHM_ID_NOTIFY]);
});

check(`${INIT}4`, () => {
  const { devs } = domain(1);
  const notify = devs[0]!.sharedMemoryRegions().find((r) => r.shmid === VIRTIO_ISM_SHM_ID_NOTIFY);
  assert.ok(notify !== undefined && notify.length > 0);
});

check(`${INIT}5`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const tokens = [token(a, 10), token(a, 200), token(a, 64)];
  for (const t of tokens) assert.equal(attach(b, t, R).ack, VIRTIO_ISM_OK);
  const area = a.sharedMemoryRegions().find((r) => r.shmid === VIRTIO_ISM_SHM_ID_NOTIFY)!.length;
  const size = Number(config(a).notify_size);
  const addresses = a.attachedRegions().map((r) => r.notifyOffset);
  assert.equal(new Set(addresses).size, tokens.length, "one notify address per region");
  for (const at of addresses) assert.ok(at + size <= area, "inside the notify area");
  const sorted = [...addresses].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]! - sorted[i - 1]! >= size, "addresses do not overlap");
  // Every byte of each address notifies that region.
  for (const region of a.attachedRegions()) {
    for (let byte = 0; byte < size; byte++) assert.equal(a.kick(region.notifyOffset + byte).token, region.token);
  }
});

check(`${DRV}Device Initialization#1`, () => {
  // A driver can only reach chunks through a region: chunks no region refers to resolve to nothing, and a
  // region's handle refuses the chunks of every other region.
  const { devs } = domain(1, { chunks: 8 });
  const a = devs[0]!;
  const t1 = token(a, 2 * CHUNK);
  const t2 = token(a, CHUNK);
  assert.equal(a.memory.resolve(5 * CHUNK), undefined);
  const h1 = a.regionHandle(t1)!;
  const h2 = a.regionHandle(t2)!;
  assert.ok(refused(() => h1.read(h2.offset, 1)));
  assert.ok(refused(() => h1.write(5 * CHUNK, Uint8Array.of(1))));
});

// --- Alloc -----------------------------------------------------------------------------------------------

check(`${ALLOC}1`, () => {
  const { devs } = domain(1, { chunks: 8 });
  const a = devs[0]!;
  const first = decodeAllocReply(alloc(a, 3 * CHUNK).reply)!;
  const second = decodeAllocReply(alloc(a, 2 * CHUNK).reply)!;
  assert.deepEqual(first.chunks, [0, 64, 128]);
  assert.deepEqual(second.chunks, [192, 256], "only free chunks are used");
  assert.equal(detach(a, first.token).ack, VIRTIO_ISM_OK);
  assert.deepEqual(decodeAllocReply(alloc(a, 4 * CHUNK).reply)!.chunks, [0, 64, 128, 320], "freed chunks are free again");
});

check(`${ALLOC}2`, () => {
  const { d, devs } = domain(1);
  const a = devs[0]!;
  assert.equal(a.devMem, true);
  const request = encodeRequest({ kind: "alloc", size: 100n, buffer: undefined }, true);
  assert.equal(request.length, 2 + 8, "no buffer in the request");
  const r = a.execute(request, ROOM);
  assert.equal(r.ack, VIRTIO_ISM_OK);
  assert.equal(d.hostMemory.usedBytes, 2 * CHUNK, "the device's host memory backs the region");
  const h = a.regionHandle(decodeAllocReply(r.reply)!.token)!;
  h.writeRegion(99, Uint8Array.of(7));
  assert.deepEqual(h.readRegion(99, 1), Uint8Array.of(7));
});

check(`${ALLOC}3`, () => {
  const { d, devs } = domain(1, { chunks: 4 });
  const a = devs[0]!;
  token(a, 3 * CHUNK);
  const r = alloc(a, 2 * CHUNK);
  assert.equal(r.ack, VIRTIO_ISM_ENOSPEC);
  assert.equal(d.regions().length, 1);
  assert.equal(a.memory.allocatedChunks, 3);
});

check(`${ALLOC}4`, () => {
  const { d, devs } = domain(1, { capacity: 2 * CHUNK });
  const a = devs[0]!;
  token(a, CHUNK);
  assert.equal(alloc(a, 2 * CHUNK).ack, VIRTIO_ISM_ENOMEM);
  assert.equal(d.hostMemory.usedBytes, CHUNK);
  assert.equal(a.memory.allocatedChunks, 1);
});

check(`${ALLOC}5`, () => {
  const { d, devs } = domain(1);
  const a = devs[0]!;
  const before = d.issuedTokenCount;
  const t = token(a, 10);
  assert.notEqual(t, 0n);
  assert.equal(d.issuedTokenCount, before + 1);
  assert.equal(d.region(t)?.token, t, "the token names the new region");
});

check(`${ALLOC}6`, () => {
  const { devs } = domain(3, { chunks: 4 });
  const seen = new Set<bigint>();
  for (let i = 0; i < 300; i++) {
    const dev = devs[i % 3]!;
    const t = token(dev, CHUNK);
    assert.ok(!seen.has(t), "never reused, even after the region is gone");
    seen.add(t);
    // Keep the last few alive (unique among live tokens), release the rest (unique against retired ones).
    if (i < 290) detach(dev, t);
  }
});

check(`${ALLOC}7`, () => {
  const { devs } = domain(1);
  const a = devs[0]!;
  token(a, CHUNK); // so the region does not start at 0
  const reply = decodeAllocReply(alloc(a, 3 * CHUNK + 1).reply)!;
  assert.equal(reply.num, 4);
  assert.deepEqual(reply.chunks, [64, 128, 192, 256]);
  const h = a.regionHandle(reply.token)!;
  reply.chunks.forEach((offset, i) => h.write(offset, Uint8Array.of(i + 1)));
  for (let i = 0; i < 4; i++) assert.deepEqual(h.readRegion(i * CHUNK, 1), Uint8Array.of(i + 1), "chunk i of the region at chunks[i]");
});

check(`${ALLOC}8`, () => {
  const { devs } = domain(1, { chunks: 2 });
  const a = devs[0]!;
  const t1 = token(a, 2 * CHUNK);
  a.regionHandle(t1)!.writeRegion(0, new Uint8Array(2 * CHUNK).fill(0xee));
  detach(a, t1);
  const t2 = token(a, 2 * CHUNK);
  assert.deepEqual(a.regionHandle(t2)!.readRegion(0, 2 * CHUNK), new Uint8Array(2 * CHUNK));
});

check(`${ALLOC}9`, () => {
  const { d, devs } = domain(1);
  const a = devs[0]!;
  const r = alloc(a, 3 * CHUNK, 16 + 2 * 8);
  assert.equal(r.ack, VIRTIO_ISM_E2BIG);
  assert.equal(decodeAllocReply(r.reply)?.num, 3);
  assert.equal(d.regions().length, 0, "E2BIG leaves nothing allocated");
  assert.equal(alloc(a, 3 * CHUNK, 16 + 3 * 8).ack, VIRTIO_ISM_OK);
});

check(`${DRV}Device Operation / Alloc ISM Region#1`, () => {
  const { d, devs } = domain(2, { devMem: false });
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  assert.equal(alloc(a, CHUNK, ROOM, 0n).ack, VIRTIO_ISM_ERR, "no buffer: refused");
  assert.equal(d.regions().length, 0);
  const t = token(a, CHUNK);
  assert.equal(attach(b, t, R).ack, VIRTIO_ISM_OK);
  detach(a, t);
  const last = detach(b, t);
  assert.deepEqual(
    last.events.map((e) => e.event),
    [{ kind: "buffer-free", buffer: BUFFER }],
    "the lent buffer is handed back",
  );
});

check(`${DRV}Device Operation / Alloc ISM Region#2`, () => {
  // The device sees only the buffer's address: it checks that `size` bytes from there are guest memory.
  const { devs } = domain(1, { devMem: false });
  const a = devs[0]!;
  a.bufferValidator = (address, length) => address + length <= 0x20_0000n;
  assert.equal(alloc(a, 0x10_0000, ROOM, 0x10_0001n).ack, VIRTIO_ISM_ERR);
  assert.equal(alloc(a, 0x100, ROOM, 0x10_0000n).ack, VIRTIO_ISM_OK);
  assert.equal(alloc(a, CHUNK, ROOM, 2n ** 64n - 8n).ack, VIRTIO_ISM_ERR, "a range that wraps is refused");
});

// --- Query -----------------------------------------------------------------------------------------------

check(`${QUERY}1`, () => {
  const { devs } = domain(1);
  const a = devs[0]!;
  assert.equal(run(a, { kind: "query", token: 42n }).ack, VIRTIO_ISM_ENOENT);
  const t = token(a, 10);
  detach(a, t);
  assert.equal(run(a, { kind: "query", token: t }).ack, VIRTIO_ISM_ENOENT);
});

check(`${QUERY}2`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 1000);
  for (const dev of [a, b]) assert.equal(decodeQueryReply(run(dev, { kind: "query", token: t }).reply)?.size, 1000);
});

check(`${QUERY}3`, () => {
  const { devs } = domain(3);
  const [a, b, c] = devs as [IsmDeviceCore, IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  assert.equal(run(a, { kind: "grant-device", token: t, permissions: BigInt(R | A), peerDevid: c.devid }).ack, VIRTIO_ISM_OK);
  assert.equal(queryPerms(a, t), R | W | A | M);
  assert.equal(queryPerms(b, t), R | W | A);
  assert.equal(queryPerms(c, t), R | A);
});

// --- Attach ----------------------------------------------------------------------------------------------

check(`${ATTACH}1`, () => {
  const { devs } = domain(2);
  assert.equal(attach(devs[1]!, 0x1234n).ack, VIRTIO_ISM_ENOENT);
  const other = domain(1);
  assert.equal(attach(devs[1]!, token(other.devs[0]!, 10)).ack, VIRTIO_ISM_ENOENT, "tokens of another domain are unknown");
});

check(`${ATTACH}2`, () => {
  const { devs } = domain(2, { chunks: 8 });
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  token(b, 2 * CHUNK);
  const t = token(a, 2 * CHUNK);
  assert.deepEqual(decodeAttachReply(attach(b, t).reply)!.chunks, [128, 192], "the attaching device's free chunks");
});

check(`${ATTACH}3`, () => {
  const { devs } = domain(2, { chunks: 4 });
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 3 * CHUNK);
  token(b, 2 * CHUNK);
  const r = attach(b, t);
  assert.equal(r.ack, VIRTIO_ISM_ENOSPEC);
  assert.equal(b.memory.allocatedChunks, 2);
  assert.deepEqual(r.events, []);
});

check(`${ATTACH}4`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  token(b, CHUNK);
  const t = token(a, 2 * CHUNK + 5);
  const reply = decodeAttachReply(attach(b, t).reply)!;
  assert.equal(reply.num, 3);
  assert.deepEqual(reply.chunks, [64, 128, 192]);
  a.regionHandle(t)!.writeRegion(CHUNK * 2 + 4, Uint8Array.of(9));
  assert.deepEqual(b.regionHandle(t)!.read(reply.chunks[2]! + 4, 1), Uint8Array.of(9));
});

check(`${ATTACH}5`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  const r = attach(b, t);
  assert.equal(r.ack, VIRTIO_ISM_OK);
  assert.equal(b.attachedRegions()[0]?.token, t, "the memory is assigned when OK is reported");
});

check(`${ATTACH}6`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  run(a, { kind: "grant-default", token: t, permissions: BigInt(R | W) });
  assert.equal(attach(b, t, 0).ack, VIRTIO_ISM_PERM_EATTACH);
  assert.deepEqual(b.attachedRegions(), []);
});

check(`${ATTACH}7`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  run(a, { kind: "grant-device", token: t, permissions: BigInt(A | W), peerDevid: b.devid });
  assert.equal(attach(b, t, R).ack, VIRTIO_ISM_PERM_EREAD);
  assert.equal(attach(b, t, W).ack, VIRTIO_ISM_OK);
});

check(`${ATTACH}8`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  run(a, { kind: "grant-default", token: t, permissions: BigInt(A | R) });
  assert.equal(attach(b, t, R | W).ack, VIRTIO_ISM_PERM_EWRITE);
  assert.equal(attach(b, t, R).ack, VIRTIO_ISM_OK);
});

check(`${ATTACH}9`, () => {
  const { devs } = domain(4);
  const [a, ro, rw, none] = devs as [IsmDeviceCore, IsmDeviceCore, IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  attach(ro, t, R);
  attach(rw, t, R | W);
  attach(none, t, 0);
  const hr = ro.regionHandle(t)!;
  const hw = rw.regionHandle(t)!;
  const hn = none.regionHandle(t)!;
  assert.ok(refused(() => hr.write(hr.offset, Uint8Array.of(1))));
  hw.write(hw.offset, Uint8Array.of(5));
  assert.deepEqual(hr.read(hr.offset, 1), Uint8Array.of(5));
  assert.ok(refused(() => hn.read(hn.offset, 1)));
  assert.ok(refused(() => hn.write(hn.offset, Uint8Array.of(1))));
});

check(`${ATTACH}10`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 4 * CHUNK);
  const r = attach(b, t, R, 16);
  assert.equal(r.ack, VIRTIO_ISM_E2BIG);
  assert.equal(decodeAttachReply(r.reply)?.num, 4, "num for the next request");
  assert.deepEqual(b.attachedRegions(), []);
  assert.equal(attach(b, t, R, 16 + 4 * 8).ack, VIRTIO_ISM_OK);
});

check(`${ATTACH}11`, () => {
  const { devs } = domain(3);
  const [a, b, c] = devs as [IsmDeviceCore, IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  attach(b, t, R);
  const r = attach(c, t, R);
  assert.deepEqual(
    r.events.map((e) => [e.to, e.event.kind, e.event.kind === "attach" ? e.event.devid : 0n]),
    [
      [a.devid, "attach", c.devid],
      [b.devid, "attach", c.devid],
    ],
  );
});

check(`${DRV}Device Operation / Attach ISM Region#1`, () => {
  const { devs } = domain(2, { devMem: false });
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  assert.equal(attach(b, t, R, ROOM, 0n).ack, VIRTIO_ISM_ERR);
  assert.deepEqual(b.attachedRegions(), []);
  assert.equal(attach(b, t, R, ROOM, BUFFER).ack, VIRTIO_ISM_OK);
});

check(`${DRV}Device Operation / Attach ISM Region#2`, () => {
  const { devs } = domain(2, { devMem: false });
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 3 * CHUNK);
  b.bufferValidator = (address, length) => address + length <= 0x1000n;
  assert.equal(attach(b, t, R, ROOM, 0x1000n - 2n * BigInt(CHUNK)).ack, VIRTIO_ISM_ERR, "too small for the region");
  assert.equal(attach(b, t, R, ROOM, 0x1000n - 3n * BigInt(CHUNK)).ack, VIRTIO_ISM_OK);
});

// --- Detach ----------------------------------------------------------------------------------------------

check(`${DETACH}1`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  assert.equal(detach(b, t).ack, VIRTIO_ISM_ENOENT);
  assert.equal(detach(b, 99n).ack, VIRTIO_ISM_ENOENT);
  assert.equal(detach(a, t).ack, VIRTIO_ISM_OK);
  assert.equal(detach(a, t).ack, VIRTIO_ISM_ENOENT);
});

check(`${DETACH}2`, () => {
  const { devs } = domain(3);
  const [a, b, c] = devs as [IsmDeviceCore, IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  attach(b, t, R);
  attach(c, t, R);
  assert.deepEqual(
    detach(b, t).events.map((e) => [e.to, e.event]),
    [
      [a.devid, { kind: "detach", offset: 0, devid: b.devid, peers: 1 }],
      [c.devid, { kind: "detach", offset: 0, devid: b.devid, peers: 1 }],
    ],
  );
});

check(`${DETACH}3`, () => {
  const d = new IsmDomain({ chunkSize: CHUNK });
  const lender = d.createDevice({ chunkCount: 8, devMem: false });
  const peer = d.createDevice({ chunkCount: 8, devMem: true });
  const t = token(lender, 10);
  attach(peer, t, R);
  assert.deepEqual(detach(lender, t).events.map((e) => e.event.kind), ["detach"], "someone still refers: no BUFFER_FREE");
  assert.deepEqual(detach(peer, t).events, [{ to: lender.devid, route: { kind: "eventq" }, event: { kind: "buffer-free", buffer: BUFFER } }]);
  // With DEV_MEM negotiated there is no buffer to free, so no event.
  const own = token(peer, 10);
  assert.deepEqual(detach(peer, own).events, []);
});

// --- Grant -----------------------------------------------------------------------------------------------

check(`${GRANT}1`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  assert.equal(run(b, { kind: "grant-default", token: t, permissions: BigInt(R) }).ack, VIRTIO_ISM_ENOENT);
  assert.equal(run(b, { kind: "grant-device", token: t, permissions: BigInt(R), peerDevid: a.devid }).ack, VIRTIO_ISM_ENOENT);
  assert.equal(run(a, { kind: "grant-default", token: 5n, permissions: BigInt(R) }).ack, VIRTIO_ISM_ENOENT);
});

check(`${GRANT}2`, () => {
  const { d, devs } = domain(2);
  const t = token(devs[0]!, 10);
  assert.equal(d.region(t)!.permissions.defaults, R | W | A);
  assert.equal(queryPerms(devs[1]!, t), R | W | A);
});

check(`${GRANT}3`, () => {
  const { devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  assert.equal(queryPerms(a, t), R | W | A | M);
  run(a, { kind: "grant-default", token: t, permissions: 0n });
  assert.equal(queryPerms(a, t), R | W | A | M, "the default does not apply to the allocator");
  assert.equal(queryPerms(b, t), 0);
});

// --- Inform Event IRQ Vector -----------------------------------------------------------------------------

check(`${VECTOR}1`, () => {
  const { d, devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  attach(b, t, R);
  const raised: number[] = [];
  a.interruptSink = (v) => raised.push(v);
  assert.equal(run(a, { kind: "event-vector", token: t, vector: 3n }).ack, VIRTIO_ISM_OK);
  assert.equal(a.attachedRegions()[0]!.vector, 3, "the binding is recorded");
  d.deliver(b.kick(b.attachedRegions()[0]!.notifyOffset).events);
  assert.deepEqual(raised, [3]);
});

check(`${VECTOR}2`, () => {
  const { d, devs } = domain(2);
  const [a, b] = devs as [IsmDeviceCore, IsmDeviceCore];
  const t = token(a, 10);
  attach(b, t, R);
  a.eventQueue.take(1 << 20);
  run(a, { kind: "event-vector", token: t, vector: 3n });
  const kick = b.kick(b.attachedRegions()[0]!.notifyOffset);
  assert.ok(kick.events.every((e) => e.route.kind === "irq"));
  d.deliver(kick.events);
  assert.equal(a.eventQueue.length, 0, "nothing went to the eventq");
});
