/**
 * The ISM driver tests (driver.test.ts) again, on packed rings: every guest offers VIRTIO_F_RING_PACKED, every
 * driver takes it, so the device and driver models run over PackedQueueDevice/PackedQueueDriver.
 */
import { useRingLayout } from "./driver-helpers.js";

useRingLayout("packed");
await import("./driver.test.js");
