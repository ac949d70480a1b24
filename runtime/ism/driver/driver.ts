/**
 * `IsmDriver`: the guest-side ISM driver — feature negotiation, the controlq and eventq on split rings in guest
 * memory, and a friendly async API over the control commands (`alloc`, `attach`, `query`, `grant`,
 * `grantDevice`, `bindVector`, `detach`), with events as an EventEmitter and as async-iterable streams.
 *
 * Wire formats are the generated ones (`generated/ism/`, through ./wire.ts): requests are encoded with
 * `encodeIsmRequestInto`, replies decoded with `decodeIsmReply`, events with `decodeIsmEvents`, the config
 * with `decodeVirtioIsmConfig`; a refusal is an {@link IsmAckError} carrying the ack's spec name.
 *
 * Protocol details the driver follows:
 * - alloc asks for exactly the reply room `16 + 8 * ceil(size / chunk_size)`; attach starts with room for
 *   `attachReplyChunks` chunks and, on `VIRTIO_ISM_E2BIG`, retries with the `num` the device reported ("set the
 *   num for next request");
 * - without `VIRTIO_ISM_F_DEV_MEM` it lends a buffer of guest memory for each alloc (returned to the pool on the
 *   matching `BUFFER_FREE` event) and each attach (returned when the detach is acknowledged, since "this memory
 *   will not be used"); an attach is then preceded by a query, because the lent buffer must hold `size` bytes;
 * - every reply is checked against the request (`num` = chunks expected, chunk offsets multiples of
 *   `chunk_size`, ascending, non-zero token) before a handle is made: a device that lies gets `bad-reply`.
 *
 * Interrupt vectors: 0 is the controlq's, 1 the eventq's; `bindVector` accepts 2 and up.
 *
 * Servicing: with an inline transport (device in the same thread) the driver collects used buffers in a
 * microtask after each interrupt; otherwise an async loop waits on the transport's interrupt line. Call
 * {@link IsmDriver.close} to stop it (the loop keeps a worker's event loop alive while the driver is open).
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { ControlChannel } from "./control-channel.js";
import { DmaPool } from "./dma-pool.js";
import { IsmAckError, IsmDriverError } from "./errors.js";
import { EventChannel } from "./event-channel.js";
import { EventStream } from "./events.js";
import type { IsmBufferFreeNotice, IsmDriverEvent, IsmPeerNotice, IsmUpdateNotice } from "./events.js";
import { hasDevMem, hasPackedRing, negotiateFeatures } from "./features.js";
import type { DevMemPreference, RingPreference } from "./features.js";
import { layoutDriverMemory } from "./layout.js";
import type { IsmDriverLayout } from "./layout.js";
import { accessBits, permissionBits, permissionSet } from "./permissions.js";
import type { IsmAccess, IsmPermissionSet } from "./permissions.js";
import { IsmRegionHandle, kBound, kDeliver, kDetached } from "./region-handle.js";
import { CONTROLQ_INDEX, EVENTQ_INDEX } from "./transport.js";
import type { IsmDriverTransport } from "./transport.js";
import {
  CHUNK_ENTRY_BYTES,
  CHUNK_REPLY_FIXED_BYTES,
  IsmAck,
  IsmPermission,
  NO_VECTOR,
  QUERY_REPLY_BYTES,
  VirtioIsmConfigSize,
  ackNameOf,
  decodeVirtioIsmConfig,
  ismCommands,
} from "./wire.js";
import type { IsmCommandName, IsmReply, IsmRequestInputs, IsmWireEvent } from "./wire.js";

/** First interrupt vector `bindVector` accepts (0 and 1 belong to the controlq and eventq). */
export const FIRST_REGION_VECTOR = 2;
/** Largest `chunk_size` a device may report (2^30). */
const MAX_CHUNK_SIZE = 1 << 30;
/** Most chunks a region may have (the device model's limit, 2^24). */
const MAX_REGION_CHUNKS = 1 << 24;

