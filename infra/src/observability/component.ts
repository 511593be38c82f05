import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import type { GrafanaPlan } from "./grafana.ts";

export interface GrafanaContentArgs {
  readonly plan: GrafanaPlan;
  readonly provider: grafana.Provider;
}

/**
 * The stack's Grafana content through the Grafana provider: the AIOS folder, the Prometheus data
 * source and one dashboard resource per generated dashboard. An edited dashboard is updated in
 * place; a dashboard removed from dashboards/ is deleted from Grafana.
 */
export class GrafanaContent extends pulumi.ComponentResource {
  readonly dashboardUids: pulumi.Output<string[]>;

  constructor(name: string, args: GrafanaContentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:observability:GrafanaContent", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const { plan } = args;
    const folder = new grafana.oss.Folder(
      `${name}-folder`,
      { uid: plan.folder.uid, title: plan.folder.title },
      child,
    );
    const datasource = new grafana.oss.DataSource(
      `${name}-datasource`,
      {
        name: plan.datasource.name,
        uid: plan.datasource.uid,
        type: plan.datasource.type,
        url: plan.datasource.url,
        accessMode: plan.datasource.accessMode,
        isDefault: plan.datasource.isDefault,
      },
      child,
    );
    const dashboards = plan.dashboards.map(
      (dashboard) =>
        new grafana.oss.Dashboard(
          `${name}-dashboard-${dashboard.uid}`,
          { folder: folder.uid, configJson: dashboard.configJson, overwrite: true },
          // The panels query the data source by uid: it exists before a dashboard does.
          { ...child, dependsOn: [datasource] },
        ),
    );
    this.dashboardUids = pulumi.all(dashboards.map((d) => d.uid));
    this.registerOutputs({ dashboardUids: this.dashboardUids });
  }
}
