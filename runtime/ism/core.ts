/**
 * `IsmDeviceCore`: the command core of one ISM device — its state plus `execute(request) → { ack, reply,
 * events }` and `kick(offset) → events` — with no virtqueue, thread or clock in it, so that it can be driven
 * directly by tests and compared with a reference model. The virtqueue glue is `IsmDevice` (device.ts).
 *
 * Built on the generated skeleton (`generated/ism/device.ts`): the core *is* an `IsmDeviceBase` whose seven
 * `handle*` methods are the command handlers of `commands/`; requests are decoded with the generated
 * `decodeIsmRequest` and acks and replies encoded with the generated `encodeIsmReply`. `execute` is the
 * synchronous form of the skeleton's `dispatch` (which this class overrides to share it), with two additions
 * the draft needs: the exact request length check (the generated decoder ignores trailing bytes) and the
 * E2BIG retry hint (`num` without `chunks[]`, which the generated reply codec cannot express).
 *
 * Hostile input: `execute` never throws. A request that cannot be decoded gets `VIRTIO_ISM_ERR`; a decoded one
 * is checked completely by its handler before anything changes, so every refusal leaves the device and the
 * domain as they were. As a last line of defence an unexpected exception inside a handler is turned into
 * `VIRTIO_ISM_ERR` and counted in `stats.internalErrors` (tests require it to stay 0).
 *
 * Events are returned, not delivered: `IsmDomain.deliver` routes them (eventq queue or interrupt vector), so
 * a caller can inspect exactly what one command produced.
 *
 * @module
 */
import { IsmDeviceBase } from "../../generated/ism/device.js";
import type { IsmCommandInfo, IsmDispatchResult, IsmHandlerResult } from "../../generated/ism/device.js";
import { encodeIsmReply } from "../../generated/ism/control.js";
import type { IsmCommandName, IsmDecodedRequest, IsmReplyInputs, IsmRequests } from "../../generated/ism/control.js";
import { hasIsmFeature, withIsmFeature, withoutIsmFeature } from "../../generated/ism/constants.js";
import type { DeviceMemory, RegionHandle } from "../shm/index.js";
import {
  ISM_ACK_VALUES,
  ISM_CHUNK_REPLY_HEADER_SIZE,
  ISM_QUERY_REPLY_SIZE,
  VIRTIO_ISM_E2BIG,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_SHM_ID_NOTIFY,
  VIRTIO_ISM_SHM_ID_REGIONS,
  ismFeatures,
} from "./constants.js";
import { executeAlloc } from "./commands/alloc.js";
import { executeAttach } from "./commands/attach.js";
import type {
  IsmBufferValidator,
  IsmCommandContext,
  IsmCommandOutcome,
  IsmDeviceState,
  IsmDomainServices,
  IsmExecution,
} from "./commands/context.js";
import { executeDetach } from "./commands/detach.js";
import { executeEventVector } from "./commands/event-vector.js";
import { executeGrantDefault, executeGrantDevice } from "./commands/grant.js";
import { executeQuery } from "./commands/query.js";
import { dropReference, firstSlotOf } from "./commands/references.js";
import type { IsmEventQueue } from "./event-queue.js";
import type { IsmEventDelivery } from "./events.js";
import { kickAt } from "./notify.js";
import type { IsmKickResult } from "./notify.js";
import { encodeConfig } from "./wire/config.js";
import type { IsmConfig } from "./wire/config.js";
import { chunkReplyBytes, encodeChunkReply } from "./wire/replies.js";
import { checkedDecode } from "./wire/requests.js";

/**
 * Where a handler leaves what the skeleton's result has no room for: the events, the refusal detail and the
 * E2BIG retry hint. The skeleton passes it to the handlers as their context (`Ctx`).
 */
export interface IsmCommandSink {
  /** Events produced, appended in order. */
  readonly events: IsmEventDelivery[];
  /** Why the last command was refused (empty when OK). */
  detail: string;
  /** E2BIG hint of the last command, if any. */
  retry: { readonly first: bigint; readonly num: number } | undefined;
}

/** @returns an empty sink */
export function newCommandSink(): IsmCommandSink {
  return { events: [], detail: "", retry: undefined };
}

const EMPTY = new Uint8Array(0);

