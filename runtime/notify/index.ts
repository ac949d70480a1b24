/**
 * Kicks and notifications: {@link Doorbell} (ring / spin-then-wait / waitAsync, transferable to workers),
 * {@link DoorbellBank}, the ISM {@link NotifyArea}, and MSI-X-style {@link InterruptTable}.
 *
 * @module
 */
export { NotifyError } from "./errors.js";
export type { NotifyErrorReason } from "./errors.js";
export {
  Doorbell,
  DOORBELL_DESCRIPTOR_KIND,
  DEFAULT_SPIN_ITERATIONS,
  ringsBetween,
} from "./doorbell.js";
export type {
  DoorbellDescriptor,
  DoorbellWaitOptions,
  DoorbellAsyncWaitOptions,
  DoorbellWaitOutcome,
  DoorbellWaitResult,
  DoorbellAsyncWaitResult,
  DoorbellListener,
} from "./doorbell.js";
export {
  DoorbellBank,
  DOORBELL_BANK_DESCRIPTOR_KIND,
  DOORBELL_STRIDE_WORDS,
  MAX_BANK_DOORBELLS,
} from "./doorbell-bank.js";
export type { DoorbellBankDescriptor } from "./doorbell-bank.js";
export { NotifyArea } from "./notify-area.js";
export {
  InterruptTable,
  VIRTIO_MSI_NO_VECTOR,
  MAX_INTERRUPT_VECTORS,
  INTERRUPT_TABLE_DESCRIPTOR_KIND,
} from "./interrupt-table.js";
export type { InterruptDelivery, InterruptTableDescriptor } from "./interrupt-table.js";
export { hasWaitAsync } from "./atomics-wait-async.js";
