import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { DATASOURCE, dashboardFiles, dashboardModels, panelQueries } from "./index.ts";
import { SDK_METRIC_CONTRACT } from "./metric-contract.ts";

const run = promisify(execFile);
const queries = panelQueries();
const metricNames = (prefix: string) =>
  new Set(queries.flatMap((q) => q.expr.match(new RegExp(`\\b${prefix}[a-z0-9_]+`, "g")) ?? []));

/** Runs `promtool check rules` on the expressions, each as a recording rule. */
async function promtoolParses(exprs: readonly string[]): Promise<string> {
  const rules = exprs.map((expr, i) => ({ record: `aios:dashboard_query:${i}`, expr }));
  const dir = await mkdtemp(join(tmpdir(), "aios-dashboards-"));
  const file = join(dir, "queries.yml");
  // JSON is valid YAML, so the rule file needs no YAML writer.
  await writeFile(file, JSON.stringify({ groups: [{ name: "dashboard-queries", rules }] }));
  try {
    return (await run("promtool", ["check", "rules", file])).stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("the Grafana dashboards", () => {
  const models = dashboardModels();

  it("are a system overview, messaging, storage and agents, with unique uids", () => {
    expect(models.map((d) => d.uid)).toEqual([
      "aios-overview",
      "aios-messaging",
      "aios-storage",
      "aios-agents",
    ]);
  });

  it("give every panel a unique id, the provisioned data source and queries with unique refIds", () => {
    for (const dashboard of models) {
      const panels = (dashboard.panels ?? []).filter((panel) => panel.type !== "row");
      const ids = (dashboard.panels ?? []).map((panel) => panel.id);
      expect(new Set(ids).size, dashboard.uid).toBe(ids.length);
      for (const panel of panels) {
        const { datasource, targets } = panel as {
          datasource?: unknown;
          targets?: { refId: string; datasource: unknown }[];
        };
        expect(datasource, `${dashboard.uid} ${panel.title}`).toEqual(DATASOURCE);
        expect(targets?.length, `${dashboard.uid} ${panel.title}`).toBeGreaterThan(0);
        expect(new Set(targets?.map((t) => t.refId)).size).toBe(targets?.length);
        for (const target of targets ?? []) expect(target.datasource).toEqual(DATASOURCE);
      }
    }
  });

  it("show on the overview: services, health checks, queues, message rates, dead letters, errors, storage, agents", () => {
    const overview = queries.filter((q) => q.dashboard === "aios-overview").map((q) => q.expr);
    for (const needed of [
      /\bup\b/,
      /aios_health_check_status/,
      /rabbitmq_queue_messages_ready/,
      /aios_messages_published_total/,
      /queue=~"\.\*\\\\\.dlq"/,
      /outcome!="ack"/,
      /aios_storage_operations_total/,
      /aios_storage_operation_duration_seconds_bucket/,
      /up\{job="aios"\}/,
    ]) {
      expect(
        overview.some((expr) => needed.test(expr)),
        String(needed),
      ).toBe(true);
    }
  });

  it("use only PromQL that promtool accepts", async () => {
    expect(queries.length).toBeGreaterThan(30);
    expect(await promtoolParses(queries.map((q) => q.expr))).toContain(
      `SUCCESS: ${queries.length} rules found`,
    );
  });

  it("make promtool fail on a broken expression (the check above can fail)", async () => {
    await expect(promtoolParses(["sum by (queue (up)"])).rejects.toMatchObject({ code: 1 });
  });

  it("query only aios_* metrics the SDK defines (messaging) or the issue's contract names (storage, health)", async () => {
    const source = await readFile(
      fileURLToPath(new URL("../../runtime/src/messaging/metrics.ts", import.meta.url)),
      "utf8",
    );
    const defined = new Set([
      ...[...source.matchAll(/name: "(aios_[a-z0-9_]+)"/g)].map((m) => m[1]),
      ...Object.keys(SDK_METRIC_CONTRACT),
    ]);
    const used = [...metricNames("aios_")].map((name) => name.replace(/_(bucket|count|sum)$/, ""));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(defined, `${name} is not an SDK metric`).toContain(name);
  });

  it("match the committed files in dashboards/generated (run `npm run build -w @aios/dashboards`)", async () => {
    const dir = fileURLToPath(new URL("../generated/", import.meta.url));
    const expected = dashboardFiles();
    expect((await readdir(dir)).filter((f) => f.endsWith(".json")).sort()).toEqual(
      Object.keys(expected).sort(),
    );
    for (const [name, content] of Object.entries(expected)) {
      expect(await readFile(join(dir, name), "utf8"), `dashboards/generated/${name} is stale`).toBe(content);
    }
  });
});
