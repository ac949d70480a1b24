/**
 * The peer link: how the two devices of a vhost-pci pair negotiate (the proposal's "the device SHOULD
 * negotiate with the peer device"). The proposal leaves the protocol to the implementation; this one is
 * modelled on vhost-user, which is what the vhost-pci prototype used between the two QEMUs:
 *
 * | message            | from → to              | vhost-user analogue                                   |
 * |--------------------|------------------------|-------------------------------------------------------|
 * | `backend-features` | vhost-pci → virtio-net | GET_FEATURES reply: peer feature bits it can serve    |
 * | `setup`            | virtio-net → vhost-pci | SET_FEATURES, SET_MEM_TABLE, SET_VRING_* , call fds   |
 * | `renegotiate`      | vhost-pci → virtio-net | (none: the proposal's "re-negotiate the subset")      |
 * | `connect`          | vhost-pci → virtio-net | kick fds: where the peer injects its notifications    |
 * | `connected`        | virtio-net → vhost-pci | reply                                                 |
 * | `disconnect`       | either → other         | GET_VRING_BASE (stop) before closing                  |
 * | `disconnected`     | either → other         | reply: the sender no longer touches shared memory     |
 *
 * Messages are structured-clone objects (SharedArrayBuffers inside are shared, not copied). Everything
 * received is untrusted: {@link parsePeerLinkMessage} validates shape and ranges before a device looks at it.
 *
 * @module
 */
import { receiveMessageOnPort } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import type { Doorbell } from "../notify/index.js";
import type { GuestInterruptsDescriptor } from "./interrupts.js";

/** A virtqueue of the virtio-net side, as the vhost-pci side needs to mirror it. */
export interface VringInfo {
  /** Queue index in the virtio-net device. */
  readonly index: number;
  /** Queue size. */
  readonly size: number;
  /** Next available index to consume. */
  readonly lastAvailIdx: number;
  /** Guest-physical address of the descriptor table (virtio-net guest's memory). */
  readonly desc: number;
  /** Guest-physical address of the available ring. */
  readonly avail: number;
  /** Guest-physical address of the used ring. */
  readonly used: number;
  /** The queue's MSI-X vector in the virtio-net guest (its GSI), or 0xffffffff. */
  readonly vector: number;
  /** VIRTIO_F_RING_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_F_RING_INDIRECT_DESC negotiated. */
  readonly indirect: boolean;
}

/** The virtio-net guest's memory, shared with the vhost-pci side. */
export interface PeerMemoryDescriptor {
  /** The guest's RAM. */
  readonly buffer: SharedArrayBuffer;
  /** Guest-physical address of its first byte. */
  readonly gpaStart: number;
  /** Bytes. */
  readonly size: number;
}

/** A message of the peer link; see the module comment. */
export type PeerLinkMessage =
  | { readonly type: "backend-features"; readonly features: bigint }
  | {
      readonly type: "setup";
      /** Peer feature bits the virtio-net side negotiated (plus VHOST_F_LOG_ALL when it can log). */
      readonly features: bigint;
      readonly uuidHi: bigint;
      readonly uuidLo: bigint;
      readonly memory: PeerMemoryDescriptor;
      /** The virtio-net guest's interrupt controller (target of PV interrupts). */
      readonly interrupts: GuestInterruptsDescriptor;
      readonly txQueues: readonly VringInfo[];
      readonly rxQueues: readonly VringInfo[];
    }
  | { readonly type: "renegotiate"; readonly features: bigint }
  | {
      readonly type: "connect";
      readonly uuidHi: bigint;
      readonly uuidLo: bigint;
      /** The vhost-pci guest's interrupt controller. */
      readonly interrupts: GuestInterruptsDescriptor;
      /** Vector in the vhost-pci guest for each of its mirrored RX queues (= the virtio-net TX queues). */
      readonly rxQueueGsis: readonly number[];
      /** Vector the virtio-net side raises when it adds receive buffers the vhost-pci side waits for. */
      readonly refillGsi: number;
    }
  | { readonly type: "connected" }
  | { readonly type: "disconnect" }
  | { readonly type: "disconnected" };

/** Most queues of one direction a setup may describe. */
export const MAX_PEER_QUEUES = 64;

/** Outcome of {@link parsePeerLinkMessage}. */
export type ParsedPeerLinkMessage = { readonly ok: true; readonly message: PeerLinkMessage } | { readonly ok: false; readonly detail: string };

/** Validates an untrusted value as a {@link PeerLinkMessage}. Never throws. */
export function parsePeerLinkMessage(raw: unknown): ParsedPeerLinkMessage {
  try {
    return { ok: true, message: parse(raw) };
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, detail: err.message };
    return { ok: false, detail: `unreadable message: ${err instanceof Error ? err.message : String(err)}` };
  }
}

class ShapeError extends Error {}

