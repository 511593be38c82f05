export { BoundedLabel, OTHER_LABEL } from "./bounded-label.ts";
export { createMetricsRegistry, processRegistry, renderMetrics } from "./registry.ts";
export { registerScrapeTarget, type ScrapeTargetOptions } from "./scrape-target.ts";
