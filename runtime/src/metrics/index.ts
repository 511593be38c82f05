export { createMetricsRegistry, renderMetrics } from "./registry.ts";
export { registerScrapeTarget, type ScrapeTargetOptions } from "./scrape-target.ts";
