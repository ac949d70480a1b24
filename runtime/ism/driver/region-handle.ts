/**
 * `IsmRegionHandle`: what guest code holds for a region its device refers to — the token to pass to peers,
 * checked and raw access to the bytes, `kick()` (a write to the region's notify address), the region's events,
 * and `detach()`.
 *
 * Access paths:
 * - checked (`read`, `readInto`, `write`): every access is validated against the mapping's *current*
 *   permissions and liveness (a grant that takes WRITE away, or a detach, is seen by the next access, in any
 *   thread) and against the region's size; a refusal is an {@link IsmDriverError} and changes nothing;
 * - raw views (`views()`): a `Uint8Array`, `DataView` and `Int32Array` over the region's memory, for hot paths
 *   (Atomics on index and flag words, bulk copies). Permissions are checked once, when the views are taken
 *   (read *and* write access required, as `mmap` fixes the protection at map time); JavaScript cannot revoke a
 *   view, so a later grant or detach does not stop it. The memory behind a region is never reused, so a stale
 *   view can only reach that region's own bytes.
 *
 * Notify address (spec/ism-decisions.md, "Notify address"): the notify address of the slot holding the
 * region's first chunk, `(chunks[0] / chunk_size) * notify_size`.
 *
 * @module
 */
import type { DoorbellAsyncWaitResult, DoorbellWaitOptions, DoorbellWaitResult, InterruptTable } from "../../notify/index.js";
import { ShmError } from "../../shm/index.js";
import type { RegionHandle } from "../../shm/index.js";
import { IsmDriverError } from "./errors.js";
import type { IsmDriverEvent, IsmPeerNotice, IsmUpdateNotice } from "./events.js";
import { EventStream } from "./events.js";
import type { IsmAccess } from "./permissions.js";

/** Raw views over a region's bytes (see the module comment for what they do not check). */
export interface IsmRegionViews {
  /** The region's `size` bytes. */
  readonly bytes: Uint8Array;
  /** The same bytes as a DataView. */
  readonly data: DataView;
  /** The region's whole 32-bit words (`floor(size / 4)`), for Atomics on index and flag words. */
  readonly words: Int32Array;
}

/** What a handle needs from its driver (internal). */
export interface IsmRegionOwner {
  /** Writes the notify area at `offset`. */
  writeNotify(offset: number): void;
  /** Detaches `token` through the controlq. */
  detach(token: bigint): Promise<void>;
  /** The device's interrupt table (bound vectors). */
  readonly interrupts: InterruptTable;
}

/** How a handle is built (internal: made by the driver after a successful alloc or attach). */
export interface IsmRegionHandleInit {
  /** Region token. */
  readonly token: bigint;
  /** Region size in bytes. */
  readonly size: number;
  /** Device offsets of the chunks in this device. */
  readonly chunks: readonly number[];
  /** Offset of the region's notify address. */
  readonly notifyOffset: number;
  /** Whether this driver allocated the region. */
  readonly allocatedHere: boolean;
  /** Access asked for (READ | WRITE for an alloc). */
  readonly requested: IsmAccess;
  /** The guest's window on the mapping (undefined if the device dropped it before the driver could map it). */
  readonly window: RegionHandle | undefined;
  /** Capacity of each per-region event stream. */
  readonly streamCapacity: number;
}

/** Events a handle emits, by name. */
export interface IsmRegionEvents {
  /** A peer kicked. */
  UPDATE: [IsmUpdateNotice];
  /** A peer attached. */
  ATTACH: [IsmPeerNotice];
  /** A peer detached. */
  DETACH: [IsmPeerNotice];
}

/** Internal entry points of a handle, used by its driver. */
export const kDeliver: unique symbol = Symbol("virtiokit.ism.driver.deliver");
/** Internal: marks the handle detached. */
export const kDetached: unique symbol = Symbol("virtiokit.ism.driver.detached");
/** Internal: records the vector the region's UPDATE events are bound to. */
export const kBound: unique symbol = Symbol("virtiokit.ism.driver.bound");

/** A listener of one of a region's events. */
export type IsmRegionListener<K extends keyof IsmRegionEvents> = (...args: IsmRegionEvents[K]) => void;

/**
 * A region as guest code sees it; see the module comment.
 *
 * Events: `on` / `once` / `off` with the EventEmitter signatures (a handle is made per alloc and attach, so it
 * keeps a lightweight listener table, created on first use, instead of being an EventEmitter), and `events()`.
 */
