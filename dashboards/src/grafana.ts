// A small builder for Grafana dashboard JSON: enough structure to keep panels consistent and
// every query in one place, where a test can check it with promtool.

export interface PanelSpec {
  readonly title: string;
  readonly kind: "timeseries" | "stat";
  readonly unit?: string;
  readonly queries: readonly { readonly expr: string; readonly legend?: string }[];
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly panels: readonly PanelSpec[];
}

const DATASOURCE = { type: "prometheus", uid: "prometheus" };

export function renderDashboard(spec: DashboardSpec): Record<string, unknown> {
  return {
    uid: spec.uid,
    title: spec.title,
    tags: [...spec.tags],
    schemaVersion: 39,
    version: 1,
    editable: false,
    time: { from: "now-1h", to: "now" },
    refresh: "10s",
    panels: spec.panels.map((panel, i) => ({
      id: i + 1,
      type: panel.kind,
      title: panel.title,
      datasource: DATASOURCE,
      // Two panels per row, 8 units high.
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: panel.unit ?? "short" }, overrides: [] },
      targets: panel.queries.map((query, q) => ({
        refId: String.fromCharCode(65 + q),
        datasource: DATASOURCE,
        expr: query.expr,
        legendFormat: query.legend ?? "",
      })),
    })),
  };
}
