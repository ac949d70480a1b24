/**
 * The common configuration register file of one virtio-pci device (`struct virtio_pci_common_cfg`, with the
 * peer registers the vhost-pci-net proposal adds), plus the ISR status byte: what the driver reads and writes
 * through MMIO, with the device's rules applied to every access.
 *
 * The 82 bytes the driver sees are held in a buffer and accessed through the generated
 * `VirtioPciCommonCfgView`; driver accesses are decoded by offset through the generated schema, as a real
 * device decodes BAR accesses. Selector registers (`device_feature_select`, `driver_feature_select`,
 * `queue_select`, `peer_rx_queue_select`) are windows: the device keeps the full 64-bit feature words, the
 * per-queue state and the per-peer-queue GSI table privately and presents the selected element.
 *
 * Rules enforced on driver writes (a refused write has no effect and is counted; it never throws — the
 * driver is untrusted):
 * - read-only fields (`device_feature`, `num_queues`, `config_generation`, `queue_notify_off`,
 *   `peer_num_rx_queues`, `peer_rx_queue_gsi`, `peer_uuid_hi`, `peer_uuid_lo`) refuse writes;
 * - `peer_connection`: only the device writes 1 (a driver write of 1 is refused). A driver write of 0 while
 *   connected is a *request*: the register keeps reading 1 until the device has closed the connection with
 *   its peer and writes 0 itself ({@link CommonCfgRegisters.setPeerConnection});
 * - `queue_size` must be a power of 2 no larger than the queue's maximum; `queue_enable` refuses 0; the
 *   address and size of an enabled queue cannot change; an unavailable queue presents `queue_size` 0.
 * - a write of 0 to `device_status` requests a reset; the register keeps its value until the device has
 *   finished resetting ({@link CommonCfgRegisters.completeReset}), so a driver must wait for a read of 0
 *   (from status 0, where the driver has started nothing, the reset is immediate).
 *
 * Every change of `peer_connection` sets ISR bit 2 (peer device status) and raises the configuration vector.
 *
 * @module
 */
import { VIRTIO_MSI_NO_VECTOR } from "../notify/index.js";
import { VIRTQUEUE_MAX_SIZE } from "../virtqueue/index.js";
import { VirtioPciCommonCfgSchema, VirtioPciCommonCfgSize, VirtioPciCommonCfgView } from "./spec.js";
import type { VirtioPciCommonCfg } from "./spec.js";
import type { GuestInterrupts } from "./interrupts.js";

/** `device_status` bits (virtio 1.x §2.1). */
export const DeviceStatus = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

/** ISR status bit 0: a virtqueue interrupt. */
export const ISR_QUEUE = 1;
/** ISR status bit 1: a device configuration change. */
export const ISR_CONFIG = 2;
/** ISR status bit 2 (added by the proposal): the peer device status (`peer_connection`) changed. */
export const ISR_PEER_STATUS = 4;

/** Name of a common configuration field. */
export type CommonCfgField = keyof VirtioPciCommonCfg;

/** Fields the driver may only read. */
const READ_ONLY: ReadonlySet<CommonCfgField> = new Set<CommonCfgField>([
  "device_feature",
  "num_queues",
  "config_generation",
  "queue_notify_off",
  "peer_num_rx_queues",
  "peer_rx_queue_gsi",
  "peer_uuid_hi",
  "peer_uuid_lo",
]);

/** The peer device related registers (the ones the driver should not read before a connection). */
export const PEER_REGISTERS: readonly CommonCfgField[] = [
  "peer_num_rx_queues",
  "peer_rx_queue_select",
  "peer_rx_queue_gsi",
  "peer_uuid_hi",
  "peer_uuid_lo",
];

interface FieldSlot {
  readonly name: CommonCfgField;
  readonly offset: number;
  readonly size: number;
}

/** Field slots by offset, from the generated schema (the same layout the codec and view use). */
const SLOTS: ReadonlyMap<number, FieldSlot> = new Map(
  VirtioPciCommonCfgSchema.fields.map((f) => [f.offset!, { name: f.key as CommonCfgField, offset: f.offset!, size: f.size! }]),
);
const SLOTS_BY_NAME: ReadonlyMap<CommonCfgField, FieldSlot> = new Map([...SLOTS.values()].map((s) => [s.name, s]));

