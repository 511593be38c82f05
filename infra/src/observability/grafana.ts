import { InfraPlanError } from "../errors.ts";

// Pure description of what the Grafana provider declares in the Grafana container: one folder,
// the Prometheus data source the dashboards reference, and the dashboards that dashboards/
// generates (its exported `dashboardFiles()`, so a change of how dashboards/ builds its JSON is
// transparent here). No Pulumi here; observability/component.ts instantiates it.

/** The data source uid the generated dashboards reference. */
export const DATASOURCE_UID = "prometheus";
export const FOLDER = { uid: "aios", title: "AIOS" } as const;

export interface GrafanaDashboardPlan {
  /** The file name dashboards/ gives it (`<uid>.json`); names the Pulumi resource. */
  readonly file: string;
  readonly uid: string;
  readonly title: string;
  /** The dashboard JSON as the provider sends it (config_json). */
  readonly configJson: string;
}

export interface GrafanaPlan {
  readonly folder: { readonly uid: string; readonly title: string };
  readonly datasource: {
    readonly name: string;
    readonly uid: string;
    readonly type: "prometheus";
    readonly url: string;
    readonly accessMode: "proxy";
    readonly isDefault: true;
  };
  readonly dashboards: readonly GrafanaDashboardPlan[];
}

/**
 * The folder, data source and dashboards of a stack's Grafana.
 *
 * @throws InfraPlanError when a dashboard is not JSON or has no uid/title (Grafana would refuse it
 *   or give it a random uid, and the next deploy would create a second copy).
 */
export function grafanaPlan(options: {
  readonly prometheusUrl: string;
  readonly dashboards: Readonly<Record<string, string>>;
}): GrafanaPlan {
  const dashboards = Object.entries(options.dashboards).map(([file, content]): GrafanaDashboardPlan => {
    let parsed: { uid?: unknown; title?: unknown };
    try {
      parsed = JSON.parse(content) as { uid?: unknown; title?: unknown };
    } catch (cause) {
      throw new InfraPlanError(`dashboards: ${file} is not JSON`, { cause });
    }
    if (typeof parsed.uid !== "string" || typeof parsed.title !== "string") {
      throw new InfraPlanError(`dashboards: ${file} has no string uid and title`);
    }
    // Grafana assigns ids; a dashboard JSON carrying one would fight the provider.
    const { id: _id, ...withoutId } = parsed as Record<string, unknown>;
    return { file, uid: parsed.uid, title: parsed.title, configJson: JSON.stringify(withoutId) };
  });
  return {
    folder: { ...FOLDER },
    datasource: {
      name: "Prometheus",
      uid: DATASOURCE_UID,
      type: "prometheus",
      url: options.prometheusUrl,
      accessMode: "proxy",
      isDefault: true,
    },
    dashboards,
  };
}
