import { DashboardBuilder, DashboardCursorSync, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DEAD_LETTER_QUEUES, PUBLISH_FAILURES, STORAGE_FAILURES, WORK_QUEUES } from "./queries.ts";
import { statPanel, timeseriesPanel } from "./panels.ts";

// The first dashboard an operator opens: is everything up, is anything failing, where is work
// piling up. Each row links to the detail in the Messaging, Storage and Agents dashboards.

export const systemOverview = new DashboardBuilder("AIOS — system overview")
  .uid("aios-overview")
  .description(
    "Services up, health checks, queues, message rates, dead letters, error rates, storage, agents.",
  )
  .tags(["aios", "overview"])
  .readonly()
  .tooltip(DashboardCursorSync.Crosshair)
  .time({ from: "now-1h", to: "now" })
  .refresh("30s")
  .withRow(new RowBuilder("Services"))
  .withPanel(
    statPanel({
      title: "Scrape targets up, by job",
      description: "Targets answering Prometheus, per job (rabbitmq, prometheus, alertmanager, aios agents…)",
      queries: [{ expr: "sum by (job) (up)", legend: "{{job}}" }],
    }),
  )
  .withPanel(
    statPanel({
      title: "Scrape targets down",
      description: "Anything above 0: see Prometheus' /targets (alert ScrapeTargetDown)",
      queries: [{ expr: "count(up == 0) or vector(0)", legend: "down" }],
    }),
  )
  .withPanel(
    statPanel({
      title: "Alerts firing",
      description: "Alerts Prometheus is sending to Alertmanager right now, by severity",
      queries: [
        {
          expr: 'count by (severity) (ALERTS{alertstate="firing"}) or label_replace(vector(0), "severity", "none", "", "")',
          legend: "{{severity}}",
        },
      ],
    }),
  )
  .withPanel(
    statPanel({
      title: "Broker alarms",
      description:
        "1 = raised: the broker blocks every publisher (alerts RabbitMQMemoryAlarm, RabbitMQDiskAlarm)",
      queries: [
        { expr: "max(rabbitmq_alarms_memory_used_watermark)", legend: "memory" },
        { expr: "max(rabbitmq_alarms_free_disk_space_watermark)", legend: "disk" },
      ],
    }),
  )
  .withRow(new RowBuilder("Health checks"))
  .withPanel(
    timeseriesPanel({
      title: "Health check status (1 pass, 0.5 warn, 0 fail)",
      description: "The worst result per check across processes (aios_health_check_status)",
      span: 18,
      queries: [
        { expr: "min by (check, component) (aios_health_check_status)", legend: "{{component}} {{check}}" },
      ],
    }),
  )
  .withPanel(
    statPanel({
      title: "Checks failing",
      queries: [{ expr: "count(aios_health_check_status == 0) or vector(0)", legend: "failing" }],
    }),
  )
  .withRow(new RowBuilder("Messaging"))
  .withPanel(
    timeseriesPanel({
      title: "Messages per second",
      unit: "ops",
      span: 8,
      queries: [
        { expr: "sum(rate(aios_messages_published_total[5m]))", legend: "published" },
        { expr: "sum(rate(aios_messages_consumed_total[5m]))", legend: "consumed" },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Deepest work queues (ready)",
      description: "Ten work queues with the most messages waiting (alert QueueBacklogGrowing)",
      span: 8,
      queries: [
        {
          expr: `topk(10, sum by (vhost, queue) (rabbitmq_queue_messages_ready{${WORK_QUEUES}}))`,
          legend: "{{vhost}}/{{queue}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Dead letters waiting",
      description:
        "Largest dead-letter queues; `aios dlq list <agent>` shows why (alert DeadLetterQueueGrowing)",
      span: 8,
      queries: [
        {
          expr: `topk(10, sum by (vhost, queue) (rabbitmq_queue_messages{${DEAD_LETTER_QUEUES}}))`,
          legend: "{{vhost}}/{{queue}}",
        },
      ],
    }),
  )
  .withRow(new RowBuilder("Errors"))
  .withPanel(
    timeseriesPanel({
      title: "Error ratios",
      description:
        "Failed publishes, messages not acknowledged by their handler, failed storage operations (0 when nothing failed, no data when nothing ran)",
      unit: "percentunit",
      span: 24,
      queries: [
        {
          expr: `(sum(rate(aios_messages_published_total{${PUBLISH_FAILURES}}[5m])) or vector(0)) / sum(rate(aios_messages_published_total[5m]))`,
          legend: "publish",
        },
        {
          expr: '(sum(rate(aios_messages_consumed_total{outcome!="ack"}[5m])) or vector(0)) / sum(rate(aios_messages_consumed_total[5m]))',
          legend: "handler",
        },
        {
          expr: `(sum(rate(aios_storage_operations_total{${STORAGE_FAILURES}}[5m])) or vector(0)) / sum(rate(aios_storage_operations_total[5m]))`,
          legend: "storage",
        },
      ],
    }),
  )
  .withRow(new RowBuilder("Storage"))
  .withPanel(
    timeseriesPanel({
      title: "Storage operations per second, by outcome",
      unit: "ops",
      queries: [
        { expr: "sum by (outcome) (rate(aios_storage_operations_total[5m]))", legend: "{{outcome}}" },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Storage latency p99, by operation",
      unit: "s",
      queries: [
        {
          expr: "histogram_quantile(0.99, sum by (le, operation) (rate(aios_storage_operation_duration_seconds_bucket[5m])))",
          legend: "{{operation}}",
        },
      ],
    }),
  )
  .withRow(new RowBuilder("Agents"))
  .withPanel(
    statPanel({
      title: "Agents up / down",
      description: "Agents whose /metrics Prometheus scrapes (job aios; alert AgentDown)",
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
      span: 18,
      queries: [{ expr: "sum by (agent) (rate(aios_messages_consumed_total[5m]))", legend: "{{agent}}" }],
    }),
  );
