/**
 * A minimal virtio-net side of a vhost-pci pair (guest A): the virtio-net device whose backend is a
 * vhost-pci-net device in another guest, a virtio-net driver with one receive and one transmit queue, the
 * guest that combines them, guest-memory layout, and the test frames and traffic endpoints the demo and the
 * tests use.
 *
 * @module
 */
export { NET_RECEIVEQ, NET_TRANSMITQ, VirtioNetPeerDevice } from "./device.js";
export type { VirtioNetEnvironment, VirtioNetPeerDeviceOptions, VirtioNetPeerState } from "./device.js";
export { NET_BUFFER_SIZE, VirtioNetDriver, VirtioNetVectors } from "./driver.js";
export type { VirtioNetDriverOptions, VirtioNetDriverState, VirtioNetDriverStats } from "./driver.js";
export type { FrameSink, FrameSource } from "./frame-io.js";
export { GuestA } from "./guest-a.js";
export type { GuestAOptions } from "./guest-a.js";
export { GuestLayout, GuestLayoutError } from "./guest-layout.js";
export { randomLocalMac } from "./mac.js";
export { FrameChecker, MAX_ETHERNET_FRAME, TEST_ETHERTYPE, TEST_FRAME_HEADER, fnv1a, writeTestFrame } from "./test-frames.js";
export type { FrameCheckMode, FrameCheckStats, FrameExpectation } from "./test-frames.js";
export { TestFrameSink, TestFrameSource } from "./test-traffic.js";
export type { TrafficPlan } from "./test-traffic.js";