/** Options of {@link IsmDriver.open}. */
export interface IsmDriverOptions {
  /** What to do about `VIRTIO_ISM_F_DEV_MEM` (default `prefer`). */
  readonly devMem?: DevMemPreference;
  /** Ring layout: `packed` when the device offers VIRTIO_F_RING_PACKED (default), or `split` always. */
  readonly ring?: RingPreference;
  /** Controlq ring size, a power of two (default 64). */
  readonly controlQueueSize?: number;
  /** Eventq ring size, a power of two (default 64). */
  readonly eventQueueSize?: number;
  /** Eventq buffers kept posted (default 32, at most the eventq size). */
  readonly eventBuffers?: number;
  /** Bytes of each eventq buffer (default 256: eight ATTACH/DETACH events). */
  readonly eventBufferBytes?: number;
  /** Chunks the first attach reply has room for before an E2BIG retry (default 64). */
  readonly attachReplyChunks?: number;
  /** Events an unread stream holds before dropping the oldest (default 4096). */
  readonly streamCapacity?: number;
}

/** What `query` reports. */
export interface IsmRegionInfo {
  /** Region size in bytes. */
  readonly size: number;
  /** This device's permissions on the region. */
  readonly permissions: Required<IsmPermissionSet>;
  /** The same as wire bits. */
  readonly permissionBits: number;
}

/** Counters of a driver. */
export interface IsmDriverStats {
  /** Control requests answered. */
  readonly requests: number;
  /** Events reported (all kinds). */
  readonly events: number;
  /** Events about an offset where the driver holds no region. */
  readonly unknownRegionEvents: number;
  /** BUFFER_FREE events naming no buffer the driver lent (ignored). */
  readonly bogusBufferFree: number;
  /** Eventq buffers whose content did not decode. */
  readonly undecodableEventBuffers: number;
  /** E2BIG answers retried with a larger reply buffer. */
  readonly e2bigRetries: number;
}

/** Guest-memory accounting of a driver. */
export interface IsmDriverMemory {
  /** Bytes of the DMA pool in use (event buffers, requests in flight, lent buffers). */
  readonly poolUsedBytes: number;
  /** Bytes of the DMA pool free. */
  readonly poolFreeBytes: number;
  /** Buffers lent to the device (alloc buffers awaiting BUFFER_FREE, attach buffers until detach). */
  readonly lentBuffers: number;
}

/** Events an {@link IsmDriver} emits, by name. */
export interface IsmDriverEvents {
  /** Every event. */
  event: [IsmDriverEvent];
  /** A peer kicked one of this driver's regions. */
  UPDATE: [IsmUpdateNotice];
  /** A peer attached one of this driver's regions. */
  ATTACH: [IsmPeerNotice];
  /** A peer detached one of this driver's regions. */
  DETACH: [IsmPeerNotice];
  /** A lent buffer came back. */
  BUFFER_FREE: [IsmBufferFreeNotice];
  /**
   * The device set DEVICE_NEEDS_RESET: every pending request was failed with this error; call
   * {@link IsmDriver.reset} to use the device again.
   */
  "needs-reset": [IsmDriverError];
}

/** Resolved options. */
interface Settings {
  readonly controlQueueSize: number;
  readonly eventQueueSize: number;
  readonly eventBuffers: number;
  readonly eventBufferBytes: number;
  readonly attachReplyChunks: number;
  readonly streamCapacity: number;
}

/** The ISM driver; see the module comment. Create it with {@link IsmDriver.open}. */
export class IsmDriver extends EventEmitter<IsmDriverEvents> {
  /** This device's id (config `devid`). */
  readonly devid: bigint;
  /** The communication domain id (config `cdid`, a 128-bit value). */
  readonly cdid: bigint;
  /** Config `chunk_size`. */
  readonly chunkSize: number;
  /** Config `notify_size`. */
  readonly notifySize: number;
  /** Accepted feature bits. */
  readonly features: bigint;
  /** Whether `VIRTIO_ISM_F_DEV_MEM` was negotiated. */
  readonly devMem: boolean;
  readonly #transport: IsmDriverTransport;
  readonly #settings: Settings;
  #pool: DmaPool;
  readonly #layout: IsmDriverLayout;
  #control: ControlChannel;
  #events: EventChannel;
  /** Configuration change counter last seen (the device status register's). */
  #configSeen: number;
  #resets = 0;
  readonly #regions = new Map<bigint, IsmRegionHandle>();
  readonly #byOffset = new Map<number, IsmRegionHandle>();
  readonly #streams = new Set<EventStream<IsmDriverEvent>>();
  /** Alloc buffers lent without DEV_MEM, by address, until their BUFFER_FREE. */
  readonly #lentAtAlloc = new Set<number>();
  /** Attach buffers lent without DEV_MEM, by token, until the detach is acknowledged. */
  readonly #lentAtAttach = new Map<bigint, number>();
  /** Counter last seen of each bound vector. */
  readonly #vectorSeen = new Map<number, number>();
  #closed = false;
  #serviceQueued = false;
  #unsubscribe: (() => void) | undefined;
  #eventCount = 0;
  #unknownRegionEvents = 0;
  #bogusBufferFree = 0;
  #e2bigRetries = 0;

