/**
 * Messages between the playground page and its Web Worker (all analysis runs in the worker, so typing in the
 * page never waits for it).
 *
 * @module
 */
import type { AnalyseRequest, AnalyseResult, CompareWith } from "./analyse.js";

/** Page → worker. `id` pairs a reply with its request; a newer request makes older replies stale. */
export type ToWorker = { id: number; type: "analyse"; request: AnalyseRequest; trees: string[]; device?: string; compare?: CompareWith };

/** Worker → page. */
export type FromWorker =
  | { id: number; type: "result"; result: AnalyseResult; ms: number }
  | { id: number; type: "error"; message: string };