export class IsmRegionHandle {
  /** The region's token (pass it to peers so they can attach). */
  readonly token: bigint;
  /** Region size in bytes. */
  readonly size: number;
  /** Device offsets of the region's chunks in this device, in region order. */
  readonly chunks: readonly number[];
  /** Offset of the region in this device's memory (`chunks[0]`). */
  readonly offset: number;
  /** Offset of the region's notify address in the notify area. */
  readonly notifyOffset: number;
  /** Whether this driver allocated the region. */
  readonly allocatedHere: boolean;
  /** Access asked for at attach (read and write for an alloc). */
  readonly requested: IsmAccess;
  readonly #owner: IsmRegionOwner;
  readonly #window: RegionHandle | undefined;
  readonly #streamCapacity: number;
  /** Open event streams (created on first use: most handles never have one). */
  #streams: Set<EventStream<IsmDriverEvent>> | undefined;
  #listeners: Map<keyof IsmRegionEvents, Set<(event: never) => void>> | undefined;
  #detached = false;
  #vector: number | undefined;
  #peers: number | undefined;

  /** Internal: made by `IsmDriver`. */
  constructor(owner: IsmRegionOwner, init: IsmRegionHandleInit) {
    this.#owner = owner;
    this.token = init.token;
    this.size = init.size;
    this.chunks = Object.freeze([...init.chunks]);
    this.offset = init.chunks[0]!;
    this.notifyOffset = init.notifyOffset;
    this.allocatedHere = init.allocatedHere;
    this.requested = Object.freeze({ ...init.requested });
    this.#window = init.window;
    this.#streamCapacity = init.streamCapacity;
  }

  /** Whether the region is still attached (false after `detach()`, a device reset, or a lost mapping). */
  get attached(): boolean {
    return !this.#detached && this.#window !== undefined && this.#window.isValid;
  }

  /** Read and write access the mapping has now (both false once detached). */
  get access(): IsmAccess {
    if (!this.attached) return { read: false, write: false };
    const bits = this.#window!.effectivePermissions;
    return { read: (bits & 1) !== 0, write: (bits & 2) !== 0 };
  }

  /** Peers referring to the region, as last reported by an ATTACH or DETACH event (undefined before any). */
  get peers(): number | undefined {
    return this.#peers;
  }

  /** The interrupt vector the region's UPDATE events are bound to, if any. */
  get vector(): number | undefined {
    return this.#vector;
  }

  /**
   * Copies `length` bytes from region byte `offset`.
   *
   * @throws IsmDriverError `detached`, `permission-denied`, `out-of-bounds` or `invalid-argument`
   */
  read(offset: number, length: number): Uint8Array {
    return this.#checked(() => this.#windowOrThrow().readRegion(offset, length));
  }

  /**
   * Fills `target` from region byte `offset`.
   *
   * @throws IsmDriverError as {@link read} (`target` untouched)
   */
  readInto(offset: number, target: Uint8Array): void {
    this.#checked(() => this.#windowOrThrow().readRegionInto(offset, target));
  }

  /**
   * Writes `data` at region byte `offset`.
   *
   * @throws IsmDriverError `detached`, `permission-denied`, `out-of-bounds` or `invalid-argument` (nothing
   *   written)
   */
  write(offset: number, data: Uint8Array): void {
    this.#checked(() => this.#windowOrThrow().writeRegion(offset, data));
  }

  /**
   * Raw views over the region (see the module comment).
   *
   * @throws IsmDriverError `detached`, or `permission-denied` unless the mapping is readable and writable now
   */
  views(): IsmRegionViews {
    const window = this.#windowOrThrow();
    const bits = window.effectivePermissions;
    if ((bits & 3) !== 3) {
      throw new IsmDriverError("permission-denied", `raw views need read and write access; the mapping of region ${tokenText(this.token)} allows ${describe(bits)}`);
    }
    const buffer = window.toDescriptor().regionBuffer;
    return {
      bytes: new Uint8Array(buffer, 0, this.size),
      data: new DataView(buffer, 0, this.size),
      words: new Int32Array(buffer, 0, Math.floor(this.size / 4)),
    };
  }

  /**
   * Kicks the region: writes its notify address, so that every other referrer gets an UPDATE event.
   *
   * @throws IsmDriverError `detached`
   */
  kick(): void {
    if (this.#detached) throw new IsmDriverError("detached", `region ${tokenText(this.token)} is detached`);
    this.#owner.writeNotify(this.notifyOffset);
  }

  /**
   * Counter of the interrupt vector the region's UPDATE events are bound to: read it, check the region, then
   * {@link waitForKick} with it (no kick can be lost in between).
   *
   * @throws IsmDriverError `invalid-argument` when no vector is bound (see `IsmDriver.bindVector`)
   */
  kickCounter(): number {
    return this.#owner.interrupts.doorbell(this.#boundVector()).load();
  }

  /**
   * Blocks the thread until a peer kicks (the bound vector's counter moves away from `seen`): spins for the
   * given budget, then sleeps in `Atomics.wait`. For worker threads.
   *
   * @throws IsmDriverError `invalid-argument` when no vector is bound
   */
  waitForKick(seen: number, options: DoorbellWaitOptions = {}): DoorbellWaitResult {
    return this.#owner.interrupts.doorbell(this.#boundVector()).wait(seen, options);
  }

  /**
   * Waits without blocking until a peer kicks (bound vector only).
   *
   * @throws IsmDriverError `invalid-argument` when no vector is bound (rejected promise)
   */
  async waitForKickAsync(seen: number, options: { timeoutMs?: number } = {}): Promise<DoorbellAsyncWaitResult> {
    return this.#owner.interrupts.doorbell(this.#boundVector()).waitAsync(seen, options);
  }

  /** Calls `listener` for every `type` event of this region. @returns this handle */
  on<K extends keyof IsmRegionEvents>(type: K, listener: IsmRegionListener<K>): this {
    this.#listeners ??= new Map();
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, (set = new Set()));
    set.add(listener as (event: never) => void);
    return this;
  }

