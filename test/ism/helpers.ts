/**
 * Shared helpers of the ISM tests: build requests with the codecs, execute them on a device core, decode the
 * replies, and deliver the events.
 */
import {
  IsmDomain,
  decodeAllocReply,
  decodeAttachReply,
  decodeQueryReply,
  encodeRequest,
} from "../../runtime/ism/index.js";
import type {
  IsmAllocReply,
  IsmAttachReply,
  IsmDeviceCore,
  IsmDomainOptions,
  IsmExecution,
  IsmQueryReply,
  IsmRequest,
} from "../../runtime/ism/index.js";

/** Reply room large enough for any reply of the small devices used in tests. */
export const ROOMY = 1 << 16;

/** A buffer address for requests made without DEV_MEM. */
export const LENT_BUFFER = 0x10_0000n;

/** Encodes `request` for `core`'s features and executes it. */
export function exec(core: IsmDeviceCore, request: IsmRequest, replyCapacity = ROOMY): IsmExecution {
  return core.execute(encodeRequest(request, core.devMem), replyCapacity);
}

/** Alloc; `buffer` defaults to {@link LENT_BUFFER} without DEV_MEM. */
export function alloc(
  core: IsmDeviceCore,
  size: number | bigint,
  replyCapacity = ROOMY,
  buffer: bigint | undefined = core.devMem ? undefined : LENT_BUFFER,
): IsmExecution & { decoded: IsmAllocReply | undefined } {
  const r = exec(core, { kind: "alloc", size: BigInt(size), buffer }, replyCapacity);
  return { ...r, decoded: decodeAllocReply(r.reply) };
}

/** Allocs and returns the token, failing the test when the ack is not OK. */
export function allocToken(core: IsmDeviceCore, size: number | bigint): bigint {
  const r = alloc(core, size);
  if (r.ack !== 0 || r.decoded === undefined) throw new Error(`alloc failed: ack ${r.ack} ${r.detail}`);
  return r.decoded.token;
}

/** Attach. */
export function attach(
  core: IsmDeviceCore,
  token: bigint,
  rwPerm: number | bigint = 3,
  replyCapacity = ROOMY,
  buffer: bigint | undefined = core.devMem ? undefined : LENT_BUFFER,
): IsmExecution & { decoded: IsmAttachReply | undefined } {
  const r = exec(core, { kind: "attach", token, rwPerm: BigInt(rwPerm), buffer }, replyCapacity);
  return { ...r, decoded: decodeAttachReply(r.reply) };
}

/** Query. */
export function query(core: IsmDeviceCore, token: bigint, replyCapacity = ROOMY): IsmExecution & { decoded: IsmQueryReply | undefined } {
  const r = exec(core, { kind: "query", token }, replyCapacity);
  return { ...r, decoded: decodeQueryReply(r.reply) };
}

/** Detach. */
export function detach(core: IsmDeviceCore, token: bigint): IsmExecution {
  return exec(core, { kind: "detach", token });
}

/** Grant default permissions. */
export function grantDefault(core: IsmDeviceCore, token: bigint, permissions: number | bigint): IsmExecution {
  return exec(core, { kind: "grant-default", token, permissions: BigInt(permissions) });
}

/** Grant dedicated permissions. */
export function grantDevice(core: IsmDeviceCore, token: bigint, permissions: number | bigint, peerDevid: bigint): IsmExecution {
  return exec(core, { kind: "grant-device", token, permissions: BigInt(permissions), peerDevid });
}

/** Bind a vector. */
export function eventVector(core: IsmDeviceCore, token: bigint, vector: number | bigint): IsmExecution {
  return exec(core, { kind: "event-vector", token, vector: BigInt(vector) });
}

/** A domain with `n` devices of `chunkCount` slots each. */
export function domainWith(
  n: number,
  chunkCount = 16,
  options: Partial<IsmDomainOptions> & { devMem?: boolean } = {},
): { domain: IsmDomain; devices: IsmDeviceCore[] } {
  const domain = new IsmDomain({ chunkSize: 64, ...options });
  const devices = Array.from({ length: n }, () => domain.createDevice({ chunkCount, devMem: options.devMem ?? true }));
  return { domain, devices };
}

/** A deterministic random source (xorshift) for tests that need reproducible ids. */
export function seededRandom(seed: number): (target: Uint8Array) => void {
  let x = seed >>> 0 || 1;
  return (target) => {
    for (let i = 0; i < target.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      target[i] = x & 0xff;
    }
  };
}