/**
 * Why a driver access was refused.
 *
 * - `invalid-access`: the offset and width do not match one field exactly;
 * - `read-only-register`: a write to a field the driver must not write;
 * - `peer-connection-write-1`: the driver wrote 1 to `peer_connection` (only the device does);
 * - `queue-size-not-power-of-two`, `queue-size-too-large`: a bad `queue_size`;
 * - `queue-unavailable`: queue configuration while `queue_select` names no queue;
 * - `queue-enable-zero`: the driver wrote 0 to `queue_enable`;
 * - `queue-enabled`: a change of an enabled queue's size or addresses;
 * - `value-out-of-range`: a value that does not fit the field.
 */
export type RegisterRefusalReason =
  | "invalid-access"
  | "read-only-register"
  | "peer-connection-write-1"
  | "queue-size-not-power-of-two"
  | "queue-size-too-large"
  | "queue-unavailable"
  | "queue-enable-zero"
  | "queue-enabled"
  | "value-out-of-range";

/** Outcome of a driver write. */
export type RegisterWriteResult = { readonly accepted: true } | { readonly accepted: false; readonly reason: RegisterRefusalReason };

/** One entry of the access trace (see {@link CommonCfgRegisters.trace}). */
export type RegisterTraceEntry =
  | { readonly op: "read"; readonly field: CommonCfgField; readonly value: number | bigint }
  | { readonly op: "write"; readonly field: CommonCfgField; readonly value: number | bigint; readonly refused?: RegisterRefusalReason }
  | { readonly op: "isr-read"; readonly value: number }
  | { readonly op: "device-write"; readonly field: CommonCfgField; readonly value: number | bigint }
  | { readonly op: "unload" };

/** The device's private state of one virtqueue. */
export interface QueueState {
  /** Largest size the device supports (0: the queue does not exist). */
  readonly maxSize: number;
  /** Size the driver chose (defaults to the maximum). */
  size: number;
  /** MSI-X vector of the queue (VIRTIO_MSI_NO_VECTOR when none or when the vector is out of range). */
  msixVector: number;
  /** Whether the driver enabled the queue. */
  enabled: boolean;
  /** Guest-physical address of the descriptor table. */
  desc: bigint;
  /** Guest-physical address of the available ring. */
  avail: bigint;
  /** Guest-physical address of the used ring. */
  used: bigint;
}

/** What the device model wants to hear about driver writes. All optional. */
export interface CommonCfgHooks {
  /** The driver wrote 0 to `device_status`: start a reset; call {@link CommonCfgRegisters.completeReset} when done. */
  onResetRequest?(): void;
  /** The driver set FEATURES_OK: return whether the written features are acceptable (if not, FEATURES_OK is not kept). */
  onFeaturesOk?(driverFeatures: bigint): boolean;
  /** The driver set DRIVER_OK. */
  onDriverOk?(): void;
  /** The driver enabled queue `index`. */
  onQueueEnable?(index: number): void;
  /** The driver asked to close the peer connection (wrote 0 to `peer_connection` while it read 1). */
  onPeerDisconnectRequest?(): void;
}

/** Options of {@link CommonCfgRegisters}. */
export interface CommonCfgOptions {
  /** Maximum size of each virtqueue, by index (its length is `num_queues`). Each a power of two ≤ 32768. */
  queueMaxSizes: readonly number[];
  /** The features the device offers (bits 0..63). */
  deviceFeatures: bigint;
  /** The guest's interrupt controller: configuration and queue vectors are checked against it and raised on it. */
  interrupts: GuestInterrupts;
  /** Hooks the device model uses to react to driver writes. */
  hooks?: CommonCfgHooks;
  /** `queue_notify_off` of each queue; defaults to the queue index. */
  queueNotifyOffsets?: readonly number[];
}

const U64_MASK = (1n << 64n) - 1n;

/** The register file; see the module comment. */
export class CommonCfgRegisters {
  /** The 82 bytes the driver sees. */
  readonly bytes: Uint8Array;
  /** Generated view over {@link bytes}. */
  readonly view: VirtioPciCommonCfgView;
  /** When set to an array, every driver access and device write of a peer register is appended (for checks). */
  trace: RegisterTraceEntry[] | null = null;

