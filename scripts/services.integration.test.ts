import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv, requireS3Credentials } from "../runtime/src/env.ts";
import { testS3Client } from "../runtime/src/testing/s3.ts";
import { registerScrapeTarget } from "../runtime/src/metrics/index.ts";
import { createTestVhost, type TestVhost } from "../runtime/src/testing/broker.ts";

// Proves that scripts/services.sh wired each real service: one round trip per service, made by
// the client the SDK uses and, for S3, checked again by independent clients (awscli, rclone).
const run = promisify(execFile);
const env = readEnv();
const script = new URL("./services.sh", import.meta.url).pathname;

interface PrometheusTarget {
  readonly labels: Record<string, string>;
  readonly health: string;
  readonly lastError: string;
  readonly scrapeUrl: string;
}

async function activeTargets(): Promise<PrometheusTarget[]> {
  const response = await fetch(`${env.AIOS_PROMETHEUS_URL}/api/v1/targets?state=active`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { data: { activeTargets: PrometheusTarget[] } };
  return body.data.activeTargets;
}

describe("scripts/services.sh", () => {
  it("reports every service up, with its endpoint", async () => {
    const { stdout } = await run("bash", [script, "status"]);
    expect(stdout).toMatch(/^rabbitmq +up +amqp:\/\/127\.0\.0\.1:\d+\/aios/m);
    expect(stdout).toMatch(/^rgw +up +s3 http:\/\/127\.0\.0\.1:\d+/m);
    expect(stdout).toMatch(/^prometheus +up +http:\/\/127\.0\.0\.1:\d+/m);
    expect(stdout).toMatch(/^alertmanager +up +http:\/\/127\.0\.0\.1:\d+/m);
  });

  it("treats `up` on running services as a no-op that says each one is already up", async () => {
    const { stderr } = await run("bash", [script, "up"], { timeout: 120_000 });
    expect(stderr).toMatch(/rabbitmq: already up/);
    expect(stderr).toMatch(/rgw: already up/);
    expect(stderr).toMatch(/prometheus: already up/);
    expect(stderr).toMatch(/alertmanager: already up/);
    expect(stderr).not.toMatch(/starting|bootstrapping/);
  });

  it("prints export lines for every variable the SDK reads", async () => {
    const { stdout } = await run("bash", [script, "env"]);
    for (const name of [
      "AIOS_AMQP_URL",
      "AIOS_RABBITMQ_API_URL",
      "AIOS_S3_ENDPOINT",
      "AIOS_S3_ACCESS_KEY",
      "AIOS_S3_SECRET_KEY",
      "AIOS_S3_REGION",
      "AIOS_PROMETHEUS_URL",
      "AIOS_PROMETHEUS_TARGETS_DIR",
      "AIOS_ALERTMANAGER_URL",
    ]) {
      expect(stdout).toMatch(new RegExp(`^export ${name}=\\S+$`, "m"));
    }
  });

  it("rejects an unknown service name, naming it", async () => {
    await expect(run("bash", [script, "status", "minio"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("unknown service 'minio'"),
    });
  });
});

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

  it("has the vhost aios of config/messaging.yaml, where guest may do everything", async () => {
    const url = new URL(env.AIOS_RABBITMQ_API_URL);
    const auth = Buffer.from(`${url.username}:${url.password}`).toString("base64");
    const response = await fetch(`${url.origin}/api/vhosts/aios/permissions`, {
      headers: { authorization: `Basic ${auth}` },
    });
    expect(response.status).toBe(200);
    const permissions = (await response.json()) as {
      user: string;
      configure: string;
      write: string;
      read: string;
    }[];
    expect(permissions).toContainEqual(
      expect.objectContaining({ user: "guest", configure: ".*", write: ".*", read: ".*" }),
    );
  });

  it(
    "serves per-queue metrics on the Prometheus plugin, where Prometheus scrapes them",
    { timeout: 60_000 },
    async () => {
      const rabbit = (await activeTargets()).find((target) => target.labels.job === "rabbitmq");
      expect(rabbit?.scrapeUrl).toMatch(/\/metrics\/per-object$/);
      const queue = `depth-${randomUUID().slice(0, 8)}`;
      const connection = await amqp.connect(vhost.amqpUrl);
      try {
        const channel = await connection.createChannel();
        await channel.assertQueue(queue, { durable: false });
        // Per-queue series: what the QueueBacklogGrowing and DeadLetterQueueGrowing alerts need. The broker
        // refreshes queue statistics every few seconds: poll.
        const series = new RegExp(`^rabbitmq_queue_messages_ready\\{[^}]*queue="${queue}"`, "m");
        let text = "";
        for (let attempt = 0; attempt < 60 && !series.test(text); attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500));
          const metrics = await fetch(rabbit?.scrapeUrl ?? "");
          expect(metrics.status).toBe(200);
          text = await metrics.text();
        }
        expect(text).toMatch(series);
      } finally {
        await connection.close();
      }
    },
  );
});

