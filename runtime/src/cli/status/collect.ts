import type { ResolvedTopology } from "../../topology/index.ts";

/** One service or agent as the status page shows it (health+json's words). */
export interface ServiceStatus {
  readonly name: string;
  readonly kind: "service" | "agent";
  readonly status: "pass" | "warn" | "fail";
  /** What failed, or how it was checked. */
  readonly output?: string;
  /** Where a person goes to look (a UI, a health endpoint). */
  readonly url?: string;
}

export interface QueueStatus {
  readonly name: string;
  readonly role: "work" | "retry" | "dead-letter" | "other";
  readonly ready: number;
  readonly unacked: number;
  readonly consumers: number;
}

export interface FiringAlert {
  readonly name: string;
  readonly severity: string;
  readonly summary: string;
  readonly since: string;
}

export interface StatusLinks {
  readonly rabbitmq: string;
  readonly prometheus: string;
  readonly alertmanager?: string | undefined;
  readonly grafana?: string | undefined;
}

/** Everything the status page shows at one moment; a section that could not be read says why. */
export interface StatusSnapshot {
  readonly time: string;
  readonly vhost: string;
  readonly services: readonly ServiceStatus[];
  readonly queues: readonly QueueStatus[];
  readonly alerts: readonly FiringAlert[];
  readonly links: StatusLinks;
  /** Per section, why it could not be read (the page shows it instead of stale numbers). */
  readonly errors: Readonly<Record<string, string>>;
}

export interface StatusSources {
  readonly topology: ResolvedTopology;
  /** Management API with credentials, e.g. http://guest:guest@127.0.0.1:15672 */
  readonly rabbitmqApiUrl: string;
  readonly prometheusUrl: string;
  readonly alertmanagerUrl?: string | undefined;
  readonly grafanaUrl?: string | undefined;
  /** The environment's services and agents with their health (`aios health`'s checks). */
  readonly services: (signal: AbortSignal) => Promise<readonly ServiceStatus[]>;
  /** Each source gets this long. Default 3 s. */
  readonly timeoutMs?: number;
}

/** Reads every section at once; a failing source leaves its section empty with the reason. */
export async function collectStatus(sources: StatusSources): Promise<StatusSnapshot> {
  const signal = AbortSignal.timeout(sources.timeoutMs ?? 3000);
  const errors: Record<string, string> = {};
  const settle = async <T>(section: string, read: () => Promise<T>, empty: T): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      errors[section] = error instanceof Error ? error.message : String(error);
      return empty;
    }
  };
  const [services, queues, alerts] = await Promise.all([
    settle("services", () => sources.services(signal), []),
    settle("queues", () => readQueues(sources, signal), []),
    settle("alerts", () => readAlerts(sources, signal), []),
  ]);
  return {
    time: new Date().toISOString(),
    vhost: sources.topology.vhost,
    services,
    queues,
    alerts,
    links: {
      rabbitmq: withoutCredentials(sources.rabbitmqApiUrl),
      prometheus: sources.prometheusUrl,
      alertmanager: sources.alertmanagerUrl,
      grafana: sources.grafanaUrl,
    },
    errors,
  };
}

interface ManagementQueue {
  readonly name: string;
  readonly messages_ready?: number;
  readonly messages_unacknowledged?: number;
  readonly consumers?: number;
}

async function readQueues(sources: StatusSources, signal: AbortSignal): Promise<QueueStatus[]> {
  const url = new URL(sources.rabbitmqApiUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
  const base = withoutCredentials(sources.rabbitmqApiUrl);
  const columns = "name,messages_ready,messages_unacknowledged,consumers";
  const live = (await getJson(
    `${base}/api/queues/${encodeURIComponent(sources.topology.vhost)}?columns=${columns}`,
    signal,
    { authorization },
  )) as ManagementQueue[];
  const roles = new Map(sources.topology.queues.map((queue) => [queue.name, queue.role]));
  return live
    .map((queue) => ({
      name: queue.name,
      role: roles.get(queue.name) ?? ("other" as const),
      ready: queue.messages_ready ?? 0,
      unacked: queue.messages_unacknowledged ?? 0,
      consumers: queue.consumers ?? 0,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

interface AlertmanagerAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly startsAt: string;
}

interface PrometheusAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly state: string;
  readonly activeAt: string;
}

/** Firing alerts from Alertmanager (what reaches people), else from Prometheus' own view. */
async function readAlerts(sources: StatusSources, signal: AbortSignal): Promise<FiringAlert[]> {
  if (sources.alertmanagerUrl) {
    const alerts = (await getJson(
      `${sources.alertmanagerUrl.replace(/\/$/, "")}/api/v2/alerts?active=true&silenced=false&inhibited=false`,
      signal,
    )) as AlertmanagerAlert[];
    return alerts.map((alert) => firing(alert.labels, alert.annotations, alert.startsAt));
  }
  const body = (await getJson(`${sources.prometheusUrl.replace(/\/$/, "")}/api/v1/alerts`, signal)) as {
    data: { alerts: PrometheusAlert[] };
  };
  return body.data.alerts
    .filter((alert) => alert.state === "firing")
    .map((alert) => firing(alert.labels, alert.annotations, alert.activeAt));
}

function firing(
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>> | undefined,
  since: string,
): FiringAlert {
  return {
    name: labels.alertname ?? "unnamed",
    severity: labels.severity ?? "none",
    summary: annotations?.summary ?? "",
    since,
  };
}

async function getJson(
  url: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const response = await fetch(url, { signal, headers });
  if (!response.ok) throw new Error(`${withoutCredentials(url)} answered ${response.status}`);
  return response.json();
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.toString().replace(/\/$/, "");
}
