/**
 * The vhost-pci-net proposal as a runtime: the vhost-pci-net device and driver of the guest that serves a
 * virtio-net peer (guest B), the common configuration register file with the peer registers, PV interrupts,
 * dirty-page logging, mirrored virtqueues, the peer link between the two devices, and the harnesses that run
 * a pair of guests in one thread ({@link LoopbackPair}) or on worker_threads ({@link PeerPair}).
 *
 * Guest A's side (the virtio-net device and driver) is in `runtime/virtio-net`.
 *
 * @module
 */
export { CommonCfgRegisters, DeviceStatus, ISR_CONFIG, ISR_PEER_STATUS, ISR_QUEUE, PEER_REGISTERS } from "./common-cfg.js";
export type {
  CommonCfgField,
  CommonCfgHooks,
  CommonCfgOptions,
  QueueState,
  RegisterRefusalReason,
  RegisterTraceEntry,
  RegisterWriteResult,
} from "./common-cfg.js";
export { CONTROL_BUFFER_SIZE, CONTROL_RECEIVEQ, CONTROL_TRANSMITQ, ControlQueueDevice, ControlQueueDriver, RECEIVEQ } from "./control-queues.js";
export type { BufferPool } from "./control-queues.js";
export { DIRTY_LOG_BAR, PEER_MEMORY_BAR, PREMAPPED_PEER_ADDRESS, VhostPciNetDevice } from "./device.js";
export type { ManagementEnvironment, PeerState, VhostPciNetDeviceOptions } from "./device.js";
export { DIRTY_LOG_PAGE_SIZE, DirtyPageLog } from "./dirty-log.js";
export type { DirtyPageLogDescriptor } from "./dirty-log.js";
export { DRIVER_PEER_MAP_ADDRESS, RECEIVE_BUFFER_SIZE, VhostPciNetDriver, VhostPciNetVectors } from "./driver.js";
export type { VhostPciNetDriverOptions, VhostPciNetDriverState, VhostPciNetDriverStats } from "./driver.js";
export { RefusalLog, VhostPciNetError } from "./errors.js";
export type { Refusal, RefusalReason, VhostPciNetErrorReason } from "./errors.js";
export { GuestB } from "./guest-b.js";
export type { GuestBOptions } from "./guest-b.js";
export { runGuestWorker } from "./guest-worker.js";
export type { GuestWorkerHooks } from "./guest-worker.js";
export { GuestInterrupts, InterruptReceiver } from "./interrupts.js";
export type { GuestInterruptsDescriptor } from "./interrupts.js";
export { LoopbackPair } from "./loopback-pair.js";
export type { LoopbackPairOptions } from "./loopback-pair.js";
export { DirtyLogging, MirroredQueue, scatterLogged } from "./mirrored-queue.js";
export type { MirrorDirection, MirroredQueueSpec } from "./mirrored-queue.js";
export { PeerPair } from "./pair.js";
export type { GuestRole, PeerPairOptions } from "./pair.js";
export type { GuestAConfig, GuestBConfig, GuestCommand, GuestEvent, GuestReport, GuestWorkerData, ReceiveCommand, SendCommand, TrafficPlanOptions } from "./pair-protocol.js";
export { VirtioPciCapType, virtioPciCapabilities } from "./pci-capabilities.js";
export type { VirtioPciCapability } from "./pci-capabilities.js";
export { MAX_PEER_QUEUES, PortPeerLink, createLoopbackLink, parsePeerLinkMessage } from "./peer-link.js";
export type { ParsedPeerLinkMessage, PeerLinkEndpoint, PeerLinkMessage, PeerMemoryDescriptor, VringInfo } from "./peer-link.js";
export { DriverAddressSpace, OTHER_MEM_INFO_SIZE, decodeOtherMemInfo, encodeOtherMemInfo, peerGuestMemory } from "./peer-memory.js";
export type { DeviceBar, MemoryMapping, PeerMemoryRange } from "./peer-memory.js";
export { PvInterruptHypercall } from "./pv-interrupt.js";
export type { PvInjectOutcome } from "./pv-interrupt.js";
export { runTcpBaseline } from "./tcp-baseline.js";
export type { LoopbackMode, TcpBaselineResult, TcpBaselineTask, TcpReceiverReport } from "./tcp-baseline.js";
export {
  PEER_VIRTQ_ENTRY_SIZE,
  PEER_VIRTQ_F_EVENT_IDX,
  PEER_VIRTQ_F_INDIRECT_DESC,
  PEER_VIRTQ_NO_VECTOR,
  decodePeerVirtqEntries,
  encodePeerVirtqEntries,
} from "./virtq-entry.js";
export type { PeerVirtqEntry } from "./virtq-entry.js";
