// Label matchers shared by the dashboards. Derived queues follow the topology contract:
// `<work>.dlq` and `<work>.retry.<label>` (runtime/src/topology); the same matchers as the alert
// rules in observability/prometheus/alerts.yml.

/** Work queues: neither dead-letter nor retry tiers. */
export const WORK_QUEUES = 'queue!~".*\\\\.(dlq|retry\\\\..*)"';
/** Dead-letter queues. */
export const DEAD_LETTER_QUEUES = 'queue=~".*\\\\.dlq"';
/** Publish outcomes that are failures (unroutable is counted on its own). */
export const PUBLISH_FAILURES = 'outcome=~"nacked|failed|timeout"';
/** Storage outcomes that are failures (not_found and conflict are answers, not errors). */
export const STORAGE_FAILURES = 'outcome=~"error|unreachable"';

/**
 * The share of `part` in `whole` (two counter selectors) per `by`, over 5 minutes. Where `part` has
 * no series for a group (nothing failed yet) the ratio is 0, not "no data": a healthy system shows
 * 0 %, and "no data" keeps meaning that nothing ran.
 */
export function ratio(part: string, whole: string, by: string): string {
  const total = `sum by (${by}) (rate(${whole}[5m]))`;
  return `(sum by (${by}) (rate(${part}[5m])) or ${total} * 0) / ${total}`;
}
