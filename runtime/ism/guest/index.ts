/**
 * Guests for the ISM device: hosts (in-thread for tests and soaks, worker threads for the demo and
 * benchmarks), the guest-side worker transport, the generic guest program and its host-side client, the
 * shared-memory channels guests run through a region, and the chunk-map picture.
 *
 * @module
 */
export { LineInterruptTable } from "./interrupt-line.js";
export { regionWindow, regionWindowDescriptor } from "./region-window.js";
export { HostedDevice, VIRTIO_F_VERSION_1 } from "./hosted-device.js";
export type { HostedDeviceOptions } from "./hosted-device.js";
export { IsmLocalGuest, IsmLocalHost, DEFAULT_GUEST_MEMORY_BYTES } from "./local-host.js";
export type { IsmLocalGuestOptions, IsmLocalHostOptions } from "./local-host.js";
export { IsmHost, IsmHostedGuest, DEFAULT_WORKER_GUEST_MEMORY_BYTES } from "./host.js";
export type { IsmGuestExit, IsmHostEvents, IsmHostOptions, IsmSpawnOptions } from "./host.js";
export { GUEST_BOOT_KIND } from "./boot.js";
export type { GuestToHost, HostToGuest, IsmGuestBoot } from "./boot.js";
export { IsmWorkerTransport, guestFromWorkerData } from "./worker-transport.js";
export { GUEST_PROGRAM_URL, GuestProgramClient, reviveError } from "./program-client.js";
export type { GuestProgramEvents, GuestReady } from "./program-client.js";
export * from "./program-protocol.js";
export { renderChunkMaps } from "./chunk-map.js";
export type { ChunkMapDevice, ChunkMapLegendEntry, ChunkMapPicture } from "./chunk-map.js";
export { Mailbox, mailboxBytes } from "./channels/mailbox.js";
export { ByteRing, RING_HEADER_BYTES, ringCapacityFor } from "./channels/byte-ring.js";
export { NATIVE_COPY_MIN_BYTES, copyBytes } from "./channels/copy.js";
export { rawSignal, regionSignal } from "./channels/signal.js";
export type { PeerSignal } from "./channels/signal.js";
export { DEFAULT_NAP_NANOSECONDS, DEFAULT_RECOVERY_SPIN_NANOSECONDS, MAX_RECOVERY_SPIN_MS, RECOVERY_SLICES, SpinWaiter, waitCounters } from "./channels/spin.js";
export type { WaitBudget, WaitCounters } from "./channels/spin.js";
export { streamThrough } from "./channels/stream.js";
export type { StreamMeasurement } from "./channels/stream.js";
export { PATTERN_PERIOD, patternByte, patternMismatches, patternSlice, patternSource } from "./channels/pattern.js";
export { soak } from "./soak.js";
export type { SoakOptions, SoakReport } from "./soak.js";