  readonly #interrupts: GuestInterrupts;
  readonly #hooks: CommonCfgHooks;
  #deviceFeatures: bigint;
  readonly #queues: QueueState[];
  readonly #notifyOffsets: readonly number[];
  readonly #refusals = new Map<RegisterRefusalReason, number>();
  #driverFeatures = 0n;
  #isr = 0;
  #peerGsis: number[] = [];
  #resetPending = false;
  #disconnectRequested = false;
  #lastPeerConnectionRead: number | null = null;

  /** @throws RangeError for invalid options (trusted caller). */
  constructor(options: CommonCfgOptions) {
    const sizes = options.queueMaxSizes;
    if (sizes.length > 0xffff) throw new RangeError(`too many queues: ${sizes.length}`);
    for (const s of sizes) {
      if (!Number.isInteger(s) || s < 1 || s > VIRTQUEUE_MAX_SIZE || (s & (s - 1)) !== 0) {
        throw new RangeError(`queue maximum size ${s} is not a power of two in 1..${VIRTQUEUE_MAX_SIZE}`);
      }
    }
    if (options.deviceFeatures < 0n || options.deviceFeatures > U64_MASK) throw new RangeError("device features must be a u64");
    this.bytes = new Uint8Array(VirtioPciCommonCfgSize);
    this.view = VirtioPciCommonCfgView.over(this.bytes);
    this.#deviceFeatures = options.deviceFeatures;
    this.#interrupts = options.interrupts;
    this.#hooks = options.hooks ?? {};
    this.#notifyOffsets = options.queueNotifyOffsets ?? sizes.map((_, i) => i);
    this.#queues = sizes.map((maxSize) => freshQueue(maxSize));
    this.#resetRegisters();
  }

  // ---------------------------------------------------------------- driver side (MMIO)

  /**
   * A driver read of `width` bytes at `offset`. 64-bit fields read as bigint, the others as numbers. An access
   * that does not match one field reads as all ones (as a PCI master abort does) and is counted as refused.
   */
  read(offset: number, width: number): number | bigint {
    const slot = SLOTS.get(offset);
    if (slot === undefined || slot.size !== width) {
      this.#refuse("invalid-access");
      return width === 8 ? U64_MASK : width >= 1 && width <= 4 ? 2 ** (8 * width) - 1 : 0;
    }
    const value = this.view[slot.name];
    if (slot.name === "peer_connection") this.#lastPeerConnectionRead = value as number;
    this.trace?.push({ op: "read", field: slot.name, value });
    return value;
  }

  /** A driver write of `width` bytes at `offset`; see the module comment for the rules. */
  write(offset: number, width: number, value: number | bigint): RegisterWriteResult {
    const slot = SLOTS.get(offset);
    if (slot === undefined || slot.size !== width) return this.#refuse("invalid-access");
    return this.#writeField(slot, value);
  }

  /** {@link read} of a field by name. */
  readField<K extends CommonCfgField>(name: K): VirtioPciCommonCfg[K] {
    const slot = SLOTS_BY_NAME.get(name)!;
    return this.read(slot.offset, slot.size) as VirtioPciCommonCfg[K];
  }

  /** {@link write} of a field by name. */
  writeField<K extends CommonCfgField>(name: K, value: VirtioPciCommonCfg[K]): RegisterWriteResult {
    return this.#writeField(SLOTS_BY_NAME.get(name)!, value);
  }

  /** A driver read of the ISR status byte: returns the pending bits and clears them (read-to-clear). */
  readIsr(): number {
    const value = this.#isr;
    this.#isr = 0;
    this.trace?.push({ op: "isr-read", value });
    return value;
  }

  /** Records, in the trace, that the driver unloaded (for the "MUST NOT unload until it reads 0" check). */
  noteUnload(): void {
    this.trace?.push({ op: "unload" });
  }

  // ---------------------------------------------------------------- device side

  /** Features the device offers. */
  get deviceFeatures(): bigint {
    return this.#deviceFeatures;
  }

  /**
   * Changes the features the device offers (e.g. after a re-negotiation with the peer restricted them). Takes
   * effect for the driver's next read of `device_feature`; a driver that already negotiated must be made to
   * reset (DEVICE_NEEDS_RESET) to see it.
   * @throws RangeError unless a u64
   */
  offerFeatures(features: bigint): void {
    if (features < 0n || features > U64_MASK) throw new RangeError("device features must be a u64");
    this.#deviceFeatures = features;
    this.view.device_feature = featureWindow(features, this.view.device_feature_select);
  }

