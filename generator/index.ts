/**
 * The code generator: IR → TypeScript (constants, wire codecs, views, events, control framing, device
 * skeletons). See `generate.ts` for the entry point.
 *
 * @module
 */
export { GeneratedSyntaxError, generateFolder, type GeneratedFile, type GenerateOptions, type GenerateResult } from "./generate.js";
export { readManifest, type ManifestSpec } from "./manifest.js";
export { GeneratorError, type GeneratorErrorReason } from "./plan/context.js";
export { planSpec, type SelectOptions, type SpecPlan } from "./plan/index.js";
export type { ConstantsPlan, FeatureGroupPlan, GroupPlan, MemberPlan } from "./plan/constants.js";
export type { CommandPlan, ControlPlan } from "./plan/control.js";
export type { EventMemberPlan, EventsPlan } from "./plan/events.js";
export type { FieldPlan, FramingPlan, PlannedStruct, StructPlan } from "./plan/structs.js";
export type { RequirementMatch } from "./plan/requirements.js";
export { writeFolder, type WriteReport } from "./write.js";
export { GENERATED_FILE_NAMES } from "./emit/files.js";
export { COMMON_FOLDER, generateTree, type TreeFolder, type TreeOptions } from "./tree.js";
