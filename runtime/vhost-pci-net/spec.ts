/**
 * The one doorway from the vhost-pci-net runtime to the code generated from the proposal
 * (`generated/vhost-pci-net/`): control-message framing, the `virtio_pci_common_cfg` codec and view (with the
 * peer registers the patch adds), `virtio_net_hdr`, `virtio_net_config`, and the constants (request codes,
 * `need_map`, `tx_or_rx`, logging values, feature bits).
 *
 * Why a doorway: the generated names follow the spec's spelling and may be renamed when the generator or the
 * proposal changes; every other module imports from here, so such a rename touches one file. Nothing here is
 * hand-written wire code: the encoders and decoders are the generated ones.
 *
 * @module
 */
import {
  ReservedFeature,
  VhostPciNetDeviceFeature,
  VhostPciNetPeerFeature,
  VhostPciNetPeerFeatureMask,
  NetworkFeature,
} from "../../generated/vhost-pci-net/index.js";

export {
  VHOST_PCI_CTRL_DIRTY_PAGE_LOGGING,
  VHOST_PCI_CTRL_MAC,
  VHOST_PCI_CTRL_PEER_FEATURE_BITS,
  VHOST_PCI_CTRL_PEER_MEM_INFO,
  VHOST_PCI_CTRL_PEER_VIRTQ_INFO,
  VHOST_PCI_DIRTY_PAGE_LOGGING_OFF,
  VHOST_PCI_DIRTY_PAGE_LOGGING_ON,
  VHOST_PCI_MEM_INFO_NEED_MAP_N,
  VHOST_PCI_MEM_INFO_NEED_MAP_Y,
  VHOST_PCI_PEER_VIRTQ_RX,
  VHOST_PCI_PEER_VIRTQ_TX,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_S_LINK_UP,
  VirtioNetConfigSize,
  VirtioNetConfigView,
  VirtioNetHdrSize,
  VirtioNetHdrView,
  VirtioPciCommonCfgSchema,
  VirtioPciCommonCfgSize,
  VirtioPciCommonCfgView,
  decodeVhostPciNetRequest,
  decodeVirtioNetHdr,
  encodeVhostPciNetRequest,
  encodeVirtioNetHdr,
  vhostPciNetCommands,
} from "../../generated/vhost-pci-net/index.js";
export type {
  VhostPciCtrlPeerMemInfo,
  VhostPciCtrlPeerVirtqInfo,
  VhostPciNetCommandName,
  VhostPciNetDecodedRequest,
  VhostPciNetRequestInputs,
  VirtioNetHdr,
  VirtioPciCommonCfg,
} from "../../generated/vhost-pci-net/index.js";
export { CodecError } from "../codec/index.js";

/** `VIRTIO_F_VERSION_1` (bit 32): compliance with virtio 1.x. */
export const VIRTIO_F_VERSION_1 = ReservedFeature.VERSION_1;
/** `VIRTIO_F_PV_INTERRUPT` (bit 33, added by the proposal): the driver can inject interrupts into its peer. */
export const VIRTIO_F_PV_INTERRUPT = ReservedFeature.PV_INTERRUPT;
/** `VIRTIO_F_RING_EVENT_IDX` (bit 29): used_event / avail_event notification suppression. */
export const VIRTIO_F_RING_EVENT_IDX = ReservedFeature.RING_EVENT_IDX;
/** `VIRTIO_F_RING_INDIRECT_DESC` (bit 28): indirect descriptor tables. */
export const VIRTIO_F_RING_INDIRECT_DESC = ReservedFeature.RING_INDIRECT_DESC;

/** Device feature bit numbers of the vhost-pci-net device (negotiated with its own driver). */
export const VhostPciNetDeviceFeatureBit = VhostPciNetDeviceFeature;
/** Peer feature bit numbers (negotiated with the peer device, then with the driver over the control queues). */
export const PeerFeatureBit = VhostPciNetPeerFeature;
/** Every peer feature bit the proposal lists, as one mask. */
export const PEER_FEATURE_MASK: bigint = Object.values(VhostPciNetPeerFeatureMask).reduce((a, m) => a | m, 0n);

/** `VIRTIO_NET_F_MAC` (bit 5): the virtio-net device has given a MAC address in its configuration. */
export const VIRTIO_NET_F_MAC = NetworkFeature.MAC;
/** `VIRTIO_NET_F_STATUS` (bit 16): the virtio-net configuration `status` field is valid. */
export const VIRTIO_NET_F_STATUS = NetworkFeature.STATUS;

/** `1n << bit` for a feature bit number. */
export function featureMask(bit: number): bigint {
  return 1n << BigInt(bit);
}

/** Whether `features` has feature `bit`. */
export function hasFeature(features: bigint, bit: number): boolean {
  return (features & featureMask(bit)) !== 0n;
}
