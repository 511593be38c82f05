import { agentsHealth } from "./agents.ts";
import { type DashboardSpec, renderDashboard } from "./grafana.ts";
import { messagingOverview } from "./messaging.ts";
import { storageOverview } from "./storage.ts";

export { agentsHealth, messagingOverview, storageOverview };
export {
  DATASOURCE,
  type DashboardSpec,
  type PanelSpec,
  type QuerySpec,
  renderDashboard,
} from "./grafana.ts";

export const allDashboards: readonly DashboardSpec[] = [messagingOverview, storageOverview, agentsHealth];

/** Every dashboard as the JSON file Grafana provisions, keyed by file name (`<uid>.json`). */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    allDashboards.map((d) => [`${d.uid}.json`, `${JSON.stringify(renderDashboard(d), null, 2)}\n`]),
  );
}
