/**
 * `IsmDomain`: a communication domain — the host side shared by every ISM device that can talk to the others.
 *
 * It owns the domain id (`cdid`, a version 4 UUID), the chunk size and notify size every device reports, the
 * host memory regions are allocated from, the region table (tokens: a keyed permutation of a counter, so never
 * reused and nothing kept per freed region), and the devices
 * (each with a random non-zero devid, unique in the domain and never reused). Two domains share nothing: a
 * token from one names nothing in the other (attach → `ENOENT`).
 *
 * Memory pools (spec/ism-decisions.md, "ENOMEM and lent buffers"): a region allocated by a device with
 * `VIRTIO_ISM_F_DEV_MEM` takes host memory from `hostMemory`, whose capacity is configurable — exhausting it is
 * what `ENOMEM` reports. A region allocated without DEV_MEM is backed by the buffer the driver lent; the model
 * cannot alias a guest's buffer as region memory, so it stands in for those pages with `lentMemory`, which has
 * no capacity of its own (the driver already provided the memory).
 *
 * @module
 */
import { MAX_CHUNK_COUNT } from "../alloc/index.js";
import { DeviceMemory, HostMemory, MAX_CHUNK_SIZE } from "../shm/index.js";
import { MAX_INTERRUPT_VECTORS } from "../notify/index.js";
import type { IsmDeviceState, IsmDomainServices } from "./commands/context.js";
import { firstSlotOf } from "./commands/references.js";
import { IsmDeviceCore } from "./core.js";
import { IsmError } from "./errors.js";
import { DEFAULT_EVENT_QUEUE_CAPACITY, IsmEventQueue } from "./event-queue.js";
import type { IsmEventDelivery } from "./events.js";
import { ISM_RW_PERMISSIONS } from "./permissions.js";
import { cryptoRandomSource, drawUnique } from "./random.js";
import type { RandomSource } from "./random.js";
import type { IsmRegion } from "./region.js";
import { IsmRegionTable } from "./region-table.js";
import { isUuidV4, newUuidV4, uuidToCdid } from "./uuid.js";

/** Largest notify size accepted (one page per notify address is already generous). */
export const MAX_NOTIFY_SIZE = 4096;
/** Default `notify_size`: a 32-bit write, like a PCI notification. */
export const DEFAULT_NOTIFY_SIZE = 4;
/** Default number of interrupt vectors of a device (accepted by `EVENT_VECTOR_SET`). */
export const DEFAULT_VECTOR_COUNT = 64;

/** Options of {@link IsmDomain}. */
export interface IsmDomainOptions {
  /** `chunk_size` of every device, a power of two in [1, 2^30]. */
  readonly chunkSize: number;
  /** `notify_size` of every device, an integer in [1, {@link MAX_NOTIFY_SIZE}] (default {@link DEFAULT_NOTIFY_SIZE}). */
  readonly notifySize?: number;
  /** Bytes of host memory for DEV_MEM regions (default: no limit beyond the engine's). */
  readonly hostMemoryCapacity?: number;
  /** Source of random bits for the cdid, devids and tokens (default: the platform CSPRNG). */
  readonly random?: RandomSource;
}

/** Options of {@link IsmDomain.createDevice}. */
export interface IsmDeviceOptions {
  /** Chunk slots of the device memory, in [1, 2^24]. */
  readonly chunkCount: number;
  /** Whether `VIRTIO_ISM_F_DEV_MEM` is negotiated (default true). */
  readonly devMem?: boolean;
  /** Events held while the driver posts no eventq buffer (default {@link DEFAULT_EVENT_QUEUE_CAPACITY}). */
  readonly eventQueueCapacity?: number;
  /** Interrupt vectors of the device, in [1, 2048] (default {@link DEFAULT_VECTOR_COUNT}). */
  readonly vectorCount?: number;
}

/** What {@link IsmDomain.deliver} did with a batch of events. */
export interface IsmDeliveryReport {
  /** Events added to an eventq queue. */
  queued: number;
  /** UPDATE events merged into an identical pending one. */
  coalesced: number;
  /** Events that evicted an older pending event. */
  evicted: number;
  /** Events dropped by a full queue. */
  dropped: number;
  /** Interrupt vectors raised. */
  interrupts: number;
  /** Events addressed to a devid that is not in the domain. */
  undeliverable: number;
}

