// A small builder for Grafana dashboard JSON: enough structure to keep panels consistent and
// every query in one place, where a test can check it with promtool.

export interface QuerySpec {
  readonly expr: string;
  readonly legend?: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly kind: "timeseries" | "stat";
  readonly unit?: string;
  readonly description?: string;
  readonly queries: readonly QuerySpec[];
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly panels: readonly PanelSpec[];
}

/** The data source infra provisions (infra/src/observability/grafana.ts uses the same uid). */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

export function renderDashboard(spec: DashboardSpec): Record<string, unknown> {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [...spec.tags],
    schemaVersion: 39,
    version: 1,
    editable: false,
    graphTooltip: 1,
    time: { from: "now-1h", to: "now" },
    refresh: "30s",
    panels: spec.panels.map((panel, i) => ({
      id: i + 1,
      type: panel.kind,
      title: panel.title,
      ...(panel.description ? { description: panel.description } : {}),
      datasource: DATASOURCE,
      // Two panels per row, 8 units high.
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: panel.unit ?? "short" }, overrides: [] },
      options:
        panel.kind === "stat"
          ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value" }
          : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
      targets: panel.queries.map((query, q) => ({
        refId: String.fromCharCode(65 + q),
        datasource: DATASOURCE,
        expr: query.expr,
        legendFormat: query.legend ?? "",
      })),
    })),
  };
}
