/**
 * MAC addresses a driver makes up when its device gives none.
 *
 * @module
 */

/** A random locally administered unicast MAC (IEEE 802: bit 1 of the first octet set, bit 0 clear). */
export function randomLocalMac(): Uint8Array {
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = Math.floor(Math.random() * 256);
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}
