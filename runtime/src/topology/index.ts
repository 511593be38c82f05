// The topology room's public entry: load and resolve the topology spec, apply it, and read an
// agent's view of it, and check the broker still matches it. Docs rendering, the drift diff,
// duration parsing and the zod schema serve the CLI; they are imported by relative path inside
// the runtime.
export {
  TopologyBrokerError,
  TopologyError,
  type TopologyErrorCode,
  type TopologyMismatch,
  TopologyMismatchError,
  TopologyRefusedError,
  TopologySpecError,
  TopologyVhostConflictError,
} from "./errors.ts";
export { loadTopologySpec, type ParseTopologyOptions, parseTopologySpec } from "./load-spec.ts";
export type {
  ArgumentValue,
  Arguments,
  BindingDeclaration,
  ExchangeDeclaration,
  QueueDeclaration,
  ResolvedTopology,
  RetryTier,
  TopologyOverrides,
  WorkQueuePlan,
} from "./model.ts";
export { findWorkQueue, resolveTopology } from "./resolve.ts";
export type { TopologySpec } from "./spec-schema.ts";
export { type ApplySummary, type ApplyTopologyOptions, applyTopology } from "./apply.ts";
export { agentTopology, UnknownAgentTypeError } from "./agent-view.ts";
export type { LiveTopology, TopologyDrift } from "./diff.ts";
export { type VerifyTopologyOptions, verifyTopology } from "./verify.ts";
