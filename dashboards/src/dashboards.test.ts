import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { allDashboards, dashboardFiles } from "./index.ts";

const run = promisify(execFile);

describe("the Grafana dashboards", () => {
  it("have unique uids and every panel at least one query", () => {
    expect(new Set(allDashboards.map((d) => d.uid)).size).toBe(allDashboards.length);
    for (const dashboard of allDashboards)
      for (const panel of dashboard.panels) expect(panel.queries.length).toBeGreaterThan(0);
    expect(Object.keys(dashboardFiles())).toEqual(["aios-messaging.json", "aios-agents.json"]);
  });

  it("use only valid PromQL (checked by promtool)", async () => {
    const rules = allDashboards.flatMap((d) =>
      d.panels.flatMap((panel, p) =>
        panel.queries.map((query, q) => ({
          record: `check:${d.uid.replace(/-/g, "_")}:${p}_${q}`,
          expr: query.expr,
        })),
      ),
    );
    const dir = await mkdtemp(join(tmpdir(), "dashboards-"));
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

  it("query the metric names the SDK defines", async () => {
    const source = await import("node:fs/promises").then((fs) =>
      fs.readFile("runtime/src/messaging/metrics.ts", "utf8"),
    );
    const used = new Set(
      allDashboards.flatMap((d) =>
        d.panels.flatMap((p) => p.queries.flatMap((q) => q.expr.match(/aios_[a-z_]+/g) ?? [])),
      ),
    );
    for (const name of used) expect(source).toContain(name.replace(/_(bucket|count|sum)$/, ""));
  });
});