function parse(raw: unknown): PeerLinkMessage {
  const m = record(raw, "message");
  switch (m.type) {
    case "backend-features":
    case "renegotiate":
      return { type: m.type, features: u64(m.features, "features") };
    case "setup":
      return {
        type: "setup",
        features: u64(m.features, "features"),
        uuidHi: u64(m.uuidHi, "uuidHi"),
        uuidLo: u64(m.uuidLo, "uuidLo"),
        memory: memory(m.memory),
        interrupts: m.interrupts as GuestInterruptsDescriptor,
        txQueues: vrings(m.txQueues, "txQueues"),
        rxQueues: vrings(m.rxQueues, "rxQueues"),
      };
    case "connect":
      return {
        type: "connect",
        uuidHi: u64(m.uuidHi, "uuidHi"),
        uuidLo: u64(m.uuidLo, "uuidLo"),
        interrupts: m.interrupts as GuestInterruptsDescriptor,
        rxQueueGsis: list(m.rxQueueGsis, "rxQueueGsis").map((g, i) => u32(g, `rxQueueGsis[${i}]`)),
        refillGsi: u32(m.refillGsi, "refillGsi"),
      };
    case "connected":
    case "disconnect":
    case "disconnected":
      return { type: m.type };
    default:
      throw new ShapeError(`unknown message type ${JSON.stringify(String(m.type)).slice(0, 40)}`);
  }
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ShapeError(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v) || v.length > MAX_PEER_QUEUES) throw new ShapeError(`${what} is not an array of at most ${MAX_PEER_QUEUES}`);
  return v;
}

function u64(v: unknown, what: string): bigint {
  if (typeof v !== "bigint" || BigInt.asUintN(64, v) !== v) throw new ShapeError(`${what} is not a u64 bigint`);
  return v;
}

function u32(v: unknown, what: string): number {
  if (typeof v !== "number" || v >>> 0 !== v) throw new ShapeError(`${what} is not a u32`);
  return v;
}

function u16(v: unknown, what: string): number {
  if (typeof v !== "number" || (v & 0xffff) !== v) throw new ShapeError(`${what} is not a u16`);
  return v;
}

function address(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new ShapeError(`${what} is not an address`);
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new ShapeError(`${what} is not a boolean`);
  return v;
}

function memory(v: unknown): PeerMemoryDescriptor {
  const m = record(v, "memory");
  if (Object.prototype.toString.call(m.buffer) !== "[object SharedArrayBuffer]") throw new ShapeError("memory.buffer is not a SharedArrayBuffer");
  return { buffer: m.buffer as SharedArrayBuffer, gpaStart: address(m.gpaStart, "memory.gpaStart"), size: address(m.size, "memory.size") };
}

function vrings(v: unknown, what: string): VringInfo[] {
  return list(v, what).map((e, i) => {
    const r = record(e, `${what}[${i}]`);
    const at = `${what}[${i}]`;
    return {
      index: u16(r.index, `${at}.index`),
      size: u16(r.size, `${at}.size`),
      lastAvailIdx: u16(r.lastAvailIdx, `${at}.lastAvailIdx`),
      desc: address(r.desc, `${at}.desc`),
      avail: address(r.avail, `${at}.avail`),
      used: address(r.used, `${at}.used`),
      vector: u32(r.vector, `${at}.vector`),
      eventIdx: bool(r.eventIdx, `${at}.eventIdx`),
      indirect: bool(r.indirect, `${at}.indirect`),
    };
  });
}

/** One end of a peer link. */
export interface PeerLinkEndpoint {
  /** Sends a message to the other end (and wakes it). */
  send(message: PeerLinkMessage): void;
  /** The next message received, unvalidated, or undefined when none is waiting. */
  receive(): unknown;
}

/** A peer link inside one thread (tests, conformance checks): two queues. */
export function createLoopbackLink(): [PeerLinkEndpoint, PeerLinkEndpoint] {
  const toA: unknown[] = [];
  const toB: unknown[] = [];
  const end = (inbox: unknown[], outbox: unknown[]): PeerLinkEndpoint => ({
    send: (message) => {
      outbox.push(message);
    },
    receive: () => inbox.shift(),
  });
  return [end(toA, toB), end(toB, toA)];
}

/**
 * A peer link end over a MessagePort between worker_threads. Receiving is synchronous
 * (`receiveMessageOnPort`), so a guest loop that blocks in `Atomics.wait` still sees messages; sending rings
 * the receiver's CPU line so it wakes up to read them.
 */
export class PortPeerLink implements PeerLinkEndpoint {
  readonly #port: MessagePort;
  readonly #peerLine: Doorbell;

  /**
   * @param port - this end of a MessageChannel
   * @param peerLine - the other guest's CPU line
   */
  constructor(port: MessagePort, peerLine: Doorbell) {
    this.#port = port;
    this.#peerLine = peerLine;
  }

  /** Posts `message` and wakes the other guest. */
  send(message: PeerLinkMessage): void {
    this.#port.postMessage(message);
    this.#peerLine.ring();
  }

  /** The next message, or undefined. */
  receive(): unknown {
    return receiveMessageOnPort(this.#port)?.message;
  }
}
