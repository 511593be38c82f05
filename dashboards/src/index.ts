import type { Dashboard, DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { agentsHealth } from "./agents.ts";
import { messagingOverview } from "./messaging.ts";
import { buildDashboard } from "./panels.ts";
import { storageOverview } from "./storage.ts";
import { systemOverview } from "./overview.ts";

// @aios/dashboards: the AIOS Grafana dashboards, written with the Grafana foundation SDK's typed
// builders and rendered to the JSON that infra provisions (dashboardFiles(); committed under
// dashboards/generated/ by `npm run build -w @aios/dashboards`).

export { agentsHealth, messagingOverview, storageOverview, systemOverview };
export { DATASOURCE, type PanelOptions, type Query, statPanel, timeseriesPanel } from "./panels.ts";

/** Every dashboard's builder, the overview first. */
export const allDashboards: readonly DashboardBuilder[] = [
  systemOverview,
  messagingOverview,
  storageOverview,
  agentsHealth,
];

/** Every dashboard as the model Grafana stores (panels numbered). */
export function dashboardModels(): Dashboard[] {
  return allDashboards.map(buildDashboard);
}

/** One PromQL query of one panel, with where it sits (for the tests that run every query). */
export interface PanelQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

/** Every panel query of every dashboard. */
export function panelQueries(): PanelQuery[] {
  return dashboardModels().flatMap((dashboard) =>
    (dashboard.panels ?? []).flatMap((panel) =>
      "targets" in panel
        ? (panel.targets ?? []).map((target) => {
            // Every target is a Prometheus DataqueryBuilder's output (panels.ts).
            const query = target as { refId?: string; expr?: string };
            return {
              dashboard: dashboard.uid ?? "",
              panel: panel.title ?? "",
              refId: query.refId ?? "",
              expr: query.expr ?? "",
            };
          })
        : [],
    ),
  );
}

/**
 * Every dashboard as the JSON file Grafana provisions, keyed by file name (`<uid>.json`): what
 * infra uploads (today as provisioning files, with the Grafana provider as dashboard resources).
 */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    dashboardModels().map((dashboard) => [
      `${dashboard.uid}.json`,
      `${JSON.stringify(dashboard, null, 2)}\n`,
    ]),
  );
}