  /** The features the driver wrote (all 64 bits). */
  get driverFeatures(): bigint {
    return this.#driverFeatures;
  }

  /** `device_status` as presented. */
  get status(): number {
    return this.view.device_status;
  }

  /** True between a driver write of 0 to `device_status` and {@link completeReset}. */
  get resetPending(): boolean {
    return this.#resetPending;
  }

  /**
   * The value the driver last read from `peer_connection` since the device last changed it (null when it
   * has not read it since): how the device knows the driver has seen a connection close.
   */
  get lastDriverPeerConnectionRead(): number | null {
    return this.#lastPeerConnectionRead;
  }

  /** True between a driver request to close the peer connection and the device's write of 0. */
  get disconnectRequested(): boolean {
    return this.#disconnectRequested;
  }

  /** Number of queues. */
  get numQueues(): number {
    return this.#queues.length;
  }

  /** The device's state of queue `index` (a live object: do not modify). @throws RangeError */
  queue(index: number): Readonly<QueueState> {
    const q = this.#queues[index];
    if (q === undefined) throw new RangeError(`queue ${index} does not exist`);
    return q;
  }

  /** The configuration MSI-X vector (VIRTIO_MSI_NO_VECTOR when none). */
  get configVector(): number {
    return this.view.msix_config;
  }

  /** How many driver accesses were refused for `reason` (all reasons when omitted). */
  refusals(reason?: RegisterRefusalReason): number {
    if (reason !== undefined) return this.#refusals.get(reason) ?? 0;
    let n = 0;
    for (const c of this.#refusals.values()) n += c;
    return n;
  }

  /**
   * Finishes a reset: every register back to its reset value (features, status, queues disabled, vectors
   * none, peer registers cleared), and `device_status` reads 0 from now on.
   */
  completeReset(): void {
    this.#resetPending = false;
    this.#resetRegisters();
  }

  /** Sets `bits` in `device_status` (e.g. DEVICE_NEEDS_RESET) and signals a configuration change. */
  setStatusBits(bits: number): void {
    this.view.device_status = (this.view.device_status | bits) & 0xff;
    this.raiseConfigChange(ISR_CONFIG);
  }

  /**
   * Writes `peer_connection` (only the device may write 1), records the change in the trace, and notifies
   * the driver: ISR bit 2 and the configuration vector. Writing 0 also ends a pending disconnect request.
   * Nothing happens when the value does not change.
   */
  setPeerConnection(value: 0 | 1): void {
    if (value === 0) this.#disconnectRequested = false;
    if (this.view.peer_connection === value) return;
    this.view.peer_connection = value;
    this.#lastPeerConnectionRead = null;
    this.trace?.push({ op: "device-write", field: "peer_connection", value });
    this.raiseConfigChange(ISR_PEER_STATUS);
  }

  /**
   * Configures the peer registers: the GSI of each RX virtqueue of the peer device (their count is
   * `peer_num_rx_queues`) and the peer's UUID. Call before {@link setPeerConnection}(1).
   * @throws RangeError for a GSI that is not a u32 or more than 65535 queues (trusted caller)
   */
  setPeerInfo(rxQueueGsis: readonly number[], uuidHi: bigint, uuidLo: bigint): void {
    if (rxQueueGsis.length > 0xffff || rxQueueGsis.some((g) => g >>> 0 !== g)) throw new RangeError("peer RX queue GSIs must be u32s");
    this.#peerGsis = [...rxQueueGsis];
    this.view.peer_num_rx_queues = rxQueueGsis.length;
    this.view.peer_uuid_hi = uuidHi & U64_MASK;
    this.view.peer_uuid_lo = uuidLo & U64_MASK;
    this.#refreshPeerGsiWindow();
    this.trace?.push({ op: "device-write", field: "peer_num_rx_queues", value: rxQueueGsis.length });
  }

  /** Clears the peer registers (after a disconnect). */
  clearPeerInfo(): void {
    this.setPeerInfo([], 0n, 0n);
  }

  /** Increments `config_generation` (call after changing device-specific configuration). */
  bumpConfigGeneration(): void {
    this.view.config_generation = (this.view.config_generation + 1) & 0xff;
  }

  /** Sets ISR bits and raises the configuration vector (if the driver assigned one). */
  raiseConfigChange(isrBits: number): void {
    this.#isr |= isrBits;
    const vector = this.view.msix_config;
    if (vector !== VIRTIO_MSI_NO_VECTOR) this.#interrupts.raise(vector);
  }

  /** Sets ISR bit 0 and raises queue `index`'s vector (if assigned). */
  raiseQueueInterrupt(index: number): void {
    this.#isr |= ISR_QUEUE;
    const vector = this.#queues[index]?.msixVector ?? VIRTIO_MSI_NO_VECTOR;
    if (vector !== VIRTIO_MSI_NO_VECTOR) this.#interrupts.raise(vector);
  }

  // ---------------------------------------------------------------- internals

  #writeField(slot: FieldSlot, value: number | bigint): RegisterWriteResult {
    const result = this.#apply(slot.name, value);
    this.trace?.push(result.accepted ? { op: "write", field: slot.name, value } : { op: "write", field: slot.name, value, refused: result.reason });
    return result;
  }

