/**
 * How the vhost-pci-net runtime reports trouble, kept in two kinds as the virtqueue runtime does:
 *
 * - input from the *other side* (a control message from the device, a peer-link message from the peer
 *   device, a register write from the driver, a ring written by the peer guest) that breaks a rule is
 *   *refused*: it is recorded in a {@link RefusalLog} with a {@link RefusalReason}, has no effect, and never
 *   throws out of a poll loop — a hostile peer cannot crash the model or make it read outside mapped memory;
 * - *this side's own caller* misusing the API (sending before connecting, a frame larger than a buffer)
 *   throws {@link VhostPciNetError}: a bug in trusted code, not hostile input.
 *
 * @module
 */

/**
 * Why a piece of input from the other side was refused.
 *
 * Control messages (the driver reading the control receiveq, the device reading the control transmitq):
 * - `malformed-control-message`: the generated decoder refused the bytes (short, bad value); the codec's
 *   reason is in the detail;
 * - `unknown-request`: a `request` code the proposal does not define;
 * - `unexpected-request`: a defined request that makes no sense now or in this direction (a second
 *   PEER_MEM_INFO, VHOST_PCI_CTRL_MAC sent to the driver, an answer nobody asked for);
 * - `control-message-too-long`: a message longer than the receiving side's largest control buffer;
 * - `control-queue-broken`: a control virtqueue was marked broken (the detail names the virtqueue reason);
 * - `invalid-need-map`: `need_map` is neither VHOST_PCI_MEM_INFO_NEED_MAP_N nor _Y;
 * - `invalid-peer-memory-info`: `other_mem_info` is not the 16-byte layout of the decisions document, or
 *   describes an empty or unrepresentable range;
 * - `peer-memory-unmapped`: `peer_mem` names no BAR (need_map Y) or no existing mapping of the peer memory
 *   (need_map N), or the mapping is smaller than the peer memory it should hold;
 * - `peer-memory-not-mapped-yet`: PEER_VIRTQ_INFO before the peer memory was mapped;
 * - `invalid-virtq-direction`: `tx_or_rx` is neither VHOST_PCI_PEER_VIRTQ_TX nor _RX;
 * - `virtq-count-mismatch`: `virtq_num` disagrees with the number of `vq[]` entries in the message;
 * - `too-many-virtqs`: more mirrored queues than the driver supports;
 * - `invalid-virtq-layout`: a queue size that is not a power of two ≤ 32768, or misaligned ring areas;
 * - `virtq-outside-peer-memory`: a ring area that is not wholly inside the peer memory;
 * - `mirrored-ring-broken`: the peer guest wrote a ring the hostile-proof device side refused (loops,
 *   descriptors outside its memory, runaway indices); the virtqueue reason is in the detail;
 * - `logging-not-negotiated`: DIRTY_PAGE_LOGGING while VHOST_F_LOG_ALL was not negotiated with the peer;
 * - `invalid-logging-value`: `off_or_on` is neither OFF nor ON;
 * - `invalid-mac`: a VHOST_PCI_CTRL_MAC payload that is not 6 bytes, or a multicast address;
 * - `feature-bits-not-subset`: the driver accepted peer feature bits that were not offered.
 *
 * Peer-link messages (the device reading what the peer device sent):
 * - `malformed-peer-message`: not a message of the peer-link protocol (wrong shape, values out of range);
 * - `unexpected-peer-message`: a valid message in the wrong state;
 * - `invalid-peer-memory`: a memory description the device cannot map (not a SharedArrayBuffer, range
 *   outside the buffer, misaligned).
 *
 * Data path (the driver copying packets):
 * - `frame-too-large`: a packet longer than the buffer it should go into; it is dropped, its chain is
 *   returned with length 0, and the drop is counted (never a truncated, corrupted copy);
 * - `frame-too-short`: a transmit chain shorter than a `virtio_net_hdr`.
 */
export type RefusalReason =
  | "malformed-control-message"
  | "unknown-request"
  | "unexpected-request"
  | "control-message-too-long"
  | "control-queue-broken"
  | "invalid-need-map"
  | "invalid-peer-memory-info"
  | "peer-memory-unmapped"
  | "peer-memory-not-mapped-yet"
  | "invalid-virtq-direction"
  | "virtq-count-mismatch"
  | "too-many-virtqs"
  | "invalid-virtq-layout"
  | "virtq-outside-peer-memory"
  | "mirrored-ring-broken"
  | "logging-not-negotiated"
  | "invalid-logging-value"
  | "invalid-mac"
  | "feature-bits-not-subset"
  | "malformed-peer-message"
  | "unexpected-peer-message"
  | "invalid-peer-memory"
  | "frame-too-large"
  | "frame-too-short";

/** One refused input. */
export interface Refusal {
  /** Which rule was broken. */
  readonly reason: RefusalReason;
  /** Specifics (values, the underlying codec or virtqueue reason). */
  readonly detail: string;
}

/** Most refusals kept verbatim; later ones are only counted (a hostile peer cannot grow memory without bound). */
const MAX_KEPT_REFUSALS = 64;

/** Refusals seen by one component: the first 64 verbatim, all of them counted. */
export class RefusalLog {
  readonly #kept: Refusal[] = [];
  readonly #counts = new Map<RefusalReason, number>();
  #total = 0;

  /** Records a refusal. */
  add(reason: RefusalReason, detail: string): void {
    this.#total++;
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    if (this.#kept.length < MAX_KEPT_REFUSALS) this.#kept.push({ reason, detail });
  }

  /** Every refusal recorded so far (all of them counted; the first 64 kept). */
  get total(): number {
    return this.#total;
  }

  /** How many refusals had `reason`. */
  count(reason: RefusalReason): number {
    return this.#counts.get(reason) ?? 0;
  }

  /** The refusals kept verbatim, oldest first. */
  list(): readonly Refusal[] {
    return this.#kept;
  }

  /** The reasons seen, each once, in first-seen order. */
  reasons(): RefusalReason[] {
    return [...this.#counts.keys()];
  }
}

/**
 * Why trusted code's call was refused.
 *
 * - `invalid-option`: a constructor or method option out of range (layout sizes, counts, addresses).
 * - `invalid-state`: the call makes no sense in the component's current state (transmit before the peer is
 *   connected, start twice).
 * - `frame-too-large`: a frame longer than the largest buffer it could ever be placed in.
 * - `device-refused`: the device did not accept what the driver needed (FEATURES_OK cleared, a queue it does
 *   not have, VIRTIO_F_VERSION_1 not offered).
 * - `timeout`: a bounded wait for the other side ran out.
 */
export type VhostPciNetErrorReason = "invalid-option" | "invalid-state" | "frame-too-large" | "device-refused" | "timeout" | "device-needs-reset";

/** Thrown for misuse of the vhost-pci-net runtime by its own (trusted) caller; see the module comment. */
export class VhostPciNetError extends Error {
  /** Machine-readable reason. */
  readonly reason: VhostPciNetErrorReason;

  /**
   * @param reason - what was wrong
   * @param detail - human-readable specifics
   */
  constructor(reason: VhostPciNetErrorReason, detail: string) {
    super(`vhost-pci-net ${reason}: ${detail}`);
    this.name = "VhostPciNetError";
    this.reason = reason;
  }
}
