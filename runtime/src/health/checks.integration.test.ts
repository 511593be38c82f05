// The built-in checks against the real services of scripts/services.sh.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv } from "../env.ts";
import { ConnectionManager } from "../messaging/index.ts";
import { ObjectStore } from "../storage/index.ts";
import { createTestVhost, managementRequest, type TestVhost } from "../testing/broker.ts";
import { eventually } from "../testing/messaging.ts";
import { createTestBucket, testObjectStore } from "../testing/s3.ts";
import { CheckRunner } from "./check.ts";
import { alertmanagerCheck, httpCheck, prometheusCheck, rabbitmqCheck, s3BucketCheck } from "./checks.ts";

const env = readEnv();
/** A port nothing listens on: bound once by us, then released (fetch refuses "bad ports" such as 1). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const once = (check: ConstructorParameters<typeof CheckRunner>[0]) => new CheckRunner(check).run();

describe("the RabbitMQ check on the real broker", () => {
  let vhost: TestVhost;
  let connection: ConnectionManager;
  const connectionName = `health-check-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    vhost = await createTestVhost("health");
    connection = new ConnectionManager({
      urls: vhost.amqpUrl,
      connectionName,
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    await connection.connect();
  });
  afterAll(async () => {
    await connection?.close();
    await vhost?.dispose();
  });

  const api = async <T>(path: string): Promise<T> => {
    const response = await managementRequest(vhost.apiUrl, "GET", path);
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  const ours = async () =>
    (
      await api<{ name: string; channels: number; client_properties: { connection_name?: string } }[]>(
        `/api/vhosts/${encodeURIComponent(vhost.vhost)}/connections`,
      )
    ).find((c) => c.client_properties.connection_name === connectionName);

  it("passes on a live connection and declares nothing: no queue or exchange appears, one channel for every probe", async () => {
    const check = rabbitmqCheck(connection, { cacheMs: 0 });
    const runner = new CheckRunner(check);
    const exchangesBefore = (
      await api<{ name: string }[]>(`/api/exchanges/${encodeURIComponent(vhost.vhost)}`)
    )
      .map((e) => e.name)
      .sort();
    const queuesSeen = new Set<string>();
    let probing = true;
    const watcher = (async () => {
      while (probing) {
        for (const q of await api<{ name: string }[]>(`/api/queues/${encodeURIComponent(vhost.vhost)}`))
          queuesSeen.add(q.name);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    const statuses: string[] = [];
    const until = Date.now() + 1500;
    while (Date.now() < until)
      statuses.push(...(await Promise.all([runner.run(), runner.run()])).map((r) => r.status));
    probing = false;
    await watcher;
    expect(statuses.length).toBeGreaterThan(10);
    expect(new Set(statuses)).toEqual(new Set(["pass"]));
    expect([...queuesSeen]).toEqual([]);
    const exchangesAfter = (
      await api<{ name: string }[]>(`/api/exchanges/${encodeURIComponent(vhost.vhost)}`)
    )
      .map((e) => e.name)
      .sort();
    expect(exchangesAfter).toEqual(exchangesBefore);
    // The management API refreshes channel counts every few seconds.
    let channels = -1;
    await eventually(
      () => channels === 1,
      20_000,
      "the connection showing its channel",
      async () => {
        channels = (await ours())?.channels ?? -1;
      },
    );
    await runner.run();
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect((await ours())?.channels).toBe(1);
  });

  it("checks a queue passively: fails once the queue is gone (the broker closes the channel), passes again once it is back", async () => {
    const queue = `health-probe-${randomUUID().slice(0, 8)}`;
    const path = `/api/queues/${encodeURIComponent(vhost.vhost)}/${queue}`;
    expect((await managementRequest(vhost.apiUrl, "PUT", path, { durable: false })).status).toBeLessThan(300);
    const runner = new CheckRunner(rabbitmqCheck(connection, { name: "work-queue", queue, cacheMs: 0 }));
    expect(await runner.run()).toMatchObject({ status: "pass", observedValue: 0, observedUnit: "messages" });
    await managementRequest(vhost.apiUrl, "DELETE", path);
    expect(await runner.run()).toMatchObject({ status: "fail", output: expect.stringMatching(/NOT_FOUND/) });
    await managementRequest(vhost.apiUrl, "PUT", path, { durable: false });
    expect((await runner.run()).status).toBe("pass");
    await managementRequest(vhost.apiUrl, "DELETE", path);
  });

  it("fails while the broker has closed the connection and passes again after the reconnect", async () => {
    const runner = new CheckRunner(rabbitmqCheck(connection, { cacheMs: 0 }));
    expect((await runner.run()).status).toBe("pass");
    let name: string | undefined;
    await eventually(
      () => name !== undefined,
      20_000,
      "the connection listed",
      async () => {
        name = (await ours())?.name;
      },
    );
    const disconnected = new Promise((resolve) => connection.once("disconnected", resolve));
    await managementRequest(vhost.apiUrl, "DELETE", `/api/connections/${encodeURIComponent(name!)}`);
    await disconnected;
    expect(await runner.run()).toMatchObject({ status: "fail", output: "not connected to the broker" });
    await new Promise<void>((resolve) => connection.once("connected", () => resolve()));
    expect((await runner.run()).status).toBe("pass");
  });

  it("fails when the connection manager points at a port where no broker listens", async () => {
    const wrong = new ConnectionManager({
      urls: "amqp://guest:guest@127.0.0.1:1/",
      reconnect: { initialAttempts: 1 },
    });
    await expect(wrong.connect()).rejects.toThrow();
    expect(await once(rabbitmqCheck(wrong))).toMatchObject({
      status: "fail",
      output: "not connected to the broker",
    });
    await wrong.close();
  });
});

describe("the S3 check on the real gateway", () => {
  const store = testObjectStore();
  let bucket: Awaited<ReturnType<typeof createTestBucket>>;
  beforeAll(async () => {
    bucket = await createTestBucket(store, { prefix: "health" });
  });
  afterAll(async () => bucket?.dispose());

  it("passes when the bucket answers a HEAD, and fails for a bucket that does not exist", async () => {
    expect(await once(s3BucketCheck(store, bucket.bucket))).toMatchObject({
      name: `s3-${bucket.bucket}`,
      component: "s3",
      componentType: "datastore",
      status: "pass",
    });
    const missing = `health-missing-${randomUUID().slice(0, 8)}`;
    expect(await once(s3BucketCheck(store, missing))).toMatchObject({
      status: "fail",
      output: `bucket '${missing}' does not exist`,
    });
  });

  it("fails when the endpoint is a port where nothing listens", async () => {
    const { accessKey, secretKey } = { accessKey: "x", secretKey: "y" };
    const nowhere = new ObjectStore({
      endpoint: "http://127.0.0.1:1",
      accessKey,
      secretKey,
      region: env.AIOS_S3_REGION,
    });
    const result = await once(s3BucketCheck(nowhere, bucket.bucket, { timeoutMs: 1000 }));
    expect(result.status).toBe("fail");
    expect(result.output).toMatch(/ECONNREFUSED|connect|unreachable/i);
  });
});

describe("the HTTP checks", () => {
  it("pass on Prometheus' /-/ready", async () => {
    expect(await once(prometheusCheck(env.AIOS_PROMETHEUS_URL))).toMatchObject({
      component: "prometheus",
      status: "pass",
    });
  });

  it.runIf(process.env.AIOS_ALERTMANAGER_URL)(
    "pass on Alertmanager's /-/ready (runs where services.sh runs Alertmanager and env sets AIOS_ALERTMANAGER_URL)",
    async () => {
      expect((await once(alertmanagerCheck(process.env.AIOS_ALERTMANAGER_URL!))).status).toBe("pass");
    },
  );

  it("fail on a closed port (naming the URL without credentials) and on a 503", async () => {
    const port = await closedPort();
    const refused = await once(alertmanagerCheck(`http://user:secret@127.0.0.1:${port}`));
    expect(refused).toMatchObject({
      status: "fail",
      output: `http://127.0.0.1:${port}/-/ready: ECONNREFUSED`,
    });
    const server = createServer((_request, response) => {
      response.statusCode = 503;
      response.end("not ready");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/-/ready`;
    try {
      expect(await once(httpCheck({ name: "peer", url }))).toMatchObject({
        status: "fail",
        output: `${url} answered HTTP 503`,
      });
    } finally {
      server.close();
    }
  });
});