  #apply(name: CommonCfgField, value: number | bigint): RegisterWriteResult {
    if (READ_ONLY.has(name)) return this.#refuse("read-only-register");
    const slot = SLOTS_BY_NAME.get(name)!;
    if (!fitsField(value, slot.size)) return this.#refuse("value-out-of-range");
    const v = this.view;
    const sel = v.queue_select;
    const q = this.#queues[sel];
    switch (name) {
      case "device_feature_select":
        v.device_feature_select = value as number;
        v.device_feature = featureWindow(this.#deviceFeatures, value as number);
        return ACCEPTED;
      case "driver_feature_select":
        v.driver_feature_select = value as number;
        v.driver_feature = featureWindow(this.#driverFeatures, value as number);
        return ACCEPTED;
      case "driver_feature": {
        const word = v.driver_feature_select;
        // Only words 0 and 1 hold feature bits (0..63); writes to other words keep nothing to present.
        if (word <= 1) {
          const shift = BigInt(32 * word);
          this.#driverFeatures = (this.#driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value as number) << shift);
        }
        v.driver_feature = featureWindow(this.#driverFeatures, word);
        return ACCEPTED;
      }
      case "msix_config":
        v.msix_config = this.#vectorOrNone(value as number);
        return ACCEPTED;
      case "device_status":
        return this.#writeStatus(value as number);
      case "queue_select":
        v.queue_select = value as number;
        this.#refreshQueueWindow();
        return ACCEPTED;
      case "queue_size": {
        if (q === undefined) return this.#refuse("queue-unavailable");
        if (q.enabled) return this.#refuse("queue-enabled");
        const size = value as number;
        if (size === 0 || (size & (size - 1)) !== 0) return this.#refuse("queue-size-not-power-of-two");
        if (size > q.maxSize) return this.#refuse("queue-size-too-large");
        q.size = size;
        v.queue_size = size;
        return ACCEPTED;
      }
      case "queue_msix_vector":
        if (q === undefined) return this.#refuse("queue-unavailable");
        q.msixVector = this.#vectorOrNone(value as number);
        v.queue_msix_vector = q.msixVector;
        return ACCEPTED;
      case "queue_enable":
        if (q === undefined) return this.#refuse("queue-unavailable");
        if (value !== 1) return this.#refuse("queue-enable-zero");
        if (!q.enabled) {
          q.enabled = true;
          v.queue_enable = 1;
          this.#hooks.onQueueEnable?.(sel);
        }
        return ACCEPTED;
      case "queue_desc":
      case "queue_avail":
      case "queue_used":
        if (q === undefined) return this.#refuse("queue-unavailable");
        if (q.enabled) return this.#refuse("queue-enabled");
        if (name === "queue_desc") q.desc = value as bigint;
        else if (name === "queue_avail") q.avail = value as bigint;
        else q.used = value as bigint;
        v[name] = value as bigint;
        return ACCEPTED;
      case "peer_connection":
        if (value !== 0) return this.#refuse("peer-connection-write-1");
        // A request, not a write: the device closes the connection with its peer first, then writes 0.
        if (v.peer_connection === 1 && !this.#disconnectRequested) {
          this.#disconnectRequested = true;
          this.#hooks.onPeerDisconnectRequest?.();
        }
        return ACCEPTED;
      case "peer_rx_queue_select":
        v.peer_rx_queue_select = value as number;
        this.#refreshPeerGsiWindow();
        return ACCEPTED;
      default:
        // Every writable field is handled above; this guards a schema that gained a field.
        return this.#refuse("read-only-register");
    }
  }

  #writeStatus(value: number): RegisterWriteResult {
    const v = this.view;
    if (value === 0) {
      // From status 0 the driver has started nothing: the reset is done at once (and status already reads
      // 0, so a deferred reset could not be told apart from a finished one).
      if (v.device_status === 0 && !this.#resetPending) {
        this.completeReset();
      } else if (!this.#resetPending) {
        this.#resetPending = true;
        if (this.#hooks.onResetRequest) this.#hooks.onResetRequest();
        else this.completeReset();
      }
      return ACCEPTED;
    }
    const old = v.device_status;
    // The device keeps its own bits (DEVICE_NEEDS_RESET) and decides whether FEATURES_OK sticks.
    let next = (value & ~DeviceStatus.DEVICE_NEEDS_RESET) | (old & DeviceStatus.DEVICE_NEEDS_RESET);
    if ((next & DeviceStatus.FEATURES_OK) !== 0 && (old & DeviceStatus.FEATURES_OK) === 0) {
      const ok = this.#hooks.onFeaturesOk ? this.#hooks.onFeaturesOk(this.#driverFeatures) : (this.#driverFeatures & ~this.#deviceFeatures) === 0n;
      if (!ok) next &= ~DeviceStatus.FEATURES_OK;
    }
    v.device_status = next & 0xff;
    if ((next & DeviceStatus.DRIVER_OK) !== 0 && (old & DeviceStatus.DRIVER_OK) === 0) this.#hooks.onDriverOk?.();
    return ACCEPTED;
  }

  #vectorOrNone(vector: number): number {
    // Like a PCI device that cannot map a vector: present VIRTIO_MSI_NO_VECTOR.
    return vector < this.#interrupts.vectorCount ? vector : VIRTIO_MSI_NO_VECTOR;
  }

  #refreshQueueWindow(): void {
    const v = this.view;
    const q = this.#queues[v.queue_select];
    v.queue_size = q?.size ?? 0;
    v.queue_msix_vector = q?.msixVector ?? VIRTIO_MSI_NO_VECTOR;
    v.queue_enable = q?.enabled ? 1 : 0;
    v.queue_notify_off = q === undefined ? 0 : this.#notifyOffsets[v.queue_select]! & 0xffff;
    v.queue_desc = q?.desc ?? 0n;
    v.queue_avail = q?.avail ?? 0n;
    v.queue_used = q?.used ?? 0n;
  }

