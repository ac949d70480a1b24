/**
 * virtiokit runtime: guest memory, virtqueues, chunk allocation, shared-memory regions and notifications.
 *
 * @module
 */
export * from "./alloc/index.js";
export * from "./shm/index.js";
export * from "./notify/index.js";
export * from "./memory/index.js";
export * from "./virtqueue/index.js";
export * from "./codec/index.js";