describe("the S3 gateway started by scripts/services.sh", () => {
  const { accessKey, secretKey } = requireS3Credentials(env);
  const client = testS3Client();
  const bucket = `services-${randomUUID().slice(0, 8)}`;
  const key = "wiring/hello.txt";
  // AWS_CA_BUNDLE (set on some machines) breaks rclone with LoadCustomCABundleError; the endpoint is http.
  const { AWS_CA_BUNDLE: _bundle, AWS_PROFILE: _profile, ...inherited } = process.env;
  const awsEnv = {
    ...inherited,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: secretKey,
    AWS_DEFAULT_REGION: env.AIOS_S3_REGION,
  };
  let scratch: string;
  const body = `payload ${randomUUID()}`;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "services-test-"));
    await client.makeBucket(bucket, env.AIOS_S3_REGION);
    await client.putObject(bucket, key, body, undefined, { "Content-Type": "text/plain" });
  });
  afterAll(async () => {
    const keys: string[] = [];
    for await (const item of client.listObjectsV2(bucket, "", true)) if (item.name) keys.push(item.name);
    await client.removeObjects(bucket, keys);
    await client.removeBucket(bucket);
    await rm(scratch, { recursive: true, force: true });
  });

  it("returns an object put with the minio client to the minio client", async () => {
    const stream = await client.getObject(bucket, key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(body);
  });

  it("returns the same object, with its content type, to awscli (s3api get-object)", async () => {
    const out = join(scratch, "aws.txt");
    // Debian's awscli by full path: a pyenv shim may shadow it on PATH.
    const { stdout } = await run(
      "/usr/bin/aws",
      ["--endpoint-url", env.AIOS_S3_ENDPOINT, "s3api", "get-object", "--bucket", bucket, "--key", key, out],
      { env: awsEnv },
    );
    expect(JSON.parse(stdout)).toMatchObject({ ContentType: "text/plain", ContentLength: body.length });
    expect(await readFile(out, "utf8")).toBe(body);
  });

  it("returns the same object to rclone", async () => {
    const { stdout } = await run("rclone", ["cat", `aios:${bucket}/${key}`], {
      env: {
        ...awsEnv,
        // A remote defined by environment alone: no rclone.conf is read or written.
        RCLONE_CONFIG_AIOS_TYPE: "s3",
        RCLONE_CONFIG_AIOS_PROVIDER: "Ceph",
        RCLONE_CONFIG_AIOS_ENDPOINT: env.AIOS_S3_ENDPOINT,
        RCLONE_CONFIG_AIOS_ACCESS_KEY_ID: accessKey,
        RCLONE_CONFIG_AIOS_SECRET_ACCESS_KEY: secretKey,
        RCLONE_CONFIG_AIOS_REGION: env.AIOS_S3_REGION,
        RCLONE_CONFIG: "/dev/null",
      },
    });
    expect(stdout).toBe(body);
  });
});