/** Plain-data view of a referrer, for comparisons with a model. */
export interface IsmReferrerSnapshot {
  /** The referring device. */
  readonly devid: bigint;
  /** Device-memory offsets of the chunks in that device. */
  readonly chunks: readonly number[];
  /** Access asked for at attach (READ | WRITE for the allocator's own mapping). */
  readonly requested: number;
  /** Current read/write access of the mapping. */
  readonly access: number;
  /** Bound interrupt vector, if any. */
  readonly vector: number | undefined;
}

/** Plain-data view of a region. */
export interface IsmRegionSnapshot {
  /** Token. */
  readonly token: bigint;
  /** Size in bytes. */
  readonly size: number;
  /** Allocating device. */
  readonly allocator: bigint;
  /** Whether the backing is a lent buffer (allocated without DEV_MEM). */
  readonly lent: boolean;
  /** Default permissions. */
  readonly defaultPermissions: number;
  /** Dedicated permissions, by devid (in the order first set). */
  readonly dedicated: ReadonlyArray<readonly [bigint, number]>;
  /** Referrers in attach order. */
  readonly referrers: readonly IsmReferrerSnapshot[];
}

/** Plain-data view of a domain. */
export interface IsmDomainSnapshot {
  /** Live regions in allocation order. */
  readonly regions: readonly IsmRegionSnapshot[];
  /** Per device: chunk slots in use and events pending. */
  readonly devices: ReadonlyArray<{ readonly devid: bigint; readonly usedChunks: number; readonly pendingEvents: number }>;
  /** Bytes held by `hostMemory` (DEV_MEM regions). */
  readonly hostBytes: number;
  /** Bytes held by `lentMemory` (regions on lent buffers). */
  readonly lentBytes: number;
}

/** cdids handed out in this process, so that two domains can never share one even with a broken source. */
const issuedCdids = new Set<string>();

/** A communication domain; see the module comment. */
export class IsmDomain {
  /** The `cdid` config bytes (`le128`). */
  readonly cdid: Uint8Array;
  /** The cdid as UUID text. */
  readonly uuid: string;
  /** `chunk_size` of every device. */
  readonly chunkSize: number;
  /** `notify_size` of every device. */
  readonly notifySize: number;
  /** Host memory of DEV_MEM regions (its capacity bounds them: `ENOMEM`). */
  readonly hostMemory: HostMemory;
  /** Stand-in for the pages drivers lend without DEV_MEM. */
  readonly lentMemory: HostMemory;
  readonly #random: RandomSource;
  readonly #regions: IsmRegionTable;
  readonly #devices = new Map<bigint, { core: IsmDeviceCore; state: IsmDeviceState }>();
  /** Every devid ever given out, so none is reused (a stale dedicated permission must never fit a newcomer). */
  readonly #issuedDevids = new Set<bigint>();
  readonly #services: IsmDomainServices;

