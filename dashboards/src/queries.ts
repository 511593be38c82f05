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
