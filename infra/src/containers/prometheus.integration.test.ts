import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryPath } from "../config.ts";
import type { DeclaredResource } from "../messaging/provider-semantics.ts";

// Integration test (Debian's prometheus and promtool, as scripts/services.sh runs them): the
// Prometheus configuration and alert rules the dev and prod stacks upload into their Prometheus
// container — captured from `npm run plan -- <stack> --json` — pass promtool and load in a real
// Prometheus, started here on a spare loopback port with the container's own command-line flags
// (retention by time and size), so the shared Prometheus on :9090 is left alone.
// Where the proof stops: the scrape targets are container hostnames that do not resolve here (every
// target is down); the image's Prometheus version is the one pinned by infra, not Debian's.

const run = promisify(execFile);

interface Upload {
  file: string;
  content: string;
}

async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe.each(["dev", "prod"])("the %s stack's Prometheus configuration in a real Prometheus", (stack) => {
  let dir: string;
  let uploads: Upload[];
  let flags: string[];
  let prometheus: ChildProcess | undefined;
  let base: string;
  let stderr = "";

  beforeAll(async () => {
    const { stdout } = await run(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "infra/src/plan/cli.ts", stack, "--json"],
      { cwd: repositoryPath("."), maxBuffer: 64 * 1024 * 1024 },
    );
    const container = (JSON.parse(stdout) as DeclaredResource[]).find(
      (r) => r.type === "docker:index/container:Container" && String(r.inputs.name).endsWith("-prometheus"),
    );
    if (!container) throw new Error(`the ${stack} stack declares no Prometheus container`);
    uploads = (container.inputs.uploads as Upload[]).filter((u) => u.file.startsWith("/etc/prometheus/"));
    flags = container.inputs.command as string[];
    dir = await mkdtemp(join(tmpdir(), `aios-prometheus-${stack}-`));
    for (const upload of uploads)
      await writeFile(join(dir, upload.file.slice("/etc/prometheus/".length)), upload.content);
  }, 120_000);

  afterAll(async () => {
    prometheus?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("uploads prometheus.yml and alerts.yml, which promtool accepts", async () => {
    expect(uploads.map((u) => u.file).sort()).toEqual([
      "/etc/prometheus/alerts.yml",
      "/etc/prometheus/prometheus.yml",
    ]);
    const config = await run("promtool", ["check", "config", join(dir, "prometheus.yml")]);
    expect(config.stdout).toContain("SUCCESS");
    const rules = await run("promtool", ["check", "rules", join(dir, "alerts.yml")]);
    expect(rules.stdout).toContain("SUCCESS");
  });

  it("loads in Prometheus with the container's flags: the config, every alert rule and the retention", async () => {
    const port = await sparePort();
    base = `http://127.0.0.1:${port}`;
    const args = flags
      .map((flag) =>
        flag.startsWith("--config.file=")
          ? `--config.file=${join(dir, "prometheus.yml")}`
          : flag.startsWith("--storage.tsdb.path=")
            ? `--storage.tsdb.path=${join(dir, "data")}`
            : flag,
      )
      .concat(`--web.listen-address=127.0.0.1:${port}`);
    prometheus = spawn("prometheus", args, { stdio: ["ignore", "ignore", "pipe"] });
    prometheus.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline || prometheus.exitCode !== null)
        throw new Error(`Prometheus did not become ready:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const api = async <T>(path: string): Promise<T> => {
      const body = (await (await fetch(`${base}${path}`)).json()) as { status: string; data: T };
      expect(body.status).toBe("success");
      return body.data;
    };

    const declaredConfig = parse(uploads.find((u) => u.file.endsWith("prometheus.yml"))!.content) as {
      global: { scrape_interval: string; evaluation_interval: string };
      scrape_configs: { job_name: string }[];
    };
    const loaded = parse(
      (await api<{ yaml: string }>("/api/v1/status/config")).yaml,
    ) as typeof declaredConfig;
    expect(loaded.global.scrape_interval).toBe(declaredConfig.global.scrape_interval);
    expect(loaded.global.evaluation_interval).toBe(declaredConfig.global.evaluation_interval);
    expect(loaded.scrape_configs.map((j) => j.job_name)).toEqual(
      declaredConfig.scrape_configs.map((j) => j.job_name),
    );

    const declaredRules = parse(uploads.find((u) => u.file.endsWith("alerts.yml"))!.content) as {
      groups: { name: string; rules: { alert?: string; record?: string }[] }[];
    };
    const groups = (
      await api<{ groups: { name: string; rules: { name: string; health: string }[] }[] }>("/api/v1/rules")
    ).groups;
    // Prometheus lists rule groups by name; the rules of a group keep the file's order.
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => r.name) })).sort(byName)).toEqual(
      declaredRules.groups
        .map((g) => ({ name: g.name, rules: g.rules.map((r) => r.alert ?? r.record) }))
        .sort(byName),
    );
    expect(groups.flatMap((g) => g.rules).filter((r) => r.health === "err")).toEqual([]);

    const runtimeFlags = await api<Record<string, string>>("/api/v1/status/flags");
    for (const flag of flags.filter((f) => f.startsWith("--storage.tsdb.retention."))) {
      const [name, value] = flag.slice(2).split("=");
      // Prometheus sizes are powers of two ("10GB" is 10 × 2^30 bytes) and it prints them as "10GiB".
      const bytes = (size: string | undefined) => size?.replace("iB", "B");
      expect(bytes(runtimeFlags[name!]), name).toBe(bytes(value));
    }
  }, 60_000);
});