  private constructor(transport: IsmDriverTransport, features: bigint, config: { devid: bigint; cdid: bigint; chunkSize: number; notifySize: number }, settings: Settings) {
    super();
    this.#transport = transport;
    this.#settings = settings;
    this.features = features;
    this.devMem = hasDevMem(features);
    this.devid = config.devid;
    this.cdid = config.cdid;
    this.chunkSize = config.chunkSize;
    this.notifySize = config.notifySize;
    this.#layout = layoutDriverMemory(transport.ram, settings.controlQueueSize, settings.eventQueueSize, hasPackedRing(features) ? "packed" : "split");
    [this.#pool, this.#control, this.#events] = this.#buildChannels();
    this.#configSeen = transport.deviceStatus.configChange.load();
  }

  /** A fresh DMA pool over the whole pool range, and both queues initialised on it. */
  #buildChannels(): [DmaPool, ControlChannel, EventChannel] {
    const transport = this.#transport;
    const layout = this.#layout;
    const settings = this.#settings;
    const pool = new DmaPool(layout.poolBase, layout.poolLength);
    const memory = transport.memory;
    const control = new ControlChannel(memory, layout.controlq, pool, this.features, () => transport.notifyQueue(CONTROLQ_INDEX));
    const events = new EventChannel(
      memory,
      layout.eventq,
      pool,
      { count: settings.eventBuffers, bufferBytes: settings.eventBufferBytes, features: this.features },
      () => transport.notifyQueue(EVENTQ_INDEX),
    );
    return [pool, control, events];
  }

