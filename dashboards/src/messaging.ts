import type { DashboardSpec } from "./grafana.ts";

// aios_* come from @aios/runtime (runtime/src/messaging/metrics.ts); rabbitmq_* from RabbitMQ's
// Prometheus plugin, per-object endpoint (/metrics/per-object, the `rabbitmq` scrape job).
// Derived queues follow the topology contract: `<work>.dlq` and `<work>.retry.<label>`.
const WORK_QUEUES = 'queue!~".*\\\\.(dlq|retry\\\\..*)"';
const DEAD_LETTER_QUEUES = 'queue=~".*\\\\.dlq"';

export const messagingOverview: DashboardSpec = {
  uid: "aios-messaging",
  title: "AIOS — messaging",
  description:
    "Publish and consume rates by outcome, confirm latency, queue and dead-letter depth, connections.",
  tags: ["aios", "rabbitmq"],
  panels: [
    {
      title: "Published per second, by outcome",
      kind: "timeseries",
      unit: "ops",
      description: "confirmed, unroutable, nacked, failed, timeout — as the SDK's publisher saw them",
      queries: [
        {
          expr: "sum by (exchange, outcome) (rate(aios_messages_published_total[5m]))",
          legend: "{{exchange}} {{outcome}}",
        },
      ],
    },
    {
      title: "Consumed per second, by outcome",
      kind: "timeseries",
      unit: "ops",
      description: "ack, retry, dead-letter, requeue",
      queries: [
        {
          expr: "sum by (queue, outcome) (rate(aios_messages_consumed_total[5m]))",
          legend: "{{queue}} {{outcome}}",
        },
      ],
    },
    {
      title: "Publish confirm latency p99",
      kind: "timeseries",
      unit: "s",
      queries: [
        {
          expr: "histogram_quantile(0.99, sum by (le, exchange) (rate(aios_publish_confirm_seconds_bucket[5m])))",
          legend: "{{exchange}}",
        },
      ],
    },
    {
      title: "Handler duration p95",
      kind: "timeseries",
      unit: "s",
      queries: [
        {
          expr: "histogram_quantile(0.95, sum by (le, queue) (rate(aios_handler_duration_seconds_bucket[5m])))",
          legend: "{{queue}}",
        },
      ],
    },
    {
      title: "Work queue depth (ready / unacknowledged)",
      kind: "timeseries",
      queries: [
        {
          expr: `sum by (vhost, queue) (rabbitmq_queue_messages_ready{${WORK_QUEUES}})`,
          legend: "{{queue}} ready",
        },
        {
          expr: `sum by (vhost, queue) (rabbitmq_queue_messages_unacked{${WORK_QUEUES}})`,
          legend: "{{queue}} unacked",
        },
      ],
    },
    {
      title: "Dead letters waiting",
      kind: "stat",
      description: "Inspect and replay with `aios dlq list <agent>`",
      queries: [
        {
          expr: `sum by (vhost, queue) (rabbitmq_queue_messages{${DEAD_LETTER_QUEUES}})`,
          legend: "{{queue}}",
        },
      ],
    },
    {
      title: "Messages being handled",
      kind: "timeseries",
      queries: [{ expr: "sum by (queue) (aios_messages_in_flight)", legend: "{{queue}}" }],
    },
    {
      title: "Consumers per work queue",
      kind: "timeseries",
      queries: [
        { expr: `sum by (vhost, queue) (rabbitmq_queue_consumers{${WORK_QUEUES}})`, legend: "{{queue}}" },
      ],
    },
    {
      title: "Broker connections and channels",
      kind: "timeseries",
      queries: [
        { expr: "sum(rabbitmq_connections)", legend: "connections" },
        { expr: "sum(rabbitmq_channels)", legend: "channels" },
      ],
    },
    {
      title: "Handler failure ratio",
      kind: "timeseries",
      unit: "percentunit",
      description: "Share of consumed messages that did not end in an ack",
      queries: [
        {
          expr: 'sum by (queue) (rate(aios_messages_consumed_total{outcome!="ack"}[5m])) / sum by (queue) (rate(aios_messages_consumed_total[5m]))',
          legend: "{{queue}}",
        },
      ],
    },
  ],
};
