/**
 * Feature words. virtio feature bits are numbered 0..127 and negotiated through 32-bit windows
 * (`device_feature_select` / `driver_feature_select`), so a whole feature set is a `bigint` here and the
 * 32-bit windows are plain numbers.
 *
 * @module
 */

function checkBit(bit: number): void {
  if (!Number.isInteger(bit) || bit < 0 || bit > 127) throw new RangeError(`feature bit ${bit} is not an integer in [0, 127]`);
}

/** Whether feature `bit` is set in `features`. */
export function hasFeatureBit(features: bigint, bit: number): boolean {
  checkBit(bit);
  return ((features >> BigInt(bit)) & 1n) === 1n;
}

/** `features` with `bit` set. */
export function setFeatureBit(features: bigint, bit: number): bigint {
  checkBit(bit);
  return features | (1n << BigInt(bit));
}

/** `features` with `bit` cleared. */
export function clearFeatureBit(features: bigint, bit: number): bigint {
  checkBit(bit);
  return features & ~(1n << BigInt(bit));
}

/** The 32-bit window `select` of `features` (bits `32*select .. 32*select+31`), as a number. */
export function featureWindow(features: bigint, select: number): number {
  if (!Number.isInteger(select) || select < 0 || select > 3) throw new RangeError(`feature select ${select} is not in [0, 3]`);
  return Number((features >> BigInt(32 * select)) & 0xffffffffn);
}

/** `features` with 32-bit window `select` replaced by `word` (what a driver write to `*_feature` does). */
export function withFeatureWindow(features: bigint, select: number, word: number): bigint {
  if (!Number.isInteger(select) || select < 0 || select > 3) throw new RangeError(`feature select ${select} is not in [0, 3]`);
  if ((word >>> 0) !== word) throw new RangeError(`feature word ${word} is not a 32-bit unsigned integer`);
  const shift = BigInt(32 * select);
  return (features & ~(0xffffffffn << shift)) | (BigInt(word) << shift);
}

/** Whether feature `bit` is set in a 32-bit window `word` that holds bits `32*select .. 32*select+31`. */
export function windowHasFeatureBit(word: number, select: number, bit: number): boolean {
  checkBit(bit);
  if (bit >>> 5 !== select) return false;
  return ((word >>> (bit & 31)) & 1) === 1;
}
