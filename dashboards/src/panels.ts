import * as common from "@grafana/grafana-foundation-sdk/common";
import { type Dashboard, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

// Small conveniences over the Grafana foundation SDK's typed builders, so every panel of every
// dashboard looks the same: the provisioned data source, a legend, a multi-series tooltip, one
// refId per query.

/** The data source infra provisions (infra/src/observability/grafana.ts uses the same uid). */
export const DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

/** One PromQL query of a panel and its legend template. */
export interface Query {
  readonly expr: string;
  readonly legend?: string;
}

export interface PanelOptions {
  readonly title: string;
  readonly description?: string;
  /** Grafana unit id: `ops`, `s`, `bytes`, `Bps`, `percentunit`… */
  readonly unit?: string;
  /** Width in grid columns (24 = full width); default 12. */
  readonly span?: number;
  readonly queries: readonly Query[];
}

function targets(queries: readonly Query[]): DataqueryBuilder[] {
  return queries.map((query, i) =>
    new DataqueryBuilder()
      .datasource(DATASOURCE)
      .expr(query.expr)
      .legendFormat(query.legend ?? "__auto")
      .refId(String.fromCharCode(65 + i)),
  );
}

/** A time series panel (rates, depths, latencies over time). */
export function timeseriesPanel(options: PanelOptions): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(options.title)
    .datasource(DATASOURCE)
    .unit(options.unit ?? "short")
    .height(8)
    .span(options.span ?? 12)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi))
    .targets(targets(options.queries));
  return options.description ? panel.description(options.description) : panel;
}

/** A stat panel (the latest value, large: counts, up/down). */
export function statPanel(options: PanelOptions): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(options.title)
    .datasource(DATASOURCE)
    .unit(options.unit ?? "short")
    .height(5)
    .span(options.span ?? 6)
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .targets(targets(options.queries));
  return options.description ? panel.description(options.description) : panel;
}

/** Builds a dashboard and numbers its panels (Grafana needs an id per panel; the SDK leaves them unset). */
export function buildDashboard(builder: DashboardBuilder): Dashboard {
  const dashboard = builder.build();
  dashboard.panels?.forEach((panel, i) => {
    panel.id = i + 1;
  });
  return dashboard;
}
