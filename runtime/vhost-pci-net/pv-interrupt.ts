/**
 * VIRTIO_F_PV_INTERRUPT (bit 33, added by the proposal): a driver injects an interrupt into its *peer*
 * device's guest "in a paravirtualized way (e.g. hypercall)". The hypercall is modelled by this object,
 * which the management environment (the hypervisor) gives to a guest when it supports PV interrupts:
 * `inject(gsi)` raises vector `gsi` of the connected peer's interrupt controller.
 *
 * The hypervisor enforces what the guest may do: nothing is injected unless the device and driver
 * negotiated VIRTIO_F_PV_INTERRUPT, while no peer is connected, or for a GSI the peer does not have. The
 * outcome is returned (a hypercall returns an error code to the guest; it never faults it).
 *
 * @module
 */
import type { GuestInterrupts } from "./interrupts.js";

/** What {@link PvInterruptHypercall.inject} did. */
export type PvInjectOutcome = "delivered" | "pending" | "not-negotiated" | "no-peer" | "invalid-gsi";

/** The PV-interrupt hypercall of one guest; see the module comment. */
export class PvInterruptHypercall {
  #negotiated = false;
  #peer: GuestInterrupts | null = null;
  #injected = 0;
  #refused = 0;

  /** Whether VIRTIO_F_PV_INTERRUPT is negotiated (the device sets this at FEATURES_OK, clears it at reset). */
  get negotiated(): boolean {
    return this.#negotiated;
  }

  /** Set by the device when the driver sets FEATURES_OK (true with VIRTIO_F_PV_INTERRUPT), cleared at reset. */
  set negotiated(value: boolean) {
    this.#negotiated = value;
  }

  /** Installs (on connection) or removes (null, on disconnection) the peer the hypercall reaches. */
  route(peer: GuestInterrupts | null): void {
    this.#peer = peer;
  }

  /** Whether a peer is routed. */
  get routed(): boolean {
    return this.#peer !== null;
  }

  /** Successful injections so far. */
  get injected(): number {
    return this.#injected;
  }

  /** Refused injections so far. */
  get refused(): number {
    return this.#refused;
  }

  /** The hypercall: raises vector `gsi` of the peer's interrupt controller. */
  inject(gsi: number): PvInjectOutcome {
    const peer = this.#peer;
    let outcome: PvInjectOutcome;
    if (!this.#negotiated) outcome = "not-negotiated";
    else if (peer === null) outcome = "no-peer";
    else if (!Number.isInteger(gsi) || gsi < 0 || gsi >= peer.vectorCount) outcome = "invalid-gsi";
    else outcome = peer.raise(gsi) === "delivered" ? "delivered" : "pending";
    if (outcome === "delivered" || outcome === "pending") this.#injected++;
    else this.#refused++;
    return outcome;
  }
}