/** A shared memory region the device exposes ("Device Initialization": shmid REGIONS and NOTIFY). */
export interface IsmSharedMemoryRegion {
  /** `VIRTIO_ISM_SHM_ID_REGIONS` or `VIRTIO_ISM_SHM_ID_NOTIFY`. */
  readonly shmid: number;
  /** Length in bytes. */
  readonly length: number;
}

/** A region as one device sees it. */
export interface IsmAttachedRegion {
  /** The region's token. */
  readonly token: bigint;
  /** Region size in bytes. */
  readonly size: number;
  /** Device-memory offset of each chunk, in region order (`chunks[0]` is the region's `offset`). */
  readonly chunks: readonly number[];
  /** Offset of the region's notify address in the notify area. */
  readonly notifyOffset: number;
  /** Read/write access of this device's mapping now. */
  readonly access: number;
  /** This device's permissions on the region (READ/WRITE/ATTACH/MANAGE). */
  readonly permissions: number;
  /** Interrupt vector bound to the region's UPDATE events, if any. */
  readonly vector: number | undefined;
}

/** Counters of one device core. */
export interface IsmDeviceStats {
  /** Control requests executed. */
  readonly requests: number;
  /** Acks given, by value. */
  readonly acks: ReadonlyMap<number, number>;
  /** Unexpected exceptions caught in handlers (a bug if non-zero). */
  readonly internalErrors: number;
  /** Kicks of an attached region's notify address. */
  readonly kicks: number;
  /** Kicks elsewhere in (or outside) the notify area. */
  readonly strayKicks: number;
  /** Interrupts raised for UPDATE events bound to a vector. */
  readonly interruptsRaised: number;
}

/** What `IsmDomain` hands to a new core (internal). */
export interface IsmDeviceCoreInit {
  /** Domain services. */
  readonly domain: IsmDomainServices;
  /** The device's state, shared with the domain. */
  readonly state: IsmDeviceState;
  /** Domain id bytes for the config space. */
  readonly cdid: Uint8Array;
  /** Queue of events waiting for eventq buffers. */
  readonly eventQueue: IsmEventQueue;
}

/** One ISM device's command core; create it with `IsmDomain.createDevice`. */
export class IsmDeviceCore extends IsmDeviceBase<IsmCommandSink> {
  /** The device's id (non-zero, unique in the domain, kept across resets). */
  readonly devid: bigint;
  /** Events waiting for this device's eventq buffers. */
  readonly eventQueue: IsmEventQueue;
  /** Called with the vector when an UPDATE bound to a vector is delivered (set by the virtqueue glue). */
  interruptSink: ((vector: number) => void) | undefined = undefined;
  readonly #domain: IsmDomainServices;
  readonly #state: IsmDeviceState;
  readonly #cdid: Uint8Array;
  #requests = 0;
  readonly #acks = new Map<number, number>();
  #internalErrors = 0;
  #kicks = 0;
  #strayKicks = 0;
  #interruptsRaised = 0;

  /** Internal: use `IsmDomain.createDevice`. */
  constructor(init: IsmDeviceCoreInit) {
    super();
    this.features = ismFeatures(init.state.devMem);
    this.#domain = init.domain;
    this.#state = init.state;
    this.#cdid = init.cdid.slice();
    this.devid = init.state.devid;
    this.eventQueue = init.eventQueue;
  }

