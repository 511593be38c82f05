import { dashboardFiles } from "@aios/dashboards";
import { describe, expect, it } from "vitest";
import { InfraPlanError } from "../errors.ts";
import { DATASOURCE_UID, grafanaPlan } from "./grafana.ts";

describe("grafanaPlan", () => {
  const plan = grafanaPlan({
    prometheusUrl: "http://aios-dev-prometheus:9090",
    dashboards: dashboardFiles(),
  });

  it("declares every dashboard dashboards/ generates, by its uid, with the JSON unchanged but for the id", () => {
    const files = dashboardFiles();
    expect(plan.dashboards.map((d) => d.file)).toEqual(Object.keys(files));
    for (const dashboard of plan.dashboards) {
      const { id: _id, ...generated } = JSON.parse(files[dashboard.file] as string) as Record<
        string,
        unknown
      >;
      expect(JSON.parse(dashboard.configJson)).toEqual(generated);
      expect(dashboard.uid).toBe(generated.uid);
    }
  });

  it("declares the Prometheus data source under the uid the dashboards query", () => {
    expect(plan.datasource).toEqual({
      name: "Prometheus",
      uid: DATASOURCE_UID,
      type: "prometheus",
      url: "http://aios-dev-prometheus:9090",
      accessMode: "proxy",
      isDefault: true,
    });
    for (const dashboard of plan.dashboards)
      expect(dashboard.configJson).toContain(`"uid":"${DATASOURCE_UID}"`);
    expect(plan.folder).toEqual({ uid: "aios", title: "AIOS" });
  });

  it("refuses a dashboard that is not JSON or has no uid, naming the file", () => {
    const bad = (content: string) => () =>
      grafanaPlan({ prometheusUrl: "x", dashboards: { "x.json": content } });
    expect(bad("{")).toThrow(InfraPlanError);
    expect(bad("{")).toThrow("dashboards: x.json is not JSON");
    expect(bad('{"title":"t"}')).toThrow("dashboards: x.json has no string uid and title");
  });
});
