import { DashboardBuilder, DashboardCursorSync, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { ratio, STORAGE_FAILURES } from "./queries.ts";
import { timeseriesPanel } from "./panels.ts";

// The SDK's own storage and workspace metrics (@aios/runtime: ObjectStore and WorkspaceStore record
// them into the process registry), so the dashboard has data on any S3 server — Ceph RGW locally,
// MinIO in a stack, a cloud provider in production — without the server's cooperation.

export const storageOverview = new DashboardBuilder("AIOS — storage and workspaces")
  .uid("aios-storage")
  .description(
    "S3 operations by outcome, errors, latency, bytes and retries as the agents see them; workspace operations, conflicts and syncs.",
  )
  .tags(["aios", "s3", "workspaces"])
  .readonly()
  .tooltip(DashboardCursorSync.Crosshair)
  .time({ from: "now-1h", to: "now" })
  .refresh("30s")
  .withRow(new RowBuilder("Object storage"))
  .withPanel(
    timeseriesPanel({
      title: "Operations per second, by operation and outcome",
      unit: "ops",
      description: "outcome: ok, not_found, conflict (precondition failed), error, unreachable",
      queries: [
        {
          expr: "sum by (operation, outcome) (rate(aios_storage_operations_total[5m]))",
          legend: "{{operation}} {{outcome}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Failure ratio, by bucket",
      unit: "percentunit",
      description: "error and unreachable outcomes (alerts StorageErrorRateHigh, StorageUnreachable)",
      queries: [
        {
          expr: ratio(
            `aios_storage_operations_total{${STORAGE_FAILURES}}`,
            "aios_storage_operations_total",
            "bucket",
          ),
          legend: "{{bucket}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Latency p50 / p99, by operation",
      unit: "s",
      description: "Alert StorageLatencyHigh: p99 above 2 s",
      queries: [
        {
          expr: "histogram_quantile(0.5, sum by (le, operation) (rate(aios_storage_operation_duration_seconds_bucket[5m])))",
          legend: "{{operation}} p50",
        },
        {
          expr: "histogram_quantile(0.99, sum by (le, operation) (rate(aios_storage_operation_duration_seconds_bucket[5m])))",
          legend: "{{operation}} p99",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Bytes per second, by operation",
      unit: "Bps",
      queries: [{ expr: "sum by (operation) (rate(aios_storage_bytes_total[5m]))", legend: "{{operation}}" }],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Retries per second, by operation and bucket",
      unit: "ops",
      description: "Requests the SDK retried after a transient failure; rising retries come before errors",
      queries: [
        {
          expr: "sum by (operation, bucket) (rate(aios_storage_retries_total[5m]))",
          legend: "{{operation}} {{bucket}}",
        },
      ],
    }),
  )
  .withRow(new RowBuilder("Workspaces"))
  .withPanel(
    timeseriesPanel({
      title: "Workspace operations per second, by operation and outcome",
      unit: "ops",
      queries: [
        {
          expr: "sum by (operation, outcome) (rate(aios_workspace_operations_total[5m]))",
          legend: "{{operation}} {{outcome}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Commit conflicts per second",
      unit: "ops",
      description: "Two writers committed to the same workspace at once; one retried or gave up",
      queries: [{ expr: "sum(rate(aios_workspace_conflicts_total[5m]))", legend: "conflicts" }],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Files synced per second, by action",
      unit: "ops",
      queries: [
        { expr: "sum by (action) (rate(aios_workspace_sync_files_total[5m]))", legend: "{{action}}" },
      ],
    }),
  );
