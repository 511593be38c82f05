import { allDashboards } from "./dashboards.ts";
import { renderDashboard } from "./grafana.ts";

export { agentsHealth, allDashboards, messagingOverview } from "./dashboards.ts";
export { type DashboardSpec, type PanelSpec, renderDashboard } from "./grafana.ts";

/** Every dashboard as the JSON file Grafana provisions, keyed by file name. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    allDashboards.map((d) => [`${d.uid}.json`, `${JSON.stringify(renderDashboard(d), null, 2)}\n`]),
  );
}
