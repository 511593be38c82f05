import { DashboardBuilder, DashboardCursorSync, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DEAD_LETTER_QUEUES, PUBLISH_FAILURES, ratio, WORK_QUEUES } from "./queries.ts";
import { statPanel, timeseriesPanel } from "./panels.ts";

// aios_* come from @aios/runtime (runtime/src/messaging/metrics.ts); rabbitmq_* from RabbitMQ's
// Prometheus plugin: rabbitmq_queue_* per queue from /metrics/per-object (job `rabbitmq`), the rest
// from /metrics (job `rabbitmq-node`).

export const messagingOverview = new DashboardBuilder("AIOS — messaging")
  .uid("aios-messaging")
  .description(
    "Publish and consume rates by outcome, confirm latency, queue and dead-letter depth, consumers, broker.",
  )
  .tags(["aios", "rabbitmq"])
  .readonly()
  .tooltip(DashboardCursorSync.Crosshair)
  .time({ from: "now-1h", to: "now" })
  .refresh("30s")
  .withRow(new RowBuilder("Publishing"))
  .withPanel(
    timeseriesPanel({
      title: "Published per second, by outcome",
      unit: "ops",
      description: "confirmed, unroutable, nacked, failed, timeout — as the SDK's publisher saw them",
      queries: [
        {
          expr: "sum by (exchange, outcome) (rate(aios_messages_published_total[5m]))",
          legend: "{{exchange}} {{outcome}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Publish failure ratio and unroutable messages",
      unit: "percentunit",
      description: "Alerts PublishFailureRateHigh (> 1 %) and MessagesUnroutable (any)",
      queries: [
        {
          expr: ratio(
            `aios_messages_published_total{${PUBLISH_FAILURES}}`,
            "aios_messages_published_total",
            "exchange",
          ),
          legend: "{{exchange}} failed",
        },
        {
          expr: ratio(
            'aios_messages_published_total{outcome="unroutable"}',
            "aios_messages_published_total",
            "exchange",
          ),
          legend: "{{exchange}} unroutable",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Publish confirm latency p99",
      unit: "s",
      queries: [
        {
          expr: "histogram_quantile(0.99, sum by (le, exchange) (rate(aios_publish_confirm_seconds_bucket[5m])))",
          legend: "{{exchange}}",
        },
      ],
    }),
  )
  .withRow(new RowBuilder("Consuming"))
  .withPanel(
    timeseriesPanel({
      title: "Consumed per second, by outcome",
      unit: "ops",
      description: "ack, retry, dead-letter, requeue",
      queries: [
        {
          expr: "sum by (queue, outcome) (rate(aios_messages_consumed_total[5m]))",
          legend: "{{queue}} {{outcome}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Handler failure ratio",
      unit: "percentunit",
      description:
        "Share of consumed messages that did not end in an ack (alert HandlerFailureRateHigh, > 10 %)",
      queries: [
        {
          expr: ratio(
            'aios_messages_consumed_total{outcome!="ack"}',
            "aios_messages_consumed_total",
            "queue",
          ),
          legend: "{{queue}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Handler duration p95",
      unit: "s",
      queries: [
        {
          expr: "histogram_quantile(0.95, sum by (le, queue) (rate(aios_handler_duration_seconds_bucket[5m])))",
          legend: "{{queue}}",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Messages being handled",
      queries: [{ expr: "sum by (queue) (aios_messages_in_flight)", legend: "{{queue}}" }],
    }),
  )
  .withRow(new RowBuilder("Queues"))
  .withPanel(
    timeseriesPanel({
      title: "Work queue depth (ready / unacknowledged)",
      description: "Alerts QueueBacklogGrowing (ready > 1000 and growing) and QueueUnackedHigh (> 1000)",
      queries: [
        {
          expr: `sum by (vhost, queue) (rabbitmq_queue_messages_ready{${WORK_QUEUES}})`,
          legend: "{{vhost}}/{{queue}} ready",
        },
        {
          expr: `sum by (vhost, queue) (rabbitmq_queue_messages_unacked{${WORK_QUEUES}})`,
          legend: "{{vhost}}/{{queue}} unacked",
        },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Consumers per work queue",
      description: "0 with messages waiting: alert WorkQueueWithoutConsumers",
      queries: [
        {
          expr: `sum by (vhost, queue) (rabbitmq_queue_consumers{${WORK_QUEUES}})`,
          legend: "{{vhost}}/{{queue}}",
        },
      ],
    }),
  )
  .withPanel(
    statPanel({
      title: "Dead letters waiting",
      description: "Inspect and replay with `aios dlq list <agent>` (alert DeadLetterQueueGrowing)",
      span: 12,
      queries: [
        {
          expr: `sum by (vhost, queue) (rabbitmq_queue_messages{${DEAD_LETTER_QUEUES}})`,
          legend: "{{vhost}}/{{queue}}",
        },
      ],
    }),
  )
  .withRow(new RowBuilder("Broker"))
  .withPanel(
    timeseriesPanel({
      title: "Broker connections and channels",
      queries: [
        { expr: "sum(rabbitmq_connections)", legend: "connections" },
        { expr: "sum(rabbitmq_channels)", legend: "channels" },
      ],
    }),
  )
  .withPanel(
    timeseriesPanel({
      title: "Broker alarms (1 = publishers blocked)",
      queries: [
        { expr: "max by (instance) (rabbitmq_alarms_memory_used_watermark)", legend: "{{instance}} memory" },
        {
          expr: "max by (instance) (rabbitmq_alarms_free_disk_space_watermark)",
          legend: "{{instance}} disk",
        },
      ],
    }),
  );
