import type { DashboardSpec } from "./grafana.ts";

// MinIO's own metrics (v2): /minio/v2/metrics/cluster (job `minio`) and /minio/v2/metrics/bucket
// (job `minio-buckets`), scraped by the stack's Prometheus. The SDK does not export storage
// metrics yet, so this dashboard is the server's view of the workspaces and artifacts.

export const storageOverview: DashboardSpec = {
  uid: "aios-storage",
  title: "AIOS — storage and workspaces",
  description: "S3 operations, bytes, errors and latency; bucket sizes and versions (MinIO metrics).",
  tags: ["aios", "s3", "minio"],
  panels: [
    {
      title: "S3 requests per second, by API",
      kind: "timeseries",
      unit: "reqps",
      queries: [{ expr: "sum by (api) (rate(minio_s3_requests_total[5m]))", legend: "{{api}}" }],
    },
    {
      title: "S3 errors per second (4xx / 5xx)",
      kind: "timeseries",
      unit: "reqps",
      description: "4xx includes the 412s of workspace compare-and-swap conflicts",
      queries: [
        { expr: "sum by (api) (rate(minio_s3_requests_4xx_errors_total[5m]))", legend: "{{api}} 4xx" },
        { expr: "sum by (api) (rate(minio_s3_requests_5xx_errors_total[5m]))", legend: "{{api}} 5xx" },
      ],
    },
    {
      title: "S3 bytes per second (in / out)",
      kind: "timeseries",
      unit: "Bps",
      queries: [
        { expr: "sum(rate(minio_s3_traffic_received_bytes[5m]))", legend: "received" },
        { expr: "sum(rate(minio_s3_traffic_sent_bytes[5m]))", legend: "sent" },
      ],
    },
    {
      title: "Time to first byte p99, by API",
      kind: "timeseries",
      unit: "s",
      queries: [
        {
          expr: "histogram_quantile(0.99, sum by (le, api) (rate(minio_s3_requests_ttfb_seconds_distribution[5m])))",
          legend: "{{api}}",
        },
      ],
    },
    {
      title: "Bucket size",
      kind: "timeseries",
      unit: "bytes",
      queries: [{ expr: "max by (bucket) (minio_bucket_usage_total_bytes)", legend: "{{bucket}}" }],
    },
    {
      title: "Objects and versions per bucket",
      kind: "timeseries",
      description:
        "Versions far above objects mean noncurrent versions are piling up (check the lifecycle rules)",
      queries: [
        { expr: "max by (bucket) (minio_bucket_usage_object_total)", legend: "{{bucket}} objects" },
        { expr: "max by (bucket) (minio_bucket_usage_version_total)", legend: "{{bucket}} versions" },
      ],
    },
    {
      title: "Bucket traffic (in / out)",
      kind: "timeseries",
      unit: "Bps",
      queries: [
        { expr: "sum by (bucket) (rate(minio_bucket_traffic_received_bytes[5m]))", legend: "{{bucket}} in" },
        { expr: "sum by (bucket) (rate(minio_bucket_traffic_sent_bytes[5m]))", legend: "{{bucket}} out" },
      ],
    },
    {
      title: "Requests in flight",
      kind: "stat",
      queries: [{ expr: "sum(minio_s3_requests_inflight_total)", legend: "in flight" }],
    },
  ],
};
