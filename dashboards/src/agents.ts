import { DashboardBuilder, DashboardCursorSync } from "@grafana/grafana-foundation-sdk/dashboard";
import { statPanel, timeseriesPanel } from "./panels.ts";

// Node's default metrics (prom-client collectDefaultMetrics) on each agent's /metrics, labelled
// `agent` by createMetricsRegistry({ agent }), scraped by the `aios` job.

export const agentsHealth = new DashboardBuilder("AIOS — agents")
  .uid("aios-agents")
  .description("Are the agents up, and how are their processes doing.")
  .tags(["aios", "agents"])
  .readonly()
  .tooltip(DashboardCursorSync.Crosshair)
  .time({ from: "now-1h", to: "now" })
  .refresh("30s")
  .withPanel(
    statPanel({
      title: "Agent endpoints up / down",
      span: 12,
      queries: [
        { expr: 'sum(up{job="aios"})', legend: "up" },
        { expr: 'count(up{job="aios"} == 0) or vector(0)', legend: "down" },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Messages handled per second, by agent",
      unit: "ops",
      queries: [{ expr: "sum by (agent) (rate(aios_messages_consumed_total[5m]))", legend: "{{agent}}" }],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Resident memory",
      unit: "bytes",
      queries: [
        {
          expr: 'sum by (agent, instance) (process_resident_memory_bytes{job="aios"})',
          legend: "{{agent}} {{instance}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Event loop lag p99",
      unit: "s",
      queries: [
        {
          expr: 'max by (agent, instance) (nodejs_eventloop_lag_p99_seconds{job="aios"})',
          legend: "{{agent}} {{instance}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "CPU",
      unit: "percentunit",
      queries: [
        {
          expr: 'sum by (agent, instance) (rate(process_cpu_seconds_total{job="aios"}[5m]))',
          legend: "{{agent}} {{instance}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Heap used",
      unit: "bytes",
      queries: [
        {
          expr: 'sum by (agent, instance) (nodejs_heap_size_used_bytes{job="aios"})',
          legend: "{{agent}} {{instance}}",
        },
      ],
    }),
  );
