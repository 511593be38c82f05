export { formatDuration, parseDuration } from "./durations.ts";
export {
  TopologyBrokerError,
  type TopologyMismatch,
  TopologyMismatchError,
  TopologyRefusedError,
  TopologySpecError,
  TopologyVhostConflictError,
} from "./errors.ts";
export { amqpUrlForVhost, vhostOfAmqpUrl } from "./broker-url.ts";
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
export { type TopologySpec, TopologySpecSchema } from "./spec-schema.ts";
export { topicMatches } from "./topic-match.ts";
export { type SpecIssue, validateTopology } from "./validate.ts";
export { type ApplySummary, type ApplyTopologyOptions, applyTopology } from "./apply.ts";
export { diffTopology, type LiveTopology, type TopologyDrift } from "./diff.ts";
export { fetchLiveTopology, type VerifyTopologyOptions, verifyTopology } from "./verify.ts";
export { renderTopologyDocs } from "./docs.ts";
export { agentTopology, UnknownAgentTypeError } from "./agent-view.ts";
