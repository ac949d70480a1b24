/**
 * Worker entry of guest A (virtio-net) of a vhost-pci pair; see guest-worker.ts.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import { runGuestWorker } from "../guest-worker.js";
import type { GuestWorkerData } from "../pair-protocol.js";

runGuestWorker(workerData as GuestWorkerData);