  /** The config-space values. */
  get config(): IsmConfig {
    return { cdid: this.#cdid.slice(), devid: this.devid, chunkSize: this.#domain.chunkSize, notifySize: this.#state.notifySize };
  }

  /** The 40 config-space bytes (`struct virtio_ism_config`). */
  configBytes(): Uint8Array {
    return encodeConfig(this.config);
  }

  /** Whether `VIRTIO_ISM_F_DEV_MEM` is negotiated (bit 0 of the skeleton's `features`). */
  get devMem(): boolean {
    return hasIsmFeature(this.features, "VIRTIO_ISM_F_DEV_MEM");
  }

  /** Number of resets so far. */
  get epoch(): number {
    return this.#state.epoch;
  }

  /** The device memory (`VIRTIO_ISM_SHM_ID_REGIONS`): its chunk slots and mappings. */
  get memory(): DeviceMemory {
    return this.#state.memory;
  }

  /** Interrupt vectors accepted by `EVENT_VECTOR_SET`. */
  get vectorCount(): number {
    return this.#state.vectorCount;
  }

  /** Bytes of the notify area: one `notify_size` address per chunk slot. */
  get notifyAreaBytes(): number {
    return this.#state.memory.chunkCount * this.#state.notifySize;
  }

  /** The shared memory regions the device exposes: REGIONS (the chunk slots) and NOTIFY. */
  sharedMemoryRegions(): IsmSharedMemoryRegion[] {
    return [
      { shmid: VIRTIO_ISM_SHM_ID_REGIONS, length: this.#state.memory.byteLength },
      { shmid: VIRTIO_ISM_SHM_ID_NOTIFY, length: this.notifyAreaBytes },
    ];
  }

  /** Extra check of buffers lent without `VIRTIO_ISM_F_DEV_MEM` (the glue checks guest-memory bounds). */
  set bufferValidator(validator: IsmBufferValidator | undefined) {
    this.#state.bufferValidator = validator;
  }

  /** Unexpected exceptions caught in handlers so far (a bug if non-zero); cheaper than {@link stats}. */
  get internalErrors(): number {
    return this.#internalErrors;
  }

  /** Counters (a snapshot). */
  get stats(): IsmDeviceStats {
    return {
      requests: this.#requests,
      acks: new Map(this.#acks),
      internalErrors: this.#internalErrors,
      kicks: this.#kicks,
      strayKicks: this.#strayKicks,
      interruptsRaised: this.#interruptsRaised,
    };
  }

  /** The regions this device refers to, in attach order. */
  attachedRegions(): IsmAttachedRegion[] {
    const out: IsmAttachedRegion[] = [];
    for (const region of this.#state.attached.values()) {
      const r = region.referrer(this.devid)!;
      out.push({
        token: region.token,
        size: region.size,
        chunks: r.mapping.chunkOffsets(),
        notifyOffset: firstSlotOf(r) * this.#state.notifySize,
        access: r.mapping.permissions,
        permissions: region.permissions.of(this.devid),
        vector: r.vector,
      });
    }
    return out;
  }

  /**
   * A driver-side access handle to an attached region, limited to this device's mapping permissions (its
   * guest reads and writes the region through it; it stops working when the region is detached).
   *
   * @returns the handle, or `undefined` when the region is not attached by this device
   */
  regionHandle(token: bigint): RegionHandle | undefined {
    return this.#state.attached.get(token)?.referrer(this.devid)?.mapping.handle();
  }

  /**
   * Executes one control request (the synchronous form of {@link dispatch}). Never throws.
   *
   * @param request - the device-readable bytes of the controlq chain (`class`, `command`, data)
   * @param replyCapacity - device-writable bytes after the `ack` byte (a non-integer or negative value counts
   *   as 0)
   * @returns the ack, the reply bytes (at most `replyCapacity`), and the events produced
   */
  execute(request: Uint8Array, replyCapacity: number): IsmExecution {
    const capacity = Number.isSafeInteger(replyCapacity) && replyCapacity > 0 ? replyCapacity : 0;
    this.#requests++;
    // The skeleton's `features` is the negotiated word; the handlers read the DEV_MEM bit from the state.
    this.#state.devMem = this.devMem;
    const decoded = checkedDecode(request, this.features);
    let result: IsmExecution;
    if (!decoded.ok) {
      result = { ack: VIRTIO_ISM_ERR, reply: EMPTY, events: [], detail: `${decoded.problem}: ${decoded.detail}` };
    } else {
      const sink = newCommandSink();
      try {
        const info: IsmCommandInfo = { command: decoded.decoded.command, features: this.features, replyCapacity: capacity };
        const handled = this.#handle(decoded.decoded, sink, info);
        result = { ack: handled.ack, reply: this.#encodeReply(decoded.decoded.command, handled, sink, capacity), events: sink.events, detail: sink.detail };
      } catch (cause) {
        this.#internalErrors++;
        result = { ack: VIRTIO_ISM_ERR, reply: EMPTY, events: [], detail: `internal error: ${cause instanceof Error ? cause.message : String(cause)}` };
      }
    }
    if (result.reply.length > capacity || !ISM_ACK_VALUES.includes(result.ack)) {
      // A handler broke its contract; report it rather than overflow the driver's buffer.
      this.#internalErrors++;
      result = { ack: VIRTIO_ISM_ERR, reply: EMPTY, events: [], detail: "internal error: reply larger than the capacity or unknown ack" };
    }
    this.#acks.set(result.ack, (this.#acks.get(result.ack) ?? 0) + 1);
    return result;
  }

  /**
   * The skeleton's entry point, answered by {@link execute}: writes the ack and reply into `reply` and appends
   * the events to `sink` (deliver them with `IsmDomain.deliver`). A `reply` with no room for the ack is not
   * executed (nothing could tell the driver what happened).
   */
  override async dispatch(request: Uint8Array, reply: Uint8Array, sink: IsmCommandSink): Promise<IsmDispatchResult> {
    if (reply.length === 0) return { command: undefined, ack: undefined, written: 0, error: undefined };
    const decoded = checkedDecode(request, this.features);
    const r = this.execute(request, reply.length - 1);
    reply[0] = r.ack;
    reply.set(r.reply, 1);
    sink.events.push(...r.events);
    sink.detail = r.detail;
    return { command: decoded.ok ? decoded.decoded.command : undefined, ack: r.ack as IsmDispatchResult["ack"], written: 1 + r.reply.length, error: undefined };
  }

  /** Skeleton handler of `VIRTIO_ISM_CTRL_ALLOC_REGION` (see commands/alloc.ts). */
  handleAllocRegion(request: IsmRequests["ALLOC_REGION"], sink: IsmCommandSink, info: IsmCommandInfo): IsmHandlerResult<IsmReplyInputs["ALLOC_REGION"]> {
    return this.#answer(sink, executeAlloc(this.#context(info), request));
  }

  /** Skeleton handler of `VIRTIO_ISM_CTRL_QUERY_INFO` (see commands/query.ts). */
  handleQueryInfo(request: IsmRequests["QUERY_INFO"], sink: IsmCommandSink, info: IsmCommandInfo): IsmHandlerResult<IsmReplyInputs["QUERY_INFO"]> {
    return this.#answer(sink, executeQuery(this.#context(info), request));
  }

  /** Skeleton handler of `VIRTIO_ISM_CTRL_ATTACH_REGION` (see commands/attach.ts). */
  handleAttachRegion(request: IsmRequests["ATTACH_REGION"], sink: IsmCommandSink, info: IsmCommandInfo): IsmHandlerResult<IsmReplyInputs["ATTACH_REGION"]> {
    return this.#answer(sink, executeAttach(this.#context(info), request));
  }

  /** Skeleton handler of `VIRTIO_ISM_CTRL_DETACH_REGION` (see commands/detach.ts). */
  handleDetachRegion(request: IsmRequests["DETACH_REGION"], sink: IsmCommandSink, info: IsmCommandInfo): IsmHandlerResult<undefined> {
    return this.#answer(sink, executeDetach(this.#context(info), request));
  }

  /** Skeleton handler of `VIRTIO_ISM_CTRL_GRANT_SET_DEFAULT` (see commands/grant.ts). */
  handleGrantSetDefault(request: IsmRequests["GRANT_SET_DEFAULT"], sink: IsmCommandSink, info: IsmCommandInfo): IsmHandlerResult<undefined> {
    return this.#answer(sink, executeGrantDefault(this.#context(info), request));
  }

  /** Skeleton handler of `VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE` (see commands/grant.ts). */
  handleGrantSetForDevice(request: IsmRequests["GRANT_SET_FOR_DEVICE"], sink: IsmCommandSink, info: IsmCommandInfo): IsmHandlerResult<undefined> {
    return this.#answer(sink, executeGrantDevice(this.#context(info), request));
  }

  /** Skeleton handler of `VIRTIO_ISM_CTRL_EVENT_VECTOR_SET` (see commands/event-vector.ts). */
  handleEventVectorSet(request: IsmRequests["EVENT_VECTOR_SET"], sink: IsmCommandSink, info: IsmCommandInfo): IsmHandlerResult<undefined> {
    return this.#answer(sink, executeEventVector(this.#context(info), request));
  }

  /**
   * A driver write anywhere inside the notify area at `offset`. Never throws.
   *
   * @returns UPDATE events for the other referrers of the region whose notify address contains `offset`
   */
  kick(offset: number): IsmKickResult {
    const result = kickAt(this.#state, offset);
    if (result.outcome === "updated") this.#kicks++;
    else this.#strayKicks++;
    return result;
  }

  /**
   * Device reset: drops every reference (DETACH events to the peers, host memory released where nobody is
   * left), forgets vector bindings and pending events, and renegotiates features. The devid does not change
   * ("devid remains unchanged during reset"). BUFFER_FREE events for regions this device allocated are no
   * longer sent to it: its driver forgot those buffers with the reset.
   *
   * @param features - `devMem`: whether `VIRTIO_ISM_F_DEV_MEM` is negotiated after the reset (default: unchanged)
   * @returns the events to deliver (see `IsmDomain.deliver`)
   */
  reset(features: { readonly devMem?: boolean } = {}): IsmEventDelivery[] {
    this.#state.epoch++;
    const events: IsmEventDelivery[] = [];
    for (const region of [...this.#state.attached.values()]) events.push(...dropReference(this.#domain, this.#state, region));
    this.eventQueue.clear();
    if (features.devMem !== undefined) {
      this.features = features.devMem
        ? withIsmFeature(this.features, "VIRTIO_ISM_F_DEV_MEM")
        : withoutIsmFeature(this.features, "VIRTIO_ISM_F_DEV_MEM");
      this.#state.devMem = features.devMem;
    }
    return events;
  }

  /** Internal (called by `IsmDomain.deliver`): raises `vector` through {@link interruptSink}. */
  raiseInterrupt(vector: number): void {
    this.#interruptsRaised++;
    this.interruptSink?.(vector);
  }

  #context(info: IsmCommandInfo): IsmCommandContext {
    return { device: this.#state, domain: this.#domain, replyCapacity: info.replyCapacity };
  }

  /** Moves what the skeleton's result cannot carry into the sink; returns the skeleton's result. */
  #answer<R>(sink: IsmCommandSink, outcome: IsmCommandOutcome<R>): IsmHandlerResult<R> {
    sink.events.push(...outcome.events);
    sink.detail = outcome.detail;
    sink.retry = outcome.retry;
    // The conditional result type cannot be narrowed from a runtime ack; the handlers keep its contract
    // (a reply exactly when OK and the command has one).
    return { ack: outcome.ack, reply: outcome.reply } as unknown as IsmHandlerResult<R>;
  }

  /** Calls the handler of a decoded request synchronously (the handlers never return promises). */
  #handle(d: IsmDecodedRequest, sink: IsmCommandSink, info: IsmCommandInfo): { ack: number; reply?: unknown } {
    switch (d.command) {
      case "ALLOC_REGION":
        return this.handleAllocRegion(d.request, sink, info);
      case "QUERY_INFO":
        return this.handleQueryInfo(d.request, sink, info);
      case "ATTACH_REGION":
        return this.handleAttachRegion(d.request, sink, info);
      case "DETACH_REGION":
        return this.handleDetachRegion(d.request, sink, info);
      case "GRANT_SET_DEFAULT":
        return this.handleGrantSetDefault(d.request, sink, info);
      case "GRANT_SET_FOR_DEVICE":
        return this.handleGrantSetForDevice(d.request, sink, info);
      case "EVENT_VECTOR_SET":
        return this.handleEventVectorSet(d.request, sink, info);
    }
  }

  /**
   * The reply bytes after the ack: the handler's reply through the generated `encodeIsmReply`, or the E2BIG
   * hint when the driver left room for its fixed part.
   */
  #encodeReply(command: IsmCommandName, handled: { ack: number; reply?: unknown }, sink: IsmCommandSink, capacity: number): Uint8Array {
    if (handled.ack === VIRTIO_ISM_E2BIG && sink.retry !== undefined) {
      return capacity >= ISM_CHUNK_REPLY_HEADER_SIZE ? encodeChunkReply(sink.retry.first, sink.retry.num, []) : EMPTY;
    }
    if (handled.reply === undefined) return EMPTY;
    const reply = handled.reply as { chunks?: readonly bigint[] };
    const length = reply.chunks === undefined ? ISM_QUERY_REPLY_SIZE : chunkReplyBytes(reply.chunks.length);
    const out = new Uint8Array(1 + length);
    const written = encodeIsmReply(command, handled.ack as IsmDispatchResult["ack"] & number, handled.reply as never, out, 0, { features: this.features });
    return out.subarray(1, written);
  }
}
