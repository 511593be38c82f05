import { randomUUID } from "node:crypto";
import { readEnv } from "../env.ts";

/**
 * Test support for the real RabbitMQ started by `scripts/services.sh`: every test file gets a
 * vhost of its own, so files can run in parallel against one broker without seeing each other.
 */
export interface TestVhost {
  readonly vhost: string;
  /** AMQP URL of the vhost, with the broker's credentials. */
  readonly amqpUrl: string;
  /** Management API base URL, with credentials (e.g. `http://guest:guest@127.0.0.1:15672`). */
  readonly apiUrl: string;
  /** Deletes the vhost and everything in it. */
  dispose(): Promise<void>;
}

/** A request to the RabbitMQ management API at `apiUrl` (credentials taken from the URL). */
export async function managementRequest(
  apiUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const url = new URL(apiUrl);
  const auth = Buffer.from(
    `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
  ).toString("base64");
  url.username = "";
  url.password = "";
  const base = url.toString().replace(/\/$/, "");
  const init: RequestInit = {
    method,
    headers: { authorization: `Basic ${auth}`, "content-type": "application/json" },
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(`${base}${path}`, init);
}

/**
 * Creates a uniquely named vhost (`<prefix>-<random>`) through the management API of
 * `AIOS_RABBITMQ_API_URL` and gives the user of `AIOS_AMQP_URL` every permission on it. Call
 * `dispose()` when the test file is done.
 *
 * @throws `InvalidArgumentError` (from `@aios/runtime`) when an AIOS environment variable is malformed.
 * @throws `Error` naming the HTTP status when the management API refuses the vhost or permission.
 * @example
 * ```ts
 * let vhost: TestVhost;
 * beforeAll(async () => (vhost = await createTestVhost("my-agent")));
 * afterAll(() => vhost.dispose());
 * ```
 */
export async function createTestVhost(prefix = "test"): Promise<TestVhost> {
  const env = readEnv();
  const vhost = `${prefix}-${randomUUID().slice(0, 8)}`;
  const apiUrl = env.AIOS_RABBITMQ_API_URL;
  const created = await managementRequest(apiUrl, "PUT", `/api/vhosts/${encodeURIComponent(vhost)}`, {});
  if (!created.ok)
    throw new Error(`cannot create vhost ${vhost}: HTTP ${created.status} ${await created.text()}`);
  const user = decodeURIComponent(new URL(env.AIOS_AMQP_URL).username || "guest");
  const granted = await managementRequest(
    apiUrl,
    "PUT",
    `/api/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`,
    { configure: ".*", write: ".*", read: ".*" },
  );
  if (!granted.ok) throw new Error(`cannot grant ${user} on ${vhost}: HTTP ${granted.status}`);
  const amqp = new URL(env.AIOS_AMQP_URL);
  amqp.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    vhost,
    amqpUrl: amqp.toString(),
    apiUrl,
    async dispose() {
      await managementRequest(apiUrl, "DELETE", `/api/vhosts/${encodeURIComponent(vhost)}`);
    },
  };
}
