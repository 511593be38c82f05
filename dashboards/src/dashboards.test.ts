import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { allDashboards, DATASOURCE, dashboardFiles, renderDashboard } from "./index.ts";

const run = promisify(execFile);
const queries = allDashboards.flatMap((d) =>
  d.panels.flatMap((panel) =>
    panel.queries.map((query) => ({ dashboard: d.uid, panel: panel.title, expr: query.expr })),
  ),
);
const metricNames = (prefix: string) =>
  new Set(queries.flatMap((q) => q.expr.match(new RegExp(`\\b${prefix}[a-z0-9_]+`, "g")) ?? []));

describe("the Grafana dashboards", () => {
  it("cover messaging, storage and agents, with unique uids", () => {
    expect(allDashboards.map((d) => d.uid)).toEqual(["aios-messaging", "aios-storage", "aios-agents"]);
    expect(new Set(allDashboards.map((d) => d.uid)).size).toBe(allDashboards.length);
  });

  it("render every panel with a query, a unique id and the provisioned data source", () => {
    for (const spec of allDashboards) {
      const json = renderDashboard(spec) as {
        panels: { id: number; datasource: unknown; targets: { refId: string; expr: string }[] }[];
      };
      expect(new Set(json.panels.map((p) => p.id)).size).toBe(spec.panels.length);
      for (const panel of json.panels) {
        expect(panel.datasource).toEqual(DATASOURCE);
        expect(panel.targets.length).toBeGreaterThan(0);
        expect(new Set(panel.targets.map((t) => t.refId)).size).toBe(panel.targets.length);
      }
    }
  });

  it("use only PromQL that promtool accepts", async () => {
    // Each expression becomes a recording rule; `promtool check rules` parses every one.
    const rules = queries.map((q, i) => ({ record: `aios:dashboard_query:${i}`, expr: q.expr }));
    const dir = await mkdtemp(join(tmpdir(), "aios-dashboards-"));
    const file = join(dir, "queries.yml");
    // JSON is valid YAML, so the rule file needs no YAML writer.
    await writeFile(file, JSON.stringify({ groups: [{ name: "dashboard-queries", rules }] }));
    try {
      const { stdout } = await run("promtool", ["check", "rules", file]);
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("make promtool fail on a broken expression (the check above can fail)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aios-dashboards-"));
    const file = join(dir, "broken.yml");
    await writeFile(
      file,
      JSON.stringify({ groups: [{ name: "g", rules: [{ record: "x:y", expr: "sum by (queue (up)" }] }] }),
    );
    try {
      await expect(run("promtool", ["check", "rules", file])).rejects.toMatchObject({ code: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("query only the aios_* metrics the SDK defines", async () => {
    const source = await readFile(
      fileURLToPath(new URL("../../runtime/src/messaging/metrics.ts", import.meta.url)),
      "utf8",
    );
    const defined = new Set([...source.matchAll(/name: "(aios_[a-z0-9_]+)"/g)].map((m) => m[1]));
    const used = [...metricNames("aios_")].map((name) => name.replace(/_(bucket|count|sum)$/, ""));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used)
      expect(defined, `${name} is not defined in runtime/src/messaging/metrics.ts`).toContain(name);
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
