import type { DashboardSpec } from "./grafana.ts";

// Node's default metrics (prom-client collectDefaultMetrics) on each agent's /metrics, labelled
// `agent` by createMetricsRegistry({ agent }), scraped by the `aios` job.

export const agentsHealth: DashboardSpec = {
  uid: "aios-agents",
  title: "AIOS — agents",
  description: "Are the agents up, and how are their processes doing.",
  tags: ["aios", "agents"],
  panels: [
    {
      title: "Agent endpoints up",
      kind: "stat",
      queries: [
        { expr: 'sum(up{job="aios"})', legend: "up" },
        { expr: 'count(up{job="aios"} == 0)', legend: "down" },
      ],
    },
    {
      title: "Messages handled per second, by agent",
      kind: "timeseries",
      unit: "ops",
      queries: [{ expr: "sum by (agent) (rate(aios_messages_consumed_total[5m]))", legend: "{{agent}}" }],
    },
    {
      title: "Resident memory",
      kind: "timeseries",
      unit: "bytes",
      queries: [
        {
          expr: 'sum by (agent, instance) (process_resident_memory_bytes{job="aios"})',
          legend: "{{agent}} {{instance}}",
        },
      ],
    },
    {
      title: "Event loop lag p99",
      kind: "timeseries",
      unit: "s",
      queries: [
        {
          expr: 'max by (agent, instance) (nodejs_eventloop_lag_p99_seconds{job="aios"})',
          legend: "{{agent}} {{instance}}",
        },
      ],
    },
    {
      title: "CPU",
      kind: "timeseries",
      unit: "percentunit",
      queries: [
        {
          expr: 'sum by (agent, instance) (rate(process_cpu_seconds_total{job="aios"}[5m]))',
          legend: "{{agent}} {{instance}}",
        },
      ],
    },
    {
      title: "Heap used",
      kind: "timeseries",
      unit: "bytes",
      queries: [
        {
          expr: 'sum by (agent, instance) (nodejs_heap_size_used_bytes{job="aios"})',
          legend: "{{agent}} {{instance}}",
        },
      ],
    },
  ],
};