  /**
   * Negotiates features, reads the config, sets up both queues and brings the device up.
   *
   * @throws IsmDriverError `feature-unsupported`, `bad-config`, `invalid-argument`, `out-of-memory` or
   *   `activation-failed` (rejected promise)
   */
  static async open(transport: IsmDriverTransport, options: IsmDriverOptions = {}): Promise<IsmDriver> {
    const features = negotiateFeatures(transport.deviceFeatures, options.devMem ?? "prefer", options.ring ?? "packed");
    const config = readConfig(transport.readConfig());
    const settings: Settings = {
      controlQueueSize: options.controlQueueSize ?? 64,
      eventQueueSize: options.eventQueueSize ?? 64,
      eventBuffers: options.eventBuffers ?? Math.min(32, options.eventQueueSize ?? 64),
      eventBufferBytes: options.eventBufferBytes ?? 256,
      attachReplyChunks: positiveInteger(options.attachReplyChunks ?? 64, "attachReplyChunks"),
      streamCapacity: positiveInteger(options.streamCapacity ?? 4096, "streamCapacity"),
    };
    const driver = new IsmDriver(transport, features, config, settings);
    try {
      await transport.activate({ features, controlq: driver.#layout.controlq, eventq: driver.#layout.eventq });
    } catch (cause) {
      if (cause instanceof IsmDriverError) throw cause;
      throw new IsmDriverError("activation-failed", `the device could not be activated: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    driver.#startServicing();
    driver.#events.start();
    return driver;
  }

  /** Counters. */
  get stats(): IsmDriverStats {
    return {
      requests: this.#control.completed,
      events: this.#eventCount,
      unknownRegionEvents: this.#unknownRegionEvents,
      bogusBufferFree: this.#bogusBufferFree,
      undecodableEventBuffers: this.#events.undecodableBuffers,
      e2bigRetries: this.#e2bigRetries,
    };
  }

  /** Guest-memory accounting. */
  get memory(): IsmDriverMemory {
    return { poolUsedBytes: this.#pool.usedBytes, poolFreeBytes: this.#pool.freeBytes, lentBuffers: this.#lentAtAlloc.size + this.#lentAtAttach.size };
  }

  /** Control requests not answered yet. */
  get pendingRequests(): number {
    return this.#control.pending;
  }

  /** Device resets this driver performed ({@link reset}). */
  get resets(): number {
    return this.#resets;
  }

  /** Whether the device has DEVICE_NEEDS_RESET set. */
  get deviceNeedsReset(): boolean {
    return this.#transport.deviceStatus.needsReset;
  }

  /** Why the driver stopped working (a broken queue, the device needing a reset, or closed), if it did. */
  get failure(): IsmDriverError | undefined {
    return this.#control.failure ?? this.#events.failure;
  }

  /** @returns the handle of the attached region `token`, if this driver holds one */
  region(token: bigint): IsmRegionHandle | undefined {
    return this.#regions.get(token);
  }

  /** Regions this driver holds, in the order they were attached. */
  regions(): IsmRegionHandle[] {
    return [...this.#regions.values()];
  }

  /** @returns a stream of every event from now on (close it with `return()` / `break`) */
  events(): EventStream<IsmDriverEvent> {
    const stream: EventStream<IsmDriverEvent> = new EventStream(this.#settings.streamCapacity, () => this.#streams.delete(stream));
    this.#streams.add(stream);
    return stream;
  }

  /**
   * Allocates a region of `size` bytes (`VIRTIO_ISM_CTRL_ALLOC_REGION`) and maps it.
   *
   * @throws IsmAckError (`VIRTIO_ISM_ENOSPEC`, `VIRTIO_ISM_ENOMEM`, ...); IsmDriverError `invalid-argument`,
   *   `out-of-memory` (no guest memory to lend), `bad-reply`, `queue-broken`, `closed`
   */
  async alloc(size: number): Promise<IsmRegionHandle> {
    if (!Number.isSafeInteger(size) || size < 1) throw new IsmDriverError("invalid-argument", `region size must be a positive integer, got ${String(size)}`);
    const chunks = Math.ceil(size / this.chunkSize);
    if (chunks > MAX_REGION_CHUNKS) throw new IsmDriverError("invalid-argument", `a ${size}-byte region needs ${chunks} chunks, more than any device has`);
    const lent = this.devMem ? undefined : this.#pool.allocate(size);
    let reply: IsmReply<"ALLOC_REGION">;
    try {
      reply = await this.#call(
        "ALLOC_REGION",
        { size: BigInt(size), buffer: lent === undefined ? undefined : BigInt(lent) },
        CHUNK_REPLY_FIXED_BYTES + CHUNK_ENTRY_BYTES * chunks,
      );
    } catch (error) {
      if (lent !== undefined) this.#pool.free(lent);
      throw error;
    }
    const r = reply.reply;
    if (r === undefined || r.token === 0n) throw new IsmDriverError("bad-reply", "alloc reply carries no token");
    const offsets = this.#checkChunks("alloc", r.num, r.chunks, chunks);
    if (lent !== undefined) this.#lentAtAlloc.add(lent);
    return this.#adopt(r.token, size, offsets, true, { read: true, write: true });
  }

  /**
   * Attaches the region `token` (`VIRTIO_ISM_CTRL_ATTACH_REGION`) with the access asked for.
   *
   * @param access - `rw_perm` (default read and write)
   * @throws IsmAckError (`VIRTIO_ISM_ENOENT`, `VIRTIO_ISM_PERM_EATTACH`, `VIRTIO_ISM_PERM_EREAD`,
   *   `VIRTIO_ISM_PERM_EWRITE`, `VIRTIO_ISM_ENOSPEC`, ...); IsmDriverError as {@link alloc}
   */
  async attach(token: bigint, access: Partial<IsmAccess> = { read: true, write: true }): Promise<IsmRegionHandle> {
    checkToken(token);
    const rw = accessBits(access);
    let lent: number | undefined;
    if (!this.devMem) {
      // The lent buffer must hold `size` bytes, and only a query tells the size before the attach.
      const info = await this.query(token);
      lent = this.#pool.allocate(info.size);
    }
    try {
      let room = Math.min(this.#settings.attachReplyChunks, MAX_REGION_CHUNKS);
      for (let attempt = 0; ; attempt++) {
        const reply = await this.#submit(
          "ATTACH_REGION",
          { token, rw_perm: BigInt(rw), buffer: lent === undefined ? undefined : BigInt(lent) },
          CHUNK_REPLY_FIXED_BYTES + CHUNK_ENTRY_BYTES * room,
        );
        if (reply.ack === IsmAck.E2BIG && attempt === 0) {
          const needed = e2bigChunks(reply.payload);
          if (needed !== undefined && needed > room && needed <= MAX_REGION_CHUNKS) {
            this.#e2bigRetries++;
            room = needed;
            continue;
          }
        }
        if (reply.ack !== IsmAck.OK) throw ackError("ATTACH_REGION", reply.ack);
        const r = reply.reply;
        if (r === undefined) throw new IsmDriverError("bad-reply", "attach reply missing");
        const size = toSafe(r.size, "attach size");
        if (size < 1) throw new IsmDriverError("bad-reply", "attach reply reports size 0");
        const offsets = this.#checkChunks("attach", r.num, r.chunks, Math.ceil(size / this.chunkSize));
        if (lent !== undefined) this.#lentAtAttach.set(token, lent);
        lent = undefined;
        const handle = await this.#adopt(token, size, offsets, false, { read: (rw & 1) !== 0, write: (rw & 2) !== 0 });
        return handle;
      }
    } finally {
      if (lent !== undefined) this.#pool.free(lent);
    }
  }

  /**
   * Queries a region (`VIRTIO_ISM_CTRL_QUERY_INFO`): its size and this device's permissions on it.
   *
   * @throws IsmAckError (`VIRTIO_ISM_ENOENT`); IsmDriverError `bad-reply`, `queue-broken`, `closed`
   */
  async query(token: bigint): Promise<IsmRegionInfo> {
    checkToken(token);
    const reply = await this.#call("QUERY_INFO", { token }, QUERY_REPLY_BYTES);
    const r = reply.reply;
    if (r === undefined) throw new IsmDriverError("bad-reply", "query reply missing");
    const bits = Number(r.permissions & 0xffn);
    return { size: toSafe(r.size, "query size"), permissions: permissionSet(bits), permissionBits: bits };
  }

  /**
   * Sets the region's default permissions (`VIRTIO_ISM_CTRL_GRANT_SET_DEFAULT`).
   *
   * @throws IsmAckError (`VIRTIO_ISM_ENOENT`, `VIRTIO_ISM_ERR` without MANAGE); IsmDriverError
   */
  async grant(token: bigint, permissions: IsmPermissionSet | number): Promise<void> {
    checkToken(token);
    await this.#call("GRANT_SET_DEFAULT", { token, permissions: BigInt(permissionBits(permissions)) }, 0);
  }

  /**
   * Sets one device's dedicated permissions on the region (`VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE`).
   *
   * @param options - `cleanDefault`: also send `VIRTIO_ISM_PERM_CLEAN_DEFAULT`
   * @throws IsmAckError (`VIRTIO_ISM_ENOENT`, `VIRTIO_ISM_ERR`); IsmDriverError
   */
  async grantDevice(token: bigint, devid: bigint, permissions: IsmPermissionSet | number, options: { readonly cleanDefault?: boolean } = {}): Promise<void> {
    checkToken(token);
    if (typeof devid !== "bigint" || devid <= 0n || devid >= 1n << 64n) throw new IsmDriverError("invalid-argument", `devid must be a non-zero 64-bit bigint, got ${String(devid)}`);
    const bits = permissionBits(permissions) | (options.cleanDefault === true ? IsmPermission.CLEAN_DEFAULT : 0);
    await this.#call("GRANT_SET_FOR_DEVICE", { token, permissions: BigInt(bits), peer_devid: devid }, 0);
  }

  /**
   * Binds the region's UPDATE events to interrupt vector `vector` (`VIRTIO_ISM_CTRL_EVENT_VECTOR_SET`), or
   * back to the eventq with `null`. A bound UPDATE raises the vector and never enters the eventq: wait for it
   * with the handle's `waitForKick`.
   *
   * @throws IsmAckError; IsmDriverError `invalid-argument` (vector outside [2, vector count))
   */
  async bindVector(token: bigint, vector: number | null): Promise<void> {
    checkToken(token);
    const count = this.#transport.interrupts.vectorCount;
    if (vector !== null && (!Number.isInteger(vector) || vector < FIRST_REGION_VECTOR || vector >= count || vector === NO_VECTOR)) {
      throw new IsmDriverError("invalid-argument", `vector must be in [${FIRST_REGION_VECTOR}, ${count}) or null, got ${String(vector)}`);
    }
    await this.#call("EVENT_VECTOR_SET", { token, vector: BigInt(vector ?? NO_VECTOR) }, 0);
    const handle = this.#regions.get(token);
    if (vector !== null && !this.#vectorSeen.has(vector)) this.#vectorSeen.set(vector, this.#transport.interrupts.doorbell(vector).load());
    handle?.[kBound](vector ?? undefined);
  }

  /**
   * Detaches the region (`VIRTIO_ISM_CTRL_DETACH_REGION`); its handle stops working.
   *
   * @throws IsmAckError (`VIRTIO_ISM_ENOENT`); IsmDriverError
   */
  async detach(token: bigint): Promise<void> {
    checkToken(token);
    await this.#call("DETACH_REGION", { token }, 0);
    this.#forget(token);
    const lent = this.#lentAtAttach.get(token);
    if (lent !== undefined) {
      // "Under normal circumstances, this memory will not be used": the driver owns it again once acked.
      this.#lentAtAttach.delete(token);
      this.#pool.free(lent);
    }
  }

  /** Detaches every region this driver holds (errors are collected, not thrown one by one). */
  async detachAll(): Promise<IsmDriverError[]> {
    const errors: IsmDriverError[] = [];
    for (const token of [...this.#regions.keys()]) {
      try {
        await this.detach(token);
      } catch (error) {
        errors.push(error instanceof IsmDriverError ? error : new IsmDriverError("bad-reply", String(error)));
      }
    }
    return errors;
  }

  /**
   * Collects every used control and event buffer and reports bound-vector kicks now (the driver also does it
   * on its own after each interrupt).
   *
   * @returns control requests completed plus events reported
   */
  service(): number {
    if (this.#closed) return 0;
    let done = this.#control.collect();
    const status = this.#transport.deviceStatus;
    const changed = status.configChange.load();
    if (changed !== this.#configSeen) {
      // A configuration change interrupt: the only device-initiated change ISM has is DEVICE_NEEDS_RESET.
      // Requests answered before it were completed just above; nothing else will be.
      this.#configSeen = changed;
      if (status.needsReset) this.#onNeedsReset();
    }
    const events = this.#events.collect();
    for (const e of events) this.#dispatch(e);
    done += events.length;
    for (const [vector, seen] of this.#vectorSeen) {
      const now = this.#transport.interrupts.doorbell(vector).load();
      if (now === seen) continue;
      this.#vectorSeen.set(vector, now);
      for (const handle of this.#regions.values()) {
        if (handle.vector === vector) this.#report({ type: "UPDATE", region: handle, offset: handle.offset, from: undefined });
      }
    }
    const failure = this.#events.failure;
    if (failure !== undefined) this.#control.fail(failure);
    return done;
  }

  /**
   * Resets the device and brings it up again on fresh rings (virtio 1.x §2.1: on DEVICE_NEEDS_RESET "the driver
   * SHOULD reset the device"): requests still pending are failed with `device-needs-reset`, every region handle
   * is detached (the device forgot its regions; peers got DETACH), lent buffers and the DMA pool start over, the
   * features negotiated at open are accepted again and both queues are set up anew.
   *
   * @throws IsmDriverError `closed`, `activation-failed` (rejected promise)
   */
  async reset(): Promise<void> {
    if (this.#closed) throw new IsmDriverError("closed", "the driver was closed");
    this.#control.fail(new IsmDriverError("device-needs-reset", "the driver reset the device"));
    try {
      await this.#transport.reset();
    } catch (cause) {
      if (cause instanceof IsmDriverError) throw cause;
      throw new IsmDriverError("activation-failed", `the device could not be reset: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    this.#resets++;
    for (const token of [...this.#regions.keys()]) this.#forget(token);
    this.#lentAtAlloc.clear();
    this.#lentAtAttach.clear();
    this.#vectorSeen.clear();
    // The device no longer touches the old rings or buffers: all of the pool is the driver's again.
    [this.#pool, this.#control, this.#events] = this.#buildChannels();
    this.#configSeen = this.#transport.deviceStatus.configChange.load();
    try {
      await this.#transport.activate({ features: this.features, controlq: this.#layout.controlq, eventq: this.#layout.eventq });
    } catch (cause) {
      if (cause instanceof IsmDriverError) throw cause;
      throw new IsmDriverError("activation-failed", `the device could not be activated: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    this.#events.start();
  }

  #onNeedsReset(): void {
    const error = new IsmDriverError("device-needs-reset", "the device set DEVICE_NEEDS_RESET (it stopped serving a queue); reset it to use it again");
    this.#control.fail(error);
    this.emit("needs-reset", error);
  }

  /**
   * Stops the driver: pending requests are rejected with `closed`, streams end, servicing stops. Regions stay
   * attached on the device (a device reset, e.g. when the guest goes away, releases them).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.service();
    this.#closed = true;
    this.#control.fail(new IsmDriverError("closed", "the driver was closed"));
    this.#unsubscribe?.();
    for (const s of [...this.#streams]) s.close();
    // Wake the service loop so that it sees `closed` and lets the event loop go.
    if (!this.#transport.inline) this.#transport.interruptLine.ring();
    await Promise.resolve();
  }

  /** Sends a request; resolves with its reply when the ack is OK, else throws the ack as an error. */
  async #call<K extends IsmCommandName>(command: K, request: IsmRequestInputs[K], replyBytes: number): Promise<IsmReply<K>> {
    const reply = await this.#submit(command, request, replyBytes);
    if (reply.ack !== IsmAck.OK) throw ackError(command, reply.ack);
    return reply;
  }

  #submit<K extends IsmCommandName>(command: K, request: IsmRequestInputs[K], replyBytes: number): Promise<IsmReply<K>> {
    if (this.#closed) return Promise.reject(new IsmDriverError("closed", "the driver was closed"));
    return this.#control.submit(command, request, replyBytes);
  }

  /** Checks a reply's chunk list; @returns the offsets as numbers */
  #checkChunks(what: string, num: bigint, chunks: readonly bigint[], expected: number): number[] {
    if (num !== BigInt(expected) || chunks.length !== expected) {
      throw new IsmDriverError("bad-reply", `${what} reply has ${num} chunks (${chunks.length} listed), ${expected} expected`);
    }
    const offsets = new Array<number>(expected);
    for (let i = 0; i < expected; i++) {
      const o = chunks[i]!;
      if (o < 0n || o > BigInt(Number.MAX_SAFE_INTEGER) || o % BigInt(this.chunkSize) !== 0n || (i > 0 && o <= chunks[i - 1]!)) {
        throw new IsmDriverError("bad-reply", `${what} reply: chunk ${i} at offset ${o} is not a chunk boundary above the previous one`);
      }
      offsets[i] = Number(o);
    }
    return offsets;
  }

  /** Maps a region the device just gave this driver and records its handle. */
  async #adopt(token: bigint, size: number, chunks: number[], allocatedHere: boolean, requested: IsmAccess): Promise<IsmRegionHandle> {
    const offset = chunks[0]!;
    const window = await this.#transport.mapRegion(token, offset);
    const handle = new IsmRegionHandle(
      { writeNotify: (o) => this.#transport.writeNotify(o), detach: (t) => this.detach(t), interrupts: this.#transport.interrupts },
      {
        token,
        size,
        chunks,
        // Safe: offset / chunkSize is a slot index < 2^24 and notify_size <= 2^53 / 2^24 was checked.
        notifyOffset: (offset / this.chunkSize) * this.notifySize,
        allocatedHere,
        requested,
        window,
        streamCapacity: this.#settings.streamCapacity,
      },
    );
    const previous = this.#regions.get(token);
    if (previous !== undefined) this.#forget(token);
    this.#regions.set(token, handle);
    this.#byOffset.set(offset, handle);
    return handle;
  }

  #forget(token: bigint): void {
    const handle = this.#regions.get(token);
    if (handle === undefined) return;
    this.#regions.delete(token);
    if (this.#byOffset.get(handle.offset) === handle) this.#byOffset.delete(handle.offset);
    handle[kDetached]();
  }

  #dispatch(wire: IsmWireEvent): void {
    switch (wire.type) {
      case "UPDATE": {
        const offset = wireOffset(wire.event.offset);
        const region = offset === undefined ? undefined : this.#byOffset.get(offset);
        if (region === undefined) this.#unknownRegionEvents++;
        this.#report({ type: "UPDATE", region, offset: offset ?? -1, from: wire.event.devid });
        return;
      }
      case "ATTACH":
      case "DETACH": {
        const offset = wireOffset(wire.event.offset);
        const region = offset === undefined ? undefined : this.#byOffset.get(offset);
        if (region === undefined) this.#unknownRegionEvents++;
        const peers = wire.event.peers > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(wire.event.peers);
        this.#report({ type: wire.type, region, offset: offset ?? -1, devid: wire.event.devid, peers });
        return;
      }
      case "BUFFER_FREE": {
        const address = wireOffset(wire.event.buffer);
        const known = address !== undefined && this.#lentAtAlloc.has(address);
        if (known) {
          this.#lentAtAlloc.delete(address);
          this.#pool.free(address);
        } else {
          this.#bogusBufferFree++;
        }
        this.#report({ type: "BUFFER_FREE", buffer: address ?? -1, known });
        return;
      }
    }
  }

  #report(event: IsmDriverEvent): void {
    this.#eventCount++;
    for (const s of this.#streams) s.push(event);
    try {
      if (event.type !== "BUFFER_FREE") event.region?.[kDeliver](event);
      this.emit("event", event);
      switch (event.type) {
        case "UPDATE":
          this.emit("UPDATE", event);
          break;
        case "ATTACH":
          this.emit("ATTACH", event);
          break;
        case "DETACH":
          this.emit("DETACH", event);
          break;
        case "BUFFER_FREE":
          this.emit("BUFFER_FREE", event);
          break;
      }
    } catch (error) {
      // A listener threw. Surface it as an uncaught exception, as Node does for a listener called from an I/O
      // callback, but only after the driver has finished servicing: its rings must not be left half collected.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #startServicing(): void {
    const line = this.#transport.interruptLine;
    if (this.#transport.inline) {
      // The device runs inside our notifications; its interrupts ring the line in this thread. Service in a
      // microtask so that the driver is never re-entered from inside its own notification.
      this.#unsubscribe = line.subscribe(() => {
        if (this.#serviceQueued || this.#closed) return;
        this.#serviceQueued = true;
        queueMicrotask(() => {
          this.#serviceQueued = false;
          this.service();
        });
      });
      return;
    }
    void this.#serviceLoop();
  }

  async #serviceLoop(): Promise<void> {
    const line = this.#transport.interruptLine;
    while (!this.#closed) {
      // Read the line first: an interrupt arriving while we service changes it, so the wait returns at once.
      const seen = line.load();
      this.service();
      if (this.#closed) break;
      await line.waitAsync(seen);
    }
  }
}

/** @returns an IsmAckError for `ack` answering `command` */
function ackError(command: IsmCommandName, ack: number): IsmAckError {
  return new IsmAckError(ismCommands[command].name, ack, ackNameOf(ack));
}

/** Decodes and checks the config space. */
function readConfig(bytes: Uint8Array): { devid: bigint; cdid: bigint; chunkSize: number; notifySize: number } {
  if (!(bytes instanceof Uint8Array) || bytes.length < VirtioIsmConfigSize) {
    throw new IsmDriverError("bad-config", `the config space must hold ${VirtioIsmConfigSize} bytes`);
  }
  const c = decodeVirtioIsmConfig(bytes);
  if (c.chunk_size < 1n || c.chunk_size > BigInt(MAX_CHUNK_SIZE) || (c.chunk_size & (c.chunk_size - 1n)) !== 0n) {
    throw new IsmDriverError("bad-config", `chunk_size ${c.chunk_size} is not a power of two in [1, 2^30]`);
  }
  // notify_size * chunk slots must stay a safe integer for any slot index below 2^24.
  if (c.notify_size < 1n || c.notify_size > BigInt(Math.floor(Number.MAX_SAFE_INTEGER / MAX_REGION_CHUNKS))) {
    throw new IsmDriverError("bad-config", `notify_size ${c.notify_size} is out of range`);
  }
  if (c.devid === 0n) throw new IsmDriverError("bad-config", "devid 0 is not a valid device id");
  return { devid: c.devid, cdid: c.cdid, chunkSize: Number(c.chunk_size), notifySize: Number(c.notify_size) };
}

function checkToken(token: bigint): void {
  if (typeof token !== "bigint" || token <= 0n || token >= 1n << 64n) {
    throw new IsmDriverError("invalid-argument", `a token is a non-zero 64-bit bigint, got ${String(token)}`);
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new IsmDriverError("invalid-argument", `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function toSafe(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new IsmDriverError("bad-reply", `${what} ${value} is out of range`);
  return Number(value);
}

/** @returns a wire offset or address as a number, or undefined when it cannot be one */
function wireOffset(value: bigint): number | undefined {
  return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

/** @returns the `num` an E2BIG reply reports (bytes 8..15 after the ack), if it carries one */
function e2bigChunks(payload: Uint8Array): number | undefined {
  if (payload.length < CHUNK_REPLY_FIXED_BYTES) return undefined;
  const num = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getBigUint64(8, true);
  return num > 0n && num <= BigInt(MAX_REGION_CHUNKS) ? Number(num) : undefined;
}
