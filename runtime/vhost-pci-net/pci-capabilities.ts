/**
 * The virtio PCI capabilities a modelled device presents (virtio 1.x §4.1.4: `struct virtio_pci_cap`): where
 * in which BAR the common configuration, notification, ISR and device configuration structures live.
 *
 * The model accesses those structures through objects, not through BAR offsets, but the capability list is
 * still what a driver would discover first, and two of the common-configuration requirements are about it
 * (an offset multiple of 4, at least one common configuration capability).
 *
 * @module
 */
import { VirtioPciCommonCfgSize } from "./spec.js";

/** `cfg_type` values (virtio 1.x §4.1.4). */
export const VirtioPciCapType = {
  COMMON_CFG: 1,
  NOTIFY_CFG: 2,
  ISR_CFG: 3,
  DEVICE_CFG: 4,
  PCI_CFG: 5,
} as const;

/** One `struct virtio_pci_cap`. */
export interface VirtioPciCapability {
  /** Which structure (`VirtioPciCapType`). */
  readonly cfgType: number;
  /** BAR index holding it. */
  readonly bar: number;
  /** Offset of the structure in the BAR. */
  readonly offset: number;
  /** Length of the structure in bytes. */
  readonly length: number;
}

/** Structures laid out in BAR 4 at 4 KiB strides, as QEMU's virtio-pci does (each offset 4-aligned by construction). */
const STRIDE = 0x1000;
const BAR = 4;

/**
 * The capability list of a device whose device-specific configuration is `deviceConfigLength` bytes (0: no
 * device configuration capability, as for vhost-pci-net whose layout is "None currently defined").
 */
export function virtioPciCapabilities(deviceConfigLength: number, notifyLength: number): VirtioPciCapability[] {
  const caps: VirtioPciCapability[] = [
    { cfgType: VirtioPciCapType.COMMON_CFG, bar: BAR, offset: 0, length: VirtioPciCommonCfgSize },
    { cfgType: VirtioPciCapType.ISR_CFG, bar: BAR, offset: STRIDE, length: 1 },
    { cfgType: VirtioPciCapType.NOTIFY_CFG, bar: BAR, offset: 3 * STRIDE, length: notifyLength },
  ];
  if (deviceConfigLength > 0) caps.push({ cfgType: VirtioPciCapType.DEVICE_CFG, bar: BAR, offset: 2 * STRIDE, length: deviceConfigLength });
  return caps;
}
