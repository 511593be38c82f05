import { stringify } from "yaml";
import type { FilePlan } from "../containers/plan.ts";

// Grafana provisioning as files in the Grafana container (the Grafana provider is not installed):
// the Prometheus data source and the dashboards of dashboards/ (the same JSON as
// dashboards/generated/, rendered from the TypeScript builders).

export const DASHBOARDS_DIR = "/var/lib/grafana/dashboards/aios";

export function grafanaFiles(options: {
  readonly prometheusUrl: string;
  readonly dashboards: Readonly<Record<string, string>>;
}): FilePlan[] {
  const datasources = {
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        // The dashboards reference this uid.
        uid: "prometheus",
        type: "prometheus",
        access: "proxy",
        url: options.prometheusUrl,
        isDefault: true,
        editable: false,
      },
    ],
  };
  const providers = {
    apiVersion: 1,
    providers: [
      {
        name: "aios",
        folder: "AIOS",
        type: "file",
        disableDeletion: true,
        // Changes go through dashboards/src and a deploy, not the UI.
        allowUiUpdates: false,
        options: { path: DASHBOARDS_DIR },
      },
    ],
  };
  return [
    { file: "/etc/grafana/provisioning/datasources/aios.yaml", content: stringify(datasources) },
    { file: "/etc/grafana/provisioning/dashboards/aios.yaml", content: stringify(providers) },
    ...Object.entries(options.dashboards).map(([name, content]) => ({
      file: `${DASHBOARDS_DIR}/${name}`,
      content,
    })),
  ];
}