  #refreshPeerGsiWindow(): void {
    const v = this.view;
    v.peer_rx_queue_gsi = this.#peerGsis[v.peer_rx_queue_select] ?? 0xffffffff;
  }

  #resetRegisters(): void {
    this.bytes.fill(0);
    this.#driverFeatures = 0n;
    this.#isr = 0;
    this.#disconnectRequested = false;
    for (let i = 0; i < this.#queues.length; i++) this.#queues[i] = freshQueue(this.#queues[i]!.maxSize);
    const v = this.view;
    v.num_queues = this.#queues.length;
    v.msix_config = VIRTIO_MSI_NO_VECTOR;
    v.device_feature = featureWindow(this.#deviceFeatures, 0);
    this.#peerGsis = [];
    this.#refreshQueueWindow();
    this.#refreshPeerGsiWindow();
  }

  #refuse(reason: RegisterRefusalReason): RegisterWriteResult {
    this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + 1);
    return { accepted: false, reason };
  }
}

const ACCEPTED: RegisterWriteResult = { accepted: true };

function freshQueue(maxSize: number): QueueState {
  return { maxSize, size: maxSize, msixVector: VIRTIO_MSI_NO_VECTOR, enabled: false, desc: 0n, avail: 0n, used: 0n };
}

/** The 32-bit word `select` of a 64-bit feature set (0 beyond bit 63). */
function featureWindow(features: bigint, select: number): number {
  return select <= 1 ? Number((features >> BigInt(32 * select)) & 0xffffffffn) : 0;
}

/** Whether `value` fits a field of `size` bytes (bigint for 8-byte fields, number otherwise). */
function fitsField(value: number | bigint, size: number): boolean {
  if (size === 8) return typeof value === "bigint" && value >= 0n && value <= U64_MASK;
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 2 ** (8 * size);
}