  /** Calls `listener` for the next `type` event only. @returns this handle */
  once<K extends keyof IsmRegionEvents>(type: K, listener: IsmRegionListener<K>): this {
    const wrapper = ((...args: IsmRegionEvents[K]) => {
      this.off(type, wrapper);
      listener(...args);
    }) as IsmRegionListener<K>;
    return this.on(type, wrapper);
  }

  /** Removes a listener added with {@link on}. @returns this handle */
  off<K extends keyof IsmRegionEvents>(type: K, listener: IsmRegionListener<K>): this {
    this.#listeners?.get(type)?.delete(listener as (event: never) => void);
    return this;
  }

  /** @returns a stream of this region's events from now on (close it with `return()` / `break`) */
  events(): EventStream<IsmDriverEvent> {
    const streams = (this.#streams ??= new Set());
    const stream: EventStream<IsmDriverEvent> = new EventStream(this.#streamCapacity, () => streams.delete(stream));
    streams.add(stream);
    return stream;
  }

  /**
   * Detaches the region (`VIRTIO_ISM_CTRL_DETACH_REGION`); the handle stops working.
   *
   * @throws IsmAckError when the device refuses; IsmDriverError as the control channel does
   */
  detach(): Promise<void> {
    return this.#owner.detach(this.token);
  }

  /** Internal: an event about this region. */
  [kDeliver](event: IsmUpdateNotice | IsmPeerNotice): void {
    if (event.type !== "UPDATE") this.#peers = event.peers;
    if (this.#streams !== undefined) for (const s of this.#streams) s.push(event);
    const listeners = this.#listeners?.get(event.type);
    if (listeners === undefined) return;
    // A copy: a listener may remove itself (once) while the set is walked. A listener that throws stops the
    // others, as with an EventEmitter; the driver reports the exception once it has finished servicing.
    for (const listener of [...listeners]) (listener as (e: typeof event) => void)(event);
  }

  /** Internal: the region is no longer attached by this driver; streams end. */
  [kDetached](): void {
    this.#detached = true;
    this.#vector = undefined;
    if (this.#streams !== undefined) for (const s of [...this.#streams]) s.close();
  }

  /** Internal: the region's UPDATE events now raise `vector` (undefined: the eventq). */
  [kBound](vector: number | undefined): void {
    this.#vector = vector;
  }

  #boundVector(): number {
    if (this.#vector === undefined) throw new IsmDriverError("invalid-argument", `region ${tokenText(this.token)} has no interrupt vector bound`);
    return this.#vector;
  }

  #windowOrThrow(): RegionHandle {
    if (this.#detached || this.#window === undefined) throw new IsmDriverError("detached", `region ${tokenText(this.token)} is detached`);
    return this.#window;
  }

  #checked<T>(access: () => T): T {
    try {
      return access();
    } catch (error) {
      throw translate(error, this.token);
    }
  }
}

/** @returns a token as the spec's tools print it, in hex */
export function tokenText(token: bigint): string {
  return `0x${token.toString(16)}`;
}

/** @returns `rw`, `r-`, ... for read/write bits */
function describe(bits: number): string {
  return `${(bits & 1) !== 0 ? "r" : "-"}${(bits & 2) !== 0 ? "w" : "-"}`;
}

/** Turns a shared-memory refusal into the driver's error vocabulary. */
function translate(error: unknown, token: bigint): unknown {
  if (error instanceof IsmDriverError || !(error instanceof ShmError)) return error;
  switch (error.reason) {
    case "unmapped":
      return new IsmDriverError("detached", `region ${tokenText(token)} is detached: ${error.message}`, { cause: error });
    case "permission-denied":
      return new IsmDriverError("permission-denied", `region ${tokenText(token)}: ${error.message}`, { cause: error });
    case "out-of-bounds":
    case "not-mapped":
      return new IsmDriverError("out-of-bounds", `region ${tokenText(token)}: ${error.message}`, { cause: error });
    default:
      return new IsmDriverError("invalid-argument", `region ${tokenText(token)}: ${error.message}`, { cause: error });
  }
}
