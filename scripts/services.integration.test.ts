import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import amqp from "amqplib";
import { Client } from "minio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv, requireS3Credentials } from "../runtime/src/env.ts";
import { createTestVhost, type TestVhost } from "../runtime/src/testing/broker.ts";

// Proves that scripts/services.sh wired each real service: one round trip per service, made by
// the client the SDK uses and, for S3, checked again by a second, independent client (awscli).
const run = promisify(execFile);
const env = readEnv();

describe("RabbitMQ started by scripts/services.sh", () => {
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost("services");
  });
  afterAll(async () => vhost?.dispose());

  it("delivers a published message to a consumer", async () => {
    const connection = await amqp.connect(vhost.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const { queue } = await channel.assertQueue("", { exclusive: true });
      const body = `hello ${randomUUID()}`;
      channel.sendToQueue(queue, Buffer.from(body));
      await channel.waitForConfirms();
      const received = await new Promise<string>((resolve) => {
        void channel.consume(queue, (message) => {
          if (message) {
            channel.ack(message);
            resolve(message.content.toString());
          }
        });
      });
      expect(received).toBe(body);
    } finally {
      await connection.close();
    }
  });

  it("serves the management API and the Prometheus plugin", async () => {
    const metrics = await fetch("http://127.0.0.1:15692/metrics");
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("rabbitmq_build_info");
  });
});

describe("the S3 gateway started by scripts/services.sh", () => {
  const { accessKey, secretKey } = requireS3Credentials(env);
  const endpoint = new URL(env.AIOS_S3_ENDPOINT);
  const client = new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: endpoint.protocol === "https:",
    accessKey,
    secretKey,
    region: env.AIOS_S3_REGION,
    pathStyle: true,
  });
  const bucket = `services-${randomUUID().slice(0, 8)}`;
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: secretKey,
    AWS_DEFAULT_REGION: env.AIOS_S3_REGION,
  };

  beforeAll(async () => client.makeBucket(bucket, env.AIOS_S3_REGION));
  afterAll(async () => {
    const keys: string[] = [];
    for await (const item of client.listObjectsV2(bucket, "", true)) if (item.name) keys.push(item.name);
    await client.removeObjects(bucket, keys);
    await client.removeBucket(bucket);
  });

  it("stores an object that both the minio client and awscli read back", async () => {
    const body = `payload ${randomUUID()}`;
    await client.putObject(bucket, "wiring/hello.txt", body, undefined, { "Content-Type": "text/plain" });

    const stream = await client.getObject(bucket, "wiring/hello.txt");
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(body);

    // Debian's awscli, by full path: a pyenv shim may shadow it on PATH.
    const { stdout } = await run(
      "/usr/bin/aws",
      ["--endpoint-url", env.AIOS_S3_ENDPOINT, "s3", "cp", `s3://${bucket}/wiring/hello.txt`, "-"],
      { env: awsEnv },
    );
    expect(stdout).toBe(body);
  });
});

describe("Prometheus started by scripts/services.sh", () => {
  it("reports the RabbitMQ target up", async () => {
    const response = await fetch(`${env.AIOS_PROMETHEUS_URL}/api/v1/targets?state=active`);
    const body = (await response.json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string }[] };
    };
    const rabbit = body.data.activeTargets.find((target) => target.labels.job === "rabbitmq");
    expect(rabbit?.health).toBe("up");
  });

  it("has loaded the alert rules of observability/prometheus", async () => {
    const response = await fetch(`${env.AIOS_PROMETHEUS_URL}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: { rules: { name: string }[] }[] } };
    const names = body.data.groups.flatMap((group) => group.rules.map((rule) => rule.name));
    expect(names).toEqual(
      expect.arrayContaining([
        "RabbitMQDown",
        "QueueDepthHigh",
        "DeadLettersPresent",
        "AgentMetricsTargetDown",
      ]),
    );
  });

  it("passes the alert rules' own unit tests (promtool test rules)", async () => {
    const { stdout } = await run("promtool", ["test", "rules", "observability/prometheus/alerts.test.yml"]);
    expect(stdout).toContain("SUCCESS");
  });
});
