import type { Channel, ChannelModel } from "amqplib";
import type { ConnectionManager } from "../messaging/index.ts";
import type { ObjectStore } from "../storage/index.ts";
import type { HealthCheck, Observation } from "./check.ts";
import { HealthCheckFailedError } from "./errors.ts";
import { HEALTH_CONTENT_TYPE, type HealthDocument } from "./format.ts";

/** What every built-in check lets you set. */
export interface CheckOptions {
  readonly name?: string;
  readonly critical?: boolean;
  readonly timeoutMs?: number;
  readonly cacheMs?: number;
}

function common(options: CheckOptions): Pick<HealthCheck, "critical" | "timeoutMs" | "cacheMs"> {
  return {
    ...(options.critical === undefined ? {} : { critical: options.critical }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
  };
}

/** Options of {@link rabbitmqCheck}: what the passive check looks at (default the exchange `amq.direct`, present in every vhost). */
export interface RabbitmqCheckOptions extends CheckOptions {
  /** Check that this queue exists (passive declare) instead of an exchange. */
  readonly queue?: string;
  readonly exchange?: string;
}

/**
 * The broker, cheaply: the connection manager's state (connected; blocked by an alarm gives
 * `warn`, and so do queues of the topology left undeclared because their cluster node is down) and one passive check (`checkExchange`/`checkQueue`) on a channel opened once and
 * kept. Nothing is declared, so a probe storm costs the broker one small round trip per cache
 * window. The channel is re-opened after a reconnect or after the broker closed it.
 */
export function rabbitmqCheck(
  connection: Pick<ConnectionManager, "connected" | "blocked" | "connect"> &
    Partial<Pick<ConnectionManager, "undeclaredQueues">>,
  options: RabbitmqCheckOptions = {},
): HealthCheck {
  const name = options.name ?? "rabbitmq";
  let channel: { readonly of: ChannelModel; readonly opening: Promise<Channel> } | undefined;
  const channelOn = (model: ChannelModel): Promise<Channel> => {
    if (channel?.of === model) return channel.opening;
    const opening = model.createChannel().then((opened) => {
      // A failed passive check closes the channel (404); forget it so the next run opens another.
      opened.on("error", () => {});
      opened.on("close", () => {
        if (channel?.of === model) channel = undefined;
      });
      return opened;
    });
    opening.catch(() => {
      if (channel?.of === model) channel = undefined;
    });
    channel = { of: model, opening };
    return opening;
  };
  return {
    name,
    component: "rabbitmq",
    componentType: "component",
    ...common(options),
    async check(): Promise<Observation | void> {
      if (!connection.connected) throw new HealthCheckFailedError(name, "not connected to the broker");
      const open = await channelOn(await connection.connect());
      if (options.queue !== undefined) {
        const queue = await open.checkQueue(options.queue);
        if (connection.blocked) return blockedWarning();
        if (connection.undeclaredQueues?.length) return undeclaredWarning(connection.undeclaredQueues);
        return {
          observedValue: queue.messageCount,
          observedUnit: "messages",
          output: `${queue.consumerCount} consumers`,
        };
      }
      await open.checkExchange(options.exchange ?? "amq.direct");
      if (connection.blocked) return blockedWarning();
      if (connection.undeclaredQueues?.length) return undeclaredWarning(connection.undeclaredQueues);
    },
  };
}

function blockedWarning(): Observation {
  return { status: "warn", output: "the broker blocks publishers (a memory or disk alarm)" };
}

function undeclaredWarning(undeclared: readonly { readonly queue: string }[]): Observation {
  const queues = undeclared.map((u) => `'${u.queue}'`).join(", ");
  return { status: "warn", output: `queues not declared, their cluster node is down: ${queues}` };
}

/** Options of {@link s3BucketCheck}. */
export type S3BucketCheckOptions = CheckOptions;

/** The S3 server answers and the bucket exists: one HEAD bucket through the SDK's ObjectStore, no retries. */
export function s3BucketCheck(
  store: Pick<ObjectStore, "bucketExists">,
  bucket: string,
  options: S3BucketCheckOptions = {},
): HealthCheck {
  const name = options.name ?? `s3-${bucket}`;
  const timeoutMs = options.timeoutMs ?? 2000;
  return {
    name,
    component: "s3",
    componentType: "datastore",
    ...common(options),
    async check(signal) {
      if (!(await store.bucketExists(bucket, { signal, timeoutMs })))
        throw new HealthCheckFailedError(name, `bucket '${bucket}' does not exist`);
    },
  };
}

/** Options of {@link httpCheck}. */
export interface HttpCheckOptions extends CheckOptions {
  readonly url: string;
  /** Default `http`. */
  readonly component?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An HTTP URL answers 2xx (any other status, a refused connection or a timeout fails). */
export function httpCheck(options: HttpCheckOptions): HealthCheck {
  const name = options.name ?? options.component ?? "http";
  // fetch refuses URLs with credentials: they travel as a Basic header and never reach an output.
  const { url, authorization } = splitCredentials(options.url);
  const headers: Record<string, string> = { ...options.headers, ...(authorization ? { authorization } : {}) };
  return {
    name,
    component: options.component ?? "http",
    componentType: "component",
    ...common(options),
    async check(signal) {
      let response: Response;
      try {
        response = await fetch(url, { signal, headers });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (error as Error).message;
        throw new HealthCheckFailedError(name, `${url}: ${reason.split(options.url).join(url)}`, {
          cause: error,
        });
      }
      // A peer that answers in health+json says more than its status code: pass its warn and failures on.
      const document = isHealthJson(response) ? await readHealthDocument(response) : undefined;
      if (!document) await response.body?.cancel().catch(() => {});
      const failing = document ? failingKeys(document) : "";
      if (!response.ok)
        throw new HealthCheckFailedError(name, `${url} answered HTTP ${response.status}${failing}`);
      if (document?.status === "warn") return { status: "warn", output: `${url} warns${failing}` };
    },
  };
}

function isHealthJson(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").startsWith(HEALTH_CONTENT_TYPE);
}

async function readHealthDocument(response: Response): Promise<HealthDocument | undefined> {
  try {
    return (await response.json()) as HealthDocument;
  } catch {
    return undefined;
  }
}

/** ": s3:responseTime (fail), …" — the peer's checks that are not passing. */
function failingKeys(document: HealthDocument): string {
  const keys = Object.entries(document.checks ?? {}).flatMap(([key, entries]) =>
    (Array.isArray(entries) ? entries : [])
      .filter((entry) => entry.status !== "pass")
      .map(
        (entry) => `${entry.componentId ?? key} (${entry.status}${entry.output ? `: ${entry.output}` : ""})`,
      ),
  );
  const reason = keys.length > 0 ? keys.join(", ") : document.output;
  return reason ? `: ${reason}` : "";
}

/** Prometheus is ready to serve queries (`GET <base>/-/ready`). */
export function prometheusCheck(baseUrl: string, options: CheckOptions = {}): HealthCheck {
  return httpCheck({
    name: "prometheus",
    ...options,
    component: "prometheus",
    url: `${trim(baseUrl)}/-/ready`,
  });
}

/** Alertmanager is ready (`GET <base>/-/ready`). */
export function alertmanagerCheck(baseUrl: string, options: CheckOptions = {}): HealthCheck {
  return httpCheck({
    name: "alertmanager",
    ...options,
    component: "alertmanager",
    url: `${trim(baseUrl)}/-/ready`,
  });
}

/** Options of {@link functionCheck}. */
export interface FunctionCheckOptions extends CheckOptions {
  readonly name: string;
  readonly component?: string;
  readonly componentType?: string;
  readonly measurement?: string;
}

/** Any async function as a check: it throws to fail, returns (optionally an Observation) to pass. */
export function functionCheck(
  options: FunctionCheckOptions,
  run: (signal: AbortSignal) => Promise<Observation | void> | Observation | void,
): HealthCheck {
  return {
    name: options.name,
    component: options.component ?? options.name,
    ...(options.componentType === undefined ? {} : { componentType: options.componentType }),
    ...(options.measurement === undefined ? {} : { measurement: options.measurement }),
    ...common(options),
    check: async (signal) => run(signal),
  };
}

function trim(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The URL without user-info, and that user-info as a Basic authorization header. */
export function splitCredentials(raw: string): { url: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { url: raw };
  }
  if (!parsed.username && !parsed.password) return { url: parsed.toString() };
  const user = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), authorization: `Basic ${Buffer.from(user).toString("base64")}` };
}
