import { redactUrl } from "../logging.ts";
import { TopologyBrokerError } from "./errors.ts";
import { diffTopology, type LiveTopology, type TopologyDrift } from "./diff.ts";
import type { ResolvedTopology } from "./model.ts";

/** How {@link verifyTopology} reaches the RabbitMQ management API. */
export interface VerifyTopologyOptions {
  /** Management API base URL with credentials, e.g. `http://guest:guest@127.0.0.1:15672` */
  readonly apiUrl: string;
  readonly signal?: AbortSignal;
}

/** Reads the live broker through the management API and reports every drift from the spec. */
export async function verifyTopology(
  topology: ResolvedTopology,
  options: VerifyTopologyOptions,
): Promise<TopologyDrift[]> {
  const live = await fetchLiveTopology(topology.vhost, options);
  return diffTopology(topology, live);
}

export async function fetchLiveTopology(
  vhost: string,
  options: VerifyTopologyOptions,
): Promise<LiveTopology> {
  const vhostPath = encodeURIComponent(vhost);
  const check = await managementGet(`/api/vhosts/${vhostPath}`, options, true);
  if (check === undefined) throw new TopologyBrokerError(`vhost '${vhost}' does not exist on the broker`);
  const [exchanges, queues, bindings] = await Promise.all([
    managementGet(`/api/exchanges/${vhostPath}`, options),
    managementGet(`/api/queues/${vhostPath}`, options),
    managementGet(`/api/bindings/${vhostPath}`, options),
  ]);
  return { exchanges, queues, bindings } as LiveTopology;
}

async function managementGet(
  path: string,
  options: VerifyTopologyOptions,
  allowMissing = false,
): Promise<unknown> {
  const url = new URL(options.apiUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
  url.username = "";
  url.password = "";
  const target = `${url.toString().replace(/\/$/, "")}${path}`;
  let response: Response;
  try {
    response = await fetch(target, { headers: { authorization }, signal: options.signal ?? null });
  } catch (error) {
    throw new TopologyBrokerError(
      `management API ${redactUrl(options.apiUrl)} unreachable: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (allowMissing && response.status === 404) return undefined;
  if (!response.ok) {
    throw new TopologyBrokerError(
      `management API answered ${response.status} for GET ${path}: ${await response.text()}`,
    );
  }
  return response.json();
}
