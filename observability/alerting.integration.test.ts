import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetricsRegistry, registerScrapeTarget, renderMetrics } from "../runtime/src/metrics/index.ts";

// End to end: an agent stops, and the alert reaches a webhook through a real Prometheus and a real
// Alertmanager (Debian's binaries, the ones scripts/services.sh runs), started here with the
// committed configs: observability/prometheus/prometheus.yml (as services.sh renders it: targets dir
// and ports substituted; it also scrapes the real broker) and observability/alertmanager/alertmanager.yml
// (its webhook URL pointed at this test's receiver, as AIOS_ALERT_WEBHOOK_URL does for services.sh).
//
// Why not the shared Prometheus and Alertmanager: the Alertmanager's receiver is fixed by its config,
// and the shared Prometheus' rules are whatever branch ran `services.sh up` last. Honest deviation
// from the committed rules: the `aios-targets` group is loaded from a test copy whose `for:` is 5 s
// instead of 2 min / 5 min, so the test ends within a minute; expressions, labels, annotations and the
// Alertmanager's routing, grouping and inhibition are the committed ones.

const repo = new URL("../", import.meta.url).pathname;
const SHORT_FOR = "5s";

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface WebhookMessage {
  receiver: string;
  status: string;
  alerts: WebhookAlert[];
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on right now (the daemons below take it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("an alert, from a stopped agent to a person's webhook", () => {
  let scratch: string;
  const daemons: ChildProcess[] = [];
  const received: WebhookMessage[] = [];
  let webhook: Server;
  let agent: Server;
  let prometheusUrl: string;
  let alertmanagerUrl: string;
  let agentTarget: string;

  function start(name: string, command: string, args: string[]): void {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    child.on("exit", (code) => {
      if (code !== null && code !== 0) console.error(`${name} exited with ${code}:\n${log}`);
    });
    daemons.push(child);
  }

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "aios-alerting-"));
    const targetsDir = join(scratch, "targets");
    await mkdir(targetsDir);

    webhook = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        received.push(JSON.parse(body) as WebhookMessage);
        response.end();
      });
    });
    const webhookUrl = `http://127.0.0.1:${await listen(webhook)}/alerts`;

    // The agent: a /metrics endpoint registered for scraping as the SDK's agents do.
    const registry = createMetricsRegistry({ agent: "alert-e2e" });
    agent = createServer((_request, response) => {
      void renderMetrics(registry).then(({ contentType, body }) => {
        response.setHeader("content-type", contentType);
        response.end(body);
      });
    });
    agentTarget = `127.0.0.1:${await listen(agent)}`;
    await registerScrapeTarget({
      dir: targetsDir,
      name: `alert-e2e-${randomUUID().slice(0, 8)}`,
      target: agentTarget,
      labels: { agent: "alert-e2e" },
    });

    const [prometheusPort, alertmanagerPort] = [await freePort(), await freePort()];
    prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    alertmanagerUrl = `http://127.0.0.1:${alertmanagerPort}`;

    const alertmanagerConfig = (
      await readFile(join(repo, "observability/alertmanager/alertmanager.yml"), "utf8")
    ).replaceAll("http://127.0.0.1:9095/alerts", webhookUrl);
    await writeFile(join(scratch, "alertmanager.yml"), alertmanagerConfig);
    start("alertmanager", "/usr/bin/prometheus-alertmanager", [
      `--config.file=${join(scratch, "alertmanager.yml")}`,
      `--storage.path=${join(scratch, "alertmanager-data")}`,
      `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
      "--cluster.listen-address=",
    ]);

    const prometheusConfig = (await readFile(join(repo, "observability/prometheus/prometheus.yml"), "utf8"))
      .replaceAll("@TARGETS_DIR@", targetsDir)
      .replaceAll("127.0.0.1:9090", `127.0.0.1:${prometheusPort}`)
      .replaceAll("127.0.0.1:9093", `127.0.0.1:${alertmanagerPort}`);
    await writeFile(join(scratch, "prometheus.yml"), prometheusConfig);
    const rules = parse(await readFile(join(repo, "observability/prometheus/alerts.yml"), "utf8")) as {
      groups: { name: string; rules: { alert: string; for?: string }[] }[];
    };
    const targetsGroup = rules.groups.find((group) => group.name === "aios-targets");
    expect(targetsGroup?.rules.map((rule) => rule.alert)).toEqual(["AgentDown", "ScrapeTargetDown"]);
    for (const rule of targetsGroup?.rules ?? []) rule.for = SHORT_FOR;
    await writeFile(join(scratch, "alerts.yml"), stringify(rules));
    const retention = (await readFile(join(repo, "observability/prometheus/retention.flags"), "utf8"))
      .split("\n")
      .filter((line) => line.startsWith("--"));
    start("prometheus", "/usr/bin/prometheus", [
      `--config.file=${join(scratch, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(scratch, "prometheus-data")}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ...retention,
    ]);

    await waitFor("alertmanager ready", 30, async () =>
      (await fetch(`${alertmanagerUrl}/-/ready`)).ok ? true : undefined,
    );
    await waitFor("prometheus ready", 30, async () =>
      (await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined,
    );
  }, 60_000);

  afterAll(async () => {
    for (const daemon of daemons) daemon.kill("SIGTERM");
    await Promise.all(
      daemons.map((daemon) =>
        daemon.exitCode === null ? new Promise((resolve) => daemon.once("exit", resolve)) : undefined,
      ),
    );
    webhook?.close();
    if (agent?.listening) agent.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it(
    "pages the critical receiver with AgentDown, and inhibits the warning for the same target",
    { timeout: 90_000 },
    async () => {
      // Scraped healthy first: the alert must come from a target that went down, not one never seen.
      await waitFor("the agent scraped up", 30, async () => {
        const body = (await (
          await fetch(`${prometheusUrl}/api/v1/targets?state=active&scrapePool=aios`)
        ).json()) as {
          data: { activeTargets: { labels: { instance: string }; health: string }[] };
        };
        return body.data.activeTargets.find((t) => t.labels.instance === agentTarget && t.health === "up");
      });
      expect(received).toEqual([]);

      const stoppedAt = Date.now();
      agent.closeAllConnections();
      await new Promise<void>((resolve) => agent.close(() => resolve()));

      const alert = await waitFor("AgentDown at the webhook", 60, async () =>
        received
          .filter((message) => message.receiver === "critical" && message.status === "firing")
          .flatMap((message) => message.alerts)
          .find((a) => a.labels.alertname === "AgentDown" && a.labels.instance === agentTarget),
      );
      const seconds = (Date.now() - stoppedAt) / 1000;
      console.log(`AgentDown reached the webhook ${seconds.toFixed(1)} s after the agent stopped`);
      expect(alert).toMatchObject({
        status: "firing",
        labels: {
          alertname: "AgentDown",
          severity: "critical",
          service: "aios",
          job: "aios",
          agent: "alert-e2e",
        },
        annotations: { summary: `Agent ${agentTarget} does not answer on /metrics` },
      });
      expect(alert.annotations.first_response).toMatch(/restart/);

      // ScrapeTargetDown fires for the same target (service aios, a warning): the Alertmanager holds
      // it back while AgentDown fires.
      const suppressed = await waitFor("ScrapeTargetDown inhibited by AgentDown", 30, async () => {
        const alerts = (await (
          await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=alertname%3D%22ScrapeTargetDown%22`)
        ).json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
        return alerts.find((a) => a.labels.instance === agentTarget && a.status.state === "suppressed");
      });
      expect(suppressed.status.inhibitedBy.length).toBe(1);
      expect(
        received
          .flatMap((message) => message.alerts)
          .filter((a) => a.labels.alertname === "ScrapeTargetDown"),
      ).toEqual([]);
    },
  );
});
