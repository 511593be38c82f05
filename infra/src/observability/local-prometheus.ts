import { renderPrometheusConfig } from "./prometheus-config.ts";
import { type ObservabilitySettings, retentionFlags } from "./settings.ts";

// The files scripts/services.sh runs the local Prometheus with, generated from the `local` profile
// of config/observability.yaml and committed in observability/prometheus/ (services.sh is bash and
// reads them as they are). services.sh substitutes @TARGETS_DIR@ and overridden ports.

/** The placeholder scripts/services.sh replaces with the file_sd directory agents register in. */
export const TARGETS_DIR_PLACEHOLDER = "@TARGETS_DIR@";

/**
 * observability/prometheus/prometheus.yml and retention.flags, keyed by file name.
 * @throws {ObservabilityConfigError} when the local profile does not fit the jobs.
 */
export function localPrometheusFiles(settings: ObservabilitySettings): Record<string, string> {
  const profile = settings.prometheus.local;
  const generated =
    "Generated from config/observability.yaml (profile `local`) by `npm run observability -w @aios/infra`; do not edit.";
  return {
    "prometheus.yml": renderPrometheusConfig({
      profileName: "local",
      profile,
      targets: {
        prometheus: "127.0.0.1:9090",
        rabbitmqPlugin: "127.0.0.1:15692",
        alertmanager: "127.0.0.1:9093",
        agents: { files: [`${TARGETS_DIR_PLACEHOLDER}/*.json`] },
      },
      ruleFiles: ["alerts.yml"],
      header: [
        generated,
        "The local Prometheus of scripts/services.sh; @TARGETS_DIR@ becomes the directory where agents",
        "register their /metrics endpoints as file_sd JSON files (runtime/src/metrics/scrape-target.ts).",
      ],
    }),
    "retention.flags": [`# ${generated}`, ...retentionFlags(profile), ""].join("\n"),
  };
}
