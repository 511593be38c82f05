/**
 * The status page: one self-contained document (no external assets: operators open it where
 * nothing else may be reachable). It polls `api/status` and draws with textContent only, so a
 * queue or alert name can never inject markup.
 */
export function statusPage(options: { readonly refreshMs: number }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AIOS status</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
  body { margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
  header { display: flex; align-items: baseline; gap: 1rem; }
  h1 { margin: 0; font-size: 1.5rem; }
  h2 { font-size: 1.05rem; margin: 1.6rem 0 .5rem; }
  #overall { font-weight: 600; padding: .15rem .6rem; border-radius: 1rem; color: #fff; }
  #updated { color: #5b6270; font-size: .9rem; }
  table { width: 100%; border-collapse: collapse; background: #fff; border-radius: 6px; overflow: hidden; }
  th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid #e4e6eb; font-size: .92rem; }
  th { background: #eceef2; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .pass { background: #1f9d55; } .warn { background: #d98b06; } .fail { background: #d1343b; }
  .dot { display: inline-block; width: .7rem; height: .7rem; border-radius: 50%; margin-right: .4rem; }
  .bad { color: #d1343b; font-weight: 600; }
  .error { color: #d1343b; margin: .3rem 0; }
  .empty { color: #5b6270; font-style: italic; }
  nav a { margin-right: 1rem; }
</style>
</head>
<body>
<header><h1>AIOS status</h1><span id="overall">…</span><span id="updated">loading</span></header>
<nav id="links"></nav>
<h2>Services and agents</h2><div id="services-error" class="error"></div>
<table id="services"><thead><tr><th>name</th><th>kind</th><th>status</th><th>detail</th></tr></thead><tbody></tbody></table>
<h2>Firing alerts</h2><div id="alerts-error" class="error"></div>
<table id="alerts"><thead><tr><th>alert</th><th>severity</th><th>summary</th><th>since</th></tr></thead><tbody></tbody></table>
<h2>Queues</h2><div id="queues-error" class="error"></div>
<table id="queues"><thead><tr><th>queue</th><th>role</th><th>ready</th><th>unacked</th><th>consumers</th></tr></thead><tbody></tbody></table>
<script>
const REFRESH_MS = ${JSON.stringify(options.refreshMs)};
function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}
function fill(id, rows, draw, emptyText) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = body.insertRow();
    const td = cell(tr, emptyText, "empty");
    td.colSpan = 5;
  }
  for (const row of rows) draw(body.insertRow(), row);
}
function render(s) {
  const worst = s.services.some((x) => x.status === "fail") || s.alerts.some((a) => a.severity === "critical")
    ? "fail" : s.services.some((x) => x.status === "warn") || s.alerts.length > 0 ? "warn" : "pass";
  const overall = document.getElementById("overall");
  overall.textContent = worst;
  overall.className = worst;
  document.getElementById("updated").textContent = "vhost " + s.vhost + " · updated " + new Date(s.time).toLocaleTimeString();
  for (const section of ["services", "alerts", "queues"])
    document.getElementById(section + "-error").textContent = s.errors[section] ? "could not read: " + s.errors[section] : "";
  fill("services", s.services, (tr, x) => {
    cell(tr, x.name); cell(tr, x.kind);
    const status = cell(tr, x.status);
    const dot = document.createElement("span"); dot.className = "dot " + x.status; status.prepend(dot);
    cell(tr, x.output || "");
    tr.dataset.status = x.status;
  }, "no services checked");
  fill("alerts", s.alerts, (tr, a) => {
    cell(tr, a.name, "bad"); cell(tr, a.severity); cell(tr, a.summary); cell(tr, new Date(a.since).toLocaleString());
  }, "none firing");
  fill("queues", s.queues, (tr, q) => {
    cell(tr, q.name); cell(tr, q.role);
    cell(tr, q.ready, "num" + (q.role === "dead-letter" && q.ready > 0 ? " bad" : ""));
    cell(tr, q.unacked, "num");
    cell(tr, q.consumers, "num" + (q.role === "work" && q.consumers === 0 ? " bad" : ""));
    tr.dataset.queue = q.name;
  }, "no queues");
  const links = document.getElementById("links");
  links.replaceChildren();
  for (const [name, href] of Object.entries({
    "RabbitMQ management": s.links.rabbitmq, Prometheus: s.links.prometheus,
    Alertmanager: s.links.alertmanager, Grafana: s.links.grafana })) {
    if (!href) continue;
    const a = document.createElement("a"); a.href = href; a.textContent = name; links.appendChild(a);
  }
}
async function refresh() {
  try {
    const response = await fetch("api/status", { cache: "no-store" });
    if (!response.ok) throw new Error("status " + response.status);
    render(await response.json());
  } catch (error) {
    document.getElementById("updated").textContent = "could not refresh: " + error.message;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}
refresh();
</script>
</body>
</html>
`;
}
