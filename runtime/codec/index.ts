/**
 * The support library of generated code: the codec error, schema types, primitive wire helpers, bounds and
 * value checks, and feature-word helpers. Generated files import it as `../../runtime/codec/index.js`.
 *
 * @module
 */
export { CodecError, type CodecErrorDetail, type CodecErrorReason } from "./errors.js";
export type { ArraySchema, CodecOptions, FieldSchema, StructCodec, StructSchema, WireType } from "./schema.js";
export {
  bytesOf,
  readBe16,
  readBe32,
  readBe64,
  readLe16,
  readLe32,
  readLe64,
  readLe128,
  viewOf,
  writeBe16,
  writeBe32,
  writeBe64,
  writeLe16,
  writeLe32,
  writeLe64,
  writeLe128,
} from "./wire.js";
export { arrayError, bytesError, countBytes, countMismatch, fits, isUintN, lengthError, spanError, valueError } from "./check.js";
export { emptyPayload, rawPayload, type PayloadCodec } from "./payload.js";
export { commandByCode, decodeCommand, type CommandEntry, type CommandTable, type DecodedCommand } from "./commands.js";
export {
  clearFeatureBit,
  featureWindow,
  hasFeatureBit,
  setFeatureBit,
  windowHasFeatureBit,
  withFeatureWindow,
} from "./features.js";
