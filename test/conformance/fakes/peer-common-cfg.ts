/**
 * A tiny stand-in for the device side of the vhost-pci-net proposal's PCI common configuration (the peer
 * registers) and of its feature offer, used by the vhost-pci-net conformance checks until the vhost-pci-net
 * device model exists (that issue replaces these checks' subject with the real device).
 *
 * It is built the way a device model would be: on the generated `VirtioPciCommonCfgView` (register storage)
 * and `VirtioPciCommonCfgSchema` (which register a driver access at an offset hits). The checks address it
 * through driver reads and writes at offsets they take BY HAND from the spec listing, so a wrong generated
 * offset fails them.
 *
 * @module
 */
import { VIRTIO_F_PV_INTERRUPT, VIRTIO_F_VERSION_1, VirtioPciCommonCfgSchema, VirtioPciCommonCfgSize, VirtioPciCommonCfgView } from "../../../generated/vhost-pci-net/index.js";
import type { FieldSchema } from "../../../runtime/codec/index.js";

/**
 * Why a driver access was refused.
 *
 * - `no-register`: the offset and width name no whole register.
 * - `read-only`: the register is read-only for the driver (spec listing comment).
 * - `bad-value`: the value does not fit the register, or is not a value the device accepts there.
 * - `peer-invalid`: {@link FakePeerDevice.connectPeer} got a peer description the registers cannot hold.
 */
export type FakePeerErrorReason = "no-register" | "read-only" | "bad-value" | "peer-invalid";

/** A refused access; the registers are unchanged. */
export class FakePeerError extends Error {
  /** Machine-readable cause. */
  readonly reason: FakePeerErrorReason;

  /**
   * @param reason - Machine-readable cause.
   * @param message - Human-readable explanation.
   */
  constructor(reason: FakePeerErrorReason, message: string) {
    super(message);
    this.name = "FakePeerError";
    this.reason = reason;
  }
}

/** What the device did, in order: lets checks verify sequences the spec prescribes. */
export type PeerEvent =
  /** Negotiation with the peer finished: the connection can be established. */
  | { kind: "peer-negotiated" }
  /** Closing the connection was negotiated with the peer. */
  | { kind: "peer-close-negotiated" }
  /** The device wrote `value` into register `field`. */
  | { kind: "register-written"; field: string; value: number | bigint }
  /** The device notified the driver of a configuration change. */
  | { kind: "config-change-notified" };

/** The peer as the device learns it while negotiating. */
export interface PeerDescription {
  /** GSI of each RX virtqueue of the peer (their count is `peer_num_rx_queues`). */
  rxQueueGsis: readonly number[];
  /** The peer's 128-bit uuid. */
  uuid: bigint;
}

/** Whether the management environment supports paravirtualised interrupt injection. */
export interface PeerEnvironment {
  /** True when the VMM can inject the peer's interrupts by hypercall. */
  pvInterrupt: boolean;
}

/**
 * Registers read-only for the driver, from the comments of the spec's `struct virtio_pci_common_cfg` listing
 * ("read-only for driver" / "read only for driver").
 */
const DRIVER_READ_ONLY: ReadonlySet<string> = new Set([
  "device_feature", "num_queues", "config_generation", "queue_notify_off",
  "peer_num_rx_queues", "peer_rx_queue_gsi", "peer_uuid_hi", "peer_uuid_lo",
]);

const U64 = (1n << 64n) - 1n;

/** The device side of one vhost-pci-net function's common configuration. */
export class FakePeerDevice {
  /** Everything the device did, in order. */
  readonly events: PeerEvent[] = [];
  readonly #bytes = new Uint8Array(VirtioPciCommonCfgSize);
  readonly #regs = VirtioPciCommonCfgView.over(this.#bytes);
  readonly #features: bigint;
  #peer: PeerDescription | undefined;

  /** The device checks the environment for pv-interrupt support and offers VIRTIO_F_PV_INTERRUPT accordingly. */
  constructor(env: PeerEnvironment) {
    let features = 1n << BigInt(VIRTIO_F_VERSION_1);
    if (env.pvInterrupt) features |= 1n << BigInt(VIRTIO_F_PV_INTERRUPT);
    this.#features = features;
    this.#presentFeatureWindow();
  }