describe("Prometheus started by scripts/services.sh", () => {
  it("reports the RabbitMQ targets up (per-queue and node metrics)", async () => {
    const targets = await activeTargets();
    for (const job of ["rabbitmq", "rabbitmq-node"]) {
      expect(targets.find((target) => target.labels.job === job)).toMatchObject({
        health: "up",
        lastError: "",
      });
    }
  });

  it("sends its alerts to the Alertmanager of scripts/services.sh", async () => {
    const response = await fetch(`${env.AIOS_PROMETHEUS_URL}/api/v1/alertmanagers`);
    const body = (await response.json()) as { data: { activeAlertmanagers: { url: string }[] } };
    expect(body.data.activeAlertmanagers.map((am) => new URL(am.url).origin)).toContain(
      new URL(process.env.AIOS_ALERTMANAGER_URL ?? "").origin,
    );
  });

  it(
    "scrapes a /metrics endpoint registered as a file in AIOS_PROMETHEUS_TARGETS_DIR",
    { timeout: 60_000 },
    async () => {
      const dir = process.env.AIOS_PROMETHEUS_TARGETS_DIR;
      expect(dir, "AIOS_PROMETHEUS_TARGETS_DIR (from scripts/services.sh env)").toBeTruthy();
      const server: Server = createServer((_request, response) => {
        response.setHeader("content-type", "text/plain; version=0.0.4");
        response.end("services_wiring_test 1\n");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const unregister = await registerScrapeTarget({
        dir: dir ?? "",
        name: `services-test-${randomUUID().slice(0, 8)}`,
        target,
      });
      try {
        // file_sd refreshes every 5 s and the scrape interval is 5 s: poll rather than sleep.
        let health = "missing";
        for (let attempt = 0; attempt < 100 && health !== "up"; attempt++) {
          const found = (await activeTargets()).find(
            (candidate) => candidate.labels.job === "aios" && candidate.labels.instance === target,
          );
          health = found?.health ?? "missing";
          if (health !== "up") await new Promise((resolve) => setTimeout(resolve, 500));
        }
        expect(health).toBe("up");
      } finally {
        await unregister();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );

  it("has loaded the alert rules of observability/prometheus", async () => {
    const response = await fetch(`${env.AIOS_PROMETHEUS_URL}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: { rules: { name: string }[] }[] } };
    const names = body.data.groups.flatMap((group) => group.rules.map((rule) => rule.name));
    expect(names).toEqual(
      expect.arrayContaining([
        "RabbitMQDown",
        "QueueBacklogGrowing",
        "DeadLetterQueueGrowing",
        "WorkQueueWithoutConsumers",
        "AgentDown",
        "ScrapeTargetDown",
      ]),
    );
  });

  it("passes the alert rules' own unit tests (promtool test rules)", async () => {
    const rules = new URL("../observability/prometheus/alerts.test.yml", import.meta.url).pathname;
    // promtool exits non-zero on a failed test, which rejects this promise.
    const { stdout } = await run("promtool", ["test", "rules", rules]);
    expect(stdout).toContain("SUCCESS");
    expect(stdout).not.toContain("FAILED");
  });
});

describe("Alertmanager started by scripts/services.sh", () => {
  const url = process.env.AIOS_ALERTMANAGER_URL ?? "";

  it("is ready and routes by severity with the config of observability/alertmanager", async () => {
    expect(url, "AIOS_ALERTMANAGER_URL (from scripts/services.sh env)").toBeTruthy();
    expect((await fetch(`${url}/-/ready`)).status).toBe(200);
    const status = (await (await fetch(`${url}/api/v2/status`)).json()) as { config: { original: string } };
    expect(status.config.original).toMatch(/receiver: critical/);
    expect(status.config.original).toMatch(/equal:\s*\n?\s*- service/);
  });

  it("accepts its committed config (amtool check-config)", async () => {
    const config = new URL("../observability/alertmanager/alertmanager.yml", import.meta.url).pathname;
    const { stdout } = await run("amtool", ["check-config", config]);
    expect(stdout).toContain("SUCCESS");
  });

  it("listens on loopback only (no cluster gossip port)", async () => {
    const { stdout } = await run("ss", ["-Hltn"]);
    const listening = stdout.split("\n").map((line) => line.trim().split(/\s+/)[3] ?? "");
    expect(listening).toContain(`127.0.0.1:${new URL(url).port}`);
    expect(listening.filter((address) => /:9094$/.test(address))).toEqual([]);
  });
});
