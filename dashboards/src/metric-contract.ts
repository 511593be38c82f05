// The aios_* metrics the dashboards and alert rules may use, beyond the messaging metrics defined in
// runtime/src/messaging/metrics.ts: the storage, workspace and health-check metrics of issue 11,
// with these exact names and labels, which the SDK's storage, workspace and health modules record
// (being added on other branches while this one was written). The tests check every aios_* name a
// panel queries against runtime/src/messaging/metrics.ts plus this list, and the end-to-end test
// serves these series to Prometheus from a stand-in registry until the SDK objects record them.

/** Metric name → its label names (histograms without the `le` label and suffixes). */
export const SDK_METRIC_CONTRACT = {
  aios_storage_operations_total: ["operation", "bucket", "outcome"],
  aios_storage_operation_duration_seconds: ["operation", "bucket"],
  aios_storage_bytes_total: ["operation", "bucket"],
  aios_storage_retries_total: ["operation", "bucket"],
  aios_workspace_operations_total: ["operation", "outcome"],
  aios_workspace_conflicts_total: [],
  aios_workspace_sync_files_total: ["action"],
  aios_health_check_status: ["check", "component"],
} as const satisfies Record<string, readonly string[]>;