  /**
   * Finishes negotiating with the peer: configures the peer registers, then writes 1 to `peer_connection`
   * and notifies the driver (the order the spec's device requirements give).
   *
   * @throws {@link FakePeerError} `peer-invalid` when the peer does not fit the registers.
   */
  connectPeer(peer: PeerDescription): void {
    if (peer.rxQueueGsis.length > 0xffff || peer.rxQueueGsis.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff_ffff)) {
      throw new FakePeerError("peer-invalid", "peer RX queue count or GSI does not fit its register");
    }
    if (peer.uuid < 0n || peer.uuid >> 128n !== 0n) throw new FakePeerError("peer-invalid", "peer uuid is not a 128-bit value");
    this.#peer = { rxQueueGsis: [...peer.rxQueueGsis], uuid: peer.uuid };
    this.events.push({ kind: "peer-negotiated" });
    this.#set("peer_num_rx_queues", peer.rxQueueGsis.length);
    this.#presentSelectedGsi();
    this.#set("peer_uuid_hi", (peer.uuid >> 64n) & U64);
    this.#set("peer_uuid_lo", peer.uuid & U64);
    this.#set("peer_connection", 1);
    this.#notify();
  }

  /**
   * A driver read of `width` bytes at `offset`.
   *
   * @throws {@link FakePeerError} `no-register`.
   */
  driverRead(offset: number, width: number): number | bigint {
    const field = this.#register(offset, width);
    return (this.#regs as unknown as Record<string, number | bigint>)[field.key]!;
  }

  /**
   * A driver write of `value` (`width` bytes at `offset`).
   *
   * @throws {@link FakePeerError} `no-register`, `read-only`, `bad-value`.
   */
  driverWrite(offset: number, width: number, value: number | bigint): void {
    const field = this.#register(offset, width);
    if (DRIVER_READ_ONLY.has(field.name)) throw new FakePeerError("read-only", `${field.name} is read-only for the driver`);
    const wide = field.elementSize === 8;
    if (wide ? typeof value !== "bigint" : typeof value !== "number") {
      throw new FakePeerError("bad-value", `${field.name} takes a ${wide ? "bigint" : "number"}`);
    }
    if (field.name === "peer_connection") {
      // Only a request to disconnect is defined; the driver must not write 1.
      if (value !== 0) throw new FakePeerError("bad-value", "the driver may only write 0 to peer_connection");
      if (this.#regs.peer_connection === 0) return;
      this.events.push({ kind: "peer-close-negotiated" });
      this.#peer = undefined;
      this.#set("peer_connection", 0);
      this.#notify();
      return;
    }
    try {
      (this.#regs as unknown as Record<string, number | bigint>)[field.key] = value;
    } catch (err) {
      throw new FakePeerError("bad-value", (err as Error).message);
    }
    if (field.name === "peer_rx_queue_select") this.#presentSelectedGsi();
    if (field.name === "device_feature_select") this.#presentFeatureWindow();
  }

  /** The register a driver access hits, from the generated schema; whole registers only. */
  #register(offset: number, width: number): FieldSchema {
    const field = VirtioPciCommonCfgSchema.fields.find((f) => f.offset === offset);
    if (!field || field.size !== width) throw new FakePeerError("no-register", `no ${width}-byte register at offset ${offset}`);
    return field;
  }

  /** `peer_rx_queue_gsi` shows the GSI of the queue `peer_rx_queue_select` names (0 when out of range). */
  #presentSelectedGsi(): void {
    const gsis = this.#peer?.rxQueueGsis ?? [];
    this.#set("peer_rx_queue_gsi", gsis[this.#regs.peer_rx_queue_select] ?? 0);
  }

  /** `device_feature` shows the 32-bit window of the offered features that `device_feature_select` names. */
  #presentFeatureWindow(): void {
    const window = Number((this.#features >> BigInt(32 * this.#regs.device_feature_select)) & 0xffff_ffffn);
    this.#regs.device_feature = window;
  }

  #set(field: "peer_connection" | "peer_num_rx_queues" | "peer_rx_queue_gsi", value: number): void;
  #set(field: "peer_uuid_hi" | "peer_uuid_lo", value: bigint): void;
  #set(field: string, value: number | bigint): void {
    (this.#regs as unknown as Record<string, number | bigint>)[field] = value;
    this.events.push({ kind: "register-written", field, value });
  }

  #notify(): void {
    this.events.push({ kind: "config-change-notified" });
  }
}
