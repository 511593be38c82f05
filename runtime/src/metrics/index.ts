// The metrics room's public entry: the registry the SDK's own metrics live in, and how to serve
// and announce it, and `BoundedLabel`, the guard on label cardinality the rooms' metrics use (and
// an agent's own metrics with caller-supplied label values should).
export { BoundedLabel, OTHER_LABEL } from "./bounded-label.ts";
export { createMetricsRegistry, processRegistry, renderMetrics } from "./registry.ts";
export { registerScrapeTarget, type ScrapeTargetOptions } from "./scrape-target.ts";
