import type { DashboardSpec } from "./grafana.ts";

// Metric names: aios_* come from @aios/runtime (runtime/src/messaging/metrics.ts); rabbitmq_* from
// RabbitMQ's Prometheus plugin (per-object endpoint).

export const messagingOverview: DashboardSpec = {
  uid: "aios-messaging",
  title: "AIOS — messaging",
  tags: ["aios", "rabbitmq"],
  panels: [
    {
      title: "Published per second, by outcome",
      kind: "timeseries",
      unit: "ops",
      queries: [
        { expr: "sum by (outcome) (rate(aios_messages_published_total[5m]))", legend: "{{outcome}}" },
      ],
    },
    {
      title: "Consumed per second, by outcome",
      kind: "timeseries",
      unit: "ops",
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
      title: "Messages waiting in work queues",
      kind: "timeseries",
      queries: [
        {
          expr: 'sum by (queue) (rabbitmq_queue_messages_ready{queue!~".*\\\\.(dlq|retry\\\\..*)"})',
          legend: "{{queue}}",
        },
      ],
    },
    {
      title: "Dead letters",
      kind: "stat",
      queries: [
        { expr: 'sum by (queue) (rabbitmq_queue_messages{queue=~".*\\\\.dlq"})', legend: "{{queue}}" },
      ],
    },
    {
      title: "Messages being handled",
      kind: "timeseries",
      queries: [{ expr: "sum by (queue) (aios_messages_in_flight)", legend: "{{queue}}" }],
    },
    {
      title: "Broker connections",
      kind: "stat",
      queries: [{ expr: "sum(rabbitmq_connections)", legend: "connections" }],
    },
  ],
};

export const agentsHealth: DashboardSpec = {
  uid: "aios-agents",
  title: "AIOS — agents",
  tags: ["aios", "agents"],
  panels: [
    { title: "Agent endpoints up", kind: "stat", queries: [{ expr: 'sum(up{job="aios"})', legend: "up" }] },
    {
      title: "Resident memory by agent",
      kind: "timeseries",
      unit: "bytes",
      queries: [{ expr: "sum by (agent) (process_resident_memory_bytes)", legend: "{{agent}}" }],
    },
    {
      title: "Event loop lag p99 by agent",
      kind: "timeseries",
      unit: "s",
      queries: [{ expr: "max by (agent) (nodejs_eventloop_lag_p99_seconds)", legend: "{{agent}}" }],
    },
    {
      title: "CPU by agent",
      kind: "timeseries",
      unit: "percentunit",
      queries: [{ expr: "sum by (agent) (rate(process_cpu_seconds_total[5m]))", legend: "{{agent}}" }],
    },
  ],
};

export const allDashboards: readonly DashboardSpec[] = [messagingOverview, agentsHealth];
