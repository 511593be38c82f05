import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentTargets, environmentChecks } from "./environment.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function targetsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "targets-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe("the agents registered for scraping", () => {
  it("are read from the file_sd files: the agent label names them, else the file's stem", async () => {
    const dir = await targetsDir({
      "planner-1.json": JSON.stringify([{ targets: ["127.0.0.1:9464"], labels: { agent: "planner" } }]),
      "coder-7.json": JSON.stringify([{ targets: ["10.0.0.5:9100", "10.0.0.6:9100"] }]),
      ".coder-7.json.tmp": "half a fi",
      "notes.txt": "ignored",
    });
    const { targets, broken } = await agentTargets(dir);
    expect(targets.map((t) => `${t.name}@${t.target}`)).toEqual([
      "coder-7@10.0.0.5:9100",
      "coder-7@10.0.0.6:9100",
      "planner@127.0.0.1:9464",
    ]);
    expect(broken).toEqual([]);
  });

  it("report a malformed registration as broken instead of dropping it, and a missing directory as none", async () => {
    const dir = await targetsDir({
      "bad.json": "{not json",
      "url.json": JSON.stringify([{ targets: ["http://x:1/metrics"] }]),
    });
    const { targets, broken } = await agentTargets(dir);
    expect(targets).toEqual([]);
    expect(broken.map((b) => b.service)).toEqual(["agent file bad.json", "agent file url.json"]);
    expect(broken[1]?.reason).toBe('target "http://x:1/metrics" is not host:port');
    expect(await agentTargets(join(dir, "absent"))).toEqual({ targets: [], broken: [] });
  });
});

describe("the checks of an environment", () => {
  it("cover RabbitMQ, Prometheus and each agent, and name what is not configured", async () => {
    const dir = await targetsDir({
      "a.json": JSON.stringify([{ targets: ["127.0.0.1:9464"] }]),
      "b.json": "[",
    });
    const { checks, skipped } = await environmentChecks({
      rabbitmqApiUrl: "http://guest:guest@127.0.0.1:15672/",
      amqpUrl: "amqp://127.0.0.1/aios",
      prometheusUrl: "http://127.0.0.1:9090",
      targetsDir: dir,
    });
    expect(checks.map((c) => `${c.component}/${c.name}`)).toEqual([
      "rabbitmq/rabbitmq-alarms",
      "rabbitmq/rabbitmq-virtual-hosts",
      "rabbitmq/rabbitmq-amqp-listener",
      "prometheus/prometheus",
      "agent/a@127.0.0.1:9464",
      "agent/agent file b.json",
    ]);
    expect(skipped.map((s) => s.service)).toEqual(["s3", "alertmanager", "grafana"]);
    await expect(checks[5]!.check(new AbortController().signal)).rejects.toThrow(/JSON/);
  });
});