  /** @throws IsmError `invalid-geometry`, `invalid-option` or `random-exhausted` */
  constructor(options: IsmDomainOptions) {
    const { chunkSize } = options;
    const notifySize = options.notifySize ?? DEFAULT_NOTIFY_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE || (chunkSize & (chunkSize - 1)) !== 0) {
      throw new IsmError("invalid-geometry", `chunk_size must be a power of two in [1, 2^30], got ${String(chunkSize)}`);
    }
    if (!Number.isInteger(notifySize) || notifySize < 1 || notifySize > MAX_NOTIFY_SIZE) {
      throw new IsmError("invalid-geometry", `notify_size must be an integer in [1, ${MAX_NOTIFY_SIZE}], got ${String(notifySize)}`);
    }
    const capacity = options.hostMemoryCapacity ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new IsmError("invalid-option", `host memory capacity must be a non-negative safe integer, got ${String(capacity)}`);
    }
    this.#random = options.random ?? cryptoRandomSource;
    this.uuid = this.#drawCdid(options.random);
    this.cdid = uuidToCdid(this.uuid);
    this.chunkSize = chunkSize;
    this.notifySize = notifySize;
    this.hostMemory = new HostMemory({ capacityBytes: capacity });
    this.lentMemory = new HostMemory();
    this.#regions = new IsmRegionTable(this.#random);
    const devices = this.#devices;
    this.#services = {
      chunkSize,
      regions: this.#regions,
      poolFor: (devMem) => (devMem ? this.hostMemory : this.lentMemory),
      hasDevice: (devid) => devices.has(devid),
      epochOf: (devid) => devices.get(devid)?.state.epoch,
    };
  }

  /**
   * Adds a device to the domain.
   *
   * @throws IsmError `invalid-geometry` (chunk count), `invalid-option` (queue capacity, vectors) or
   *   `random-exhausted` (no fresh devid could be drawn)
   */
  createDevice(options: IsmDeviceOptions): IsmDeviceCore {
    const { chunkCount } = options;
    if (!Number.isInteger(chunkCount) || chunkCount < 1 || chunkCount > MAX_CHUNK_COUNT) {
      throw new IsmError("invalid-geometry", `chunk count must be an integer in [1, ${MAX_CHUNK_COUNT}], got ${String(chunkCount)}`);
    }
    if (!Number.isSafeInteger(chunkCount * this.chunkSize) || !Number.isSafeInteger(chunkCount * this.notifySize)) {
      throw new IsmError("invalid-geometry", `${chunkCount} chunks of ${this.chunkSize} bytes are not addressable`);
    }
    const vectorCount = options.vectorCount ?? DEFAULT_VECTOR_COUNT;
    if (!Number.isInteger(vectorCount) || vectorCount < 1 || vectorCount > MAX_INTERRUPT_VECTORS) {
      throw new IsmError("invalid-option", `vector count must be an integer in [1, ${MAX_INTERRUPT_VECTORS}], got ${String(vectorCount)}`);
    }
    const eventQueue = new IsmEventQueue(options.eventQueueCapacity ?? DEFAULT_EVENT_QUEUE_CAPACITY);
    const devid = drawUnique(this.#random, this.#issuedDevids);
    if (devid === undefined) throw new IsmError("random-exhausted", "no fresh non-zero devid could be drawn");
    this.#issuedDevids.add(devid);
    const state: IsmDeviceState = {
      devid,
      memory: new DeviceMemory({ chunkCount, chunkSize: this.chunkSize }),
      notifySize: this.notifySize,
      vectorCount,
      devMem: options.devMem ?? true,
      epoch: 0,
      attached: new Map(),
      byFirstSlot: new Map(),
      bufferValidator: undefined,
    };
    const core = new IsmDeviceCore({ domain: this.#services, state, cdid: this.cdid, eventQueue });
    this.#devices.set(devid, { core, state });
    return core;
  }

  /** @returns the device with this devid, if it belongs to the domain */
  device(devid: bigint): IsmDeviceCore | undefined {
    return this.#devices.get(devid)?.core;
  }

  /** The devices, in creation order. */
  devices(): IsmDeviceCore[] {
    return [...this.#devices.values()].map((d) => d.core);
  }

  /** @returns the live region named by `token` (read it; change it only through commands) */
  region(token: bigint): IsmRegion | undefined {
    return this.#regions.get(token);
  }

  /** Live regions in allocation order. */
  regions(): IsmRegion[] {
    return this.#regions.regions();
  }

  /** @returns whether `token` was ever issued by this domain */
  wasIssued(token: bigint): boolean {
    return this.#regions.wasIssued(token);
  }

  /** Number of tokens ever issued. */
  get issuedTokenCount(): number {
    return this.#regions.issuedCount;
  }

  /**
   * Routes events produced by `execute`, `kick` or `reset`: eventq events go to the receiver's event queue,
   * UPDATE events bound to a vector raise it on the receiver.
   */
  deliver(deliveries: readonly IsmEventDelivery[]): IsmDeliveryReport {
    const report: IsmDeliveryReport = { queued: 0, coalesced: 0, evicted: 0, dropped: 0, interrupts: 0, undeliverable: 0 };
    for (const d of deliveries) {
      const target = this.#devices.get(d.to)?.core;
      if (target === undefined) {
        report.undeliverable++;
      } else if (d.route.kind === "irq") {
        target.raiseInterrupt(d.route.vector);
        report.interrupts++;
      } else {
        const outcome = target.eventQueue.push(d.event);
        if (outcome === "queued") report.queued++;
        else if (outcome === "coalesced") report.coalesced++;
        else if (outcome === "evicted-oldest") report.evicted++;
        else report.dropped++;
      }
    }
    return report;
  }

  /** Plain-data view of the whole domain (for model comparisons and reports). */
  snapshot(): IsmDomainSnapshot {
    return {
      regions: this.#regions.regions().map((region) => ({
        token: region.token,
        size: region.size,
        allocator: region.allocator,
        lent: region.lentBuffer !== undefined,
        defaultPermissions: region.permissions.defaults,
        dedicated: [...region.permissions.dedicated()],
        referrers: region.referrers.map((r) => ({
          devid: r.devid,
          chunks: r.mapping.chunkOffsets(),
          requested: r.requested,
          access: r.mapping.permissions,
          vector: r.vector,
        })),
      })),
      devices: [...this.#devices.values()].map(({ core, state }) => ({
        devid: core.devid,
        usedChunks: state.memory.allocatedChunks,
        pendingEvents: core.eventQueue.length,
      })),
      hostBytes: this.hostMemory.usedBytes,
      lentBytes: this.lentMemory.usedBytes,
    };
  }

  /**
   * Checks every cross-structure invariant of the domain.
   *
   * @returns a description of each violation (empty when consistent)
   */
  verifyInvariants(): string[] {
    const problems: string[] = [];
    const bytes = new Map<HostMemory, number>([
      [this.hostMemory, 0],
      [this.lentMemory, 0],
    ]);
    const counts = new Map<HostMemory, number>([
      [this.hostMemory, 0],
      [this.lentMemory, 0],
    ]);
    for (const region of this.#regions.regions()) {
      const name = `region ${region.token}`;
      if (!this.#regions.wasIssued(region.token)) problems.push(`${name}: token not recorded as issued`);
      if (region.referrerCount === 0) problems.push(`${name}: live with no referrer`);
      if (region.backing.isFreed) problems.push(`${name}: host memory already freed`);
      if (region.backing.refCount !== region.referrerCount) {
        problems.push(`${name}: ${region.backing.refCount} mappings but ${region.referrerCount} referrers`);
      }
      bytes.set(region.pool, (bytes.get(region.pool) ?? 0) + region.backing.byteLength);
      counts.set(region.pool, (counts.get(region.pool) ?? 0) + 1);
      for (const r of region.referrers) {
        const entry = this.#devices.get(r.devid);
        if (entry === undefined) {
          problems.push(`${name}: referrer ${r.devid} is not a device of the domain`);
          continue;
        }
        if (entry.state.attached.get(region.token) !== region) problems.push(`${name}: device ${r.devid} does not list it`);
        if (!r.mapping.isMapped || r.mapping.device !== entry.state.memory) problems.push(`${name}: mapping of ${r.devid} is not live in its memory`);
        if (r.mapping.permissions !== region.mappingPermissionsOf(r)) {
          problems.push(`${name}: mapping of ${r.devid} has access ${r.mapping.permissions}, expected ${region.mappingPermissionsOf(r)}`);
        }
        if ((r.requested & ~ISM_RW_PERMISSIONS) !== 0) problems.push(`${name}: requested access of ${r.devid} has non-RW bits`);
        if (entry.state.byFirstSlot.get(firstSlotOf(r)) !== region) problems.push(`${name}: notify index of ${r.devid} is wrong`);
        if (r.vector !== undefined && (r.vector < 0 || r.vector >= entry.state.vectorCount)) problems.push(`${name}: bad vector ${r.vector}`);
      }
    }
    for (const pool of [this.hostMemory, this.lentMemory]) {
      if (pool.usedBytes !== bytes.get(pool)) problems.push(`pool holds ${pool.usedBytes} bytes, live regions ${bytes.get(pool)}`);
      if (pool.regionCount !== counts.get(pool)) problems.push(`pool holds ${pool.regionCount} regions, table ${counts.get(pool)}`);
    }
    for (const { core, state } of this.#devices.values()) {
      const name = `device ${core.devid}`;
      let chunks = 0;
      for (const [token, region] of state.attached) {
        if (this.#regions.get(token) !== region) problems.push(`${name}: attached region ${token} is not live`);
        if (region.referrer(state.devid) === undefined) problems.push(`${name}: region ${token} does not list it`);
        chunks += region.backing.chunkCount;
      }
      if (state.memory.allocatedChunks !== chunks) problems.push(`${name}: ${state.memory.allocatedChunks} slots used, regions need ${chunks}`);
      if (state.memory.mappings.length !== state.attached.size) problems.push(`${name}: ${state.memory.mappings.length} mappings for ${state.attached.size} regions`);
      if (state.byFirstSlot.size !== state.attached.size) problems.push(`${name}: notify index has ${state.byFirstSlot.size} entries`);
      if (core.eventQueue.length > core.eventQueue.capacity) problems.push(`${name}: event queue over capacity`);
      if (core.internalErrors !== 0) problems.push(`${name}: ${core.internalErrors} internal errors`);
    }
    return problems;
  }

  #drawCdid(custom: RandomSource | undefined): string {
    for (let i = 0; i < 64; i++) {
      const uuid = newUuidV4(custom);
      if (isUuidV4(uuid) && !issuedCdids.has(uuid)) {
        issuedCdids.add(uuid);
        return uuid;
      }
    }
    throw new IsmError("random-exhausted", "no fresh cdid could be drawn");
  }
}
