/**
 * The worker-guest tests (guest-workers.test.ts) again, on packed rings: each guest's device offers
 * VIRTIO_F_RING_PACKED and the guest's driver takes it.
 */
import { useRingLayout } from "./driver-helpers.js";

useRingLayout("packed");
await import("./guest-workers.test.js");
