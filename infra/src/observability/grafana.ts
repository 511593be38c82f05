import { dashboardFiles } from "@aios/dashboards";

// Grafana provisioning files: the Prometheus data source and the dashboards of dashboards/.

export function grafanaUploads(prometheusUrl: string): { file: string; content: string }[] {
  const datasource = {
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: "prometheus",
        type: "prometheus",
        access: "proxy",
        url: prometheusUrl,
        isDefault: true,
      },
    ],
  };
  const provider = {
    apiVersion: 1,
    providers: [
      {
        name: "aios",
        folder: "AIOS",
        type: "file",
        disableDeletion: true,
        options: { path: "/var/lib/grafana/dashboards/aios" },
      },
    ],
  };
  // Grafana reads YAML; JSON is valid YAML.
  return [
    { file: "/etc/grafana/provisioning/datasources/aios.yaml", content: JSON.stringify(datasource) },
    { file: "/etc/grafana/provisioning/dashboards/aios.yaml", content: JSON.stringify(provider) },
    ...Object.entries(dashboardFiles()).map(([name, content]) => ({
      file: `/var/lib/grafana/dashboards/aios/${name}`,
      content,
    })),
  ];
}
