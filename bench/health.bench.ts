// npm run bench:health [-- --quick]
// The health endpoint with 5 cached checks under 500 requests/s (autocannon on loopback, in a
// worker thread so the load generator does not share the server's event loop), and /metrics
// rendering a registry of about 2,000 series. Floors: health p99 < 5 ms, /metrics < 20 ms.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import type { Registry } from "prom-client";
import { Gauge } from "prom-client";
import { functionCheck, startHealthServer } from "../runtime/src/health/index.ts";
import { createMetricsRegistry } from "../runtime/src/metrics/index.ts";
import { flag, median, percentile, quick, round2 } from "./lib.ts";

const RATE = flag("rate", 500);
const SECONDS = flag("seconds", quick ? 5 : 10);
const ROUNDS = quick ? 1 : 3;
const SERIES = flag("series", 2000);
const FLOORS = { health_p99_ms: 5, metrics_ms: 20 };

/** ~SERIES series on top of the process defaults: 20 labelled gauges of SERIES/20 children. */
function registryWithSeries(): Registry {
  const registry = createMetricsRegistry({ agent: "bench" });
  const perMetric = Math.ceil(SERIES / 20);
  for (let m = 0; m < 20; m++) {
    const gauge = new Gauge({
      name: `bench_series_${m}`,
      help: "synthetic series for the /metrics benchmark",
      labelNames: ["queue", "outcome"],
      registers: [registry],
    });
    for (let i = 0; i < perMetric; i++)
      gauge.set({ queue: `agents.q${i}`, outcome: "ack" }, Math.random() * 1000);
  }
  return registry;
}

const registry = registryWithSeries();
const checks = Array.from({ length: 5 }, (_, i) =>
  functionCheck({ name: `dependency-${i}`, cacheMs: 60_000 }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }),
);
const server = await startHealthServer({ checks, registry });
const results: Record<string, number | boolean | string> = {};

// The series /metrics exposes (lines that are neither comments nor blank).
const exposition = await (await fetch(`${server.url}/metrics`)).text();
results.metrics_series = exposition.split("\n").filter((line) => line && !line.startsWith("#")).length;

// Warm the cache: what the floor is about is a probe served from fresh results.
await fetch(`${server.url}/health/ready`);

const load = (url: string) =>
  autocannon({ url, connections: 10, overallRate: RATE, duration: SECONDS, workers: 1 });

{
  // The same load on a bare node:http server answering a fixed body: what the machine itself
  // costs right now (shared cores), to read the health figures against. Rounds interleaved,
  // every other one in reverse order; the medians of the rounds are reported.
  const bare = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"status":"pass"}');
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const urls = {
    baseline: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`,
    health: `${server.url}/health/ready`,
  };
  const runs: Record<keyof typeof urls, autocannon.Result[]> = { baseline: [], health: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const order = Object.keys(urls) as (keyof typeof urls)[];
    if (round % 2 === 0) order.reverse();
    for (const name of order) {
      const run = await load(urls[name]);
      runs[name].push(run);
      process.stderr.write(
        `  round ${round}: ${name} p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms\n`,
      );
    }
  }
  bare.close();
  const of = (name: keyof typeof urls, pick: (run: autocannon.Result) => number) =>
    round2(median(runs[name].map(pick)));
  results.baseline_p50_ms = of("baseline", (run) => run.latency.p50);
  results.baseline_p99_ms = of("baseline", (run) => run.latency.p99);
  results.health_rate_req_per_s = RATE;
  results.health_requests = runs.health.reduce((sum, run) => sum + run.requests.total, 0);
  results.health_non_2xx = runs.health.reduce((sum, run) => sum + run.non2xx, 0);
  results.health_errors = runs.health.reduce((sum, run) => sum + run.errors + run.timeouts, 0);
  results.health_p50_ms = of("health", (run) => run.latency.p50);
  results.health_p99_ms = of("health", (run) => run.latency.p99);
  results.health_max_ms = of("health", (run) => run.latency.max);
}

{
  // Sequential scrapes, as Prometheus does: time from request to the last byte.
  const times: number[] = [];
  const renders: number[] = [];
  for (let i = 0; i < (quick ? 30 : 100); i++) {
    const started = performance.now();
    const body = await (await fetch(`${server.url}/metrics`)).text();
    times.push(performance.now() - started);
    if (body.length === 0) throw new Error("/metrics answered an empty body");
    const render = performance.now();
    await registry.metrics();
    renders.push(performance.now() - render);
  }
  results.metrics_ms = round2(median(times));
  results.metrics_p99_ms = round2(percentile(times, 99));
  results.metrics_render_ms = round2(median(renders));
}

await server.close();

const met = results.health_p99_ms < FLOORS.health_p99_ms && results.metrics_ms < FLOORS.metrics_ms;
results.floors_met = met && results.health_non_2xx === 0 && results.health_errors === 0;
for (const [key, value] of Object.entries(results)) process.stdout.write(`${key.padEnd(28)} ${value}\n`);
if (!results.floors_met)
  process.stderr.write(
    `health bench: below its floors (health p99 < ${FLOORS.health_p99_ms} ms, /metrics < ${FLOORS.metrics_ms} ms, no errors)\n`,
  );
process.stdout.write(
  `${JSON.stringify({ bench: "health", seconds: SECONDS, rounds: ROUNDS, ...results })}\n`,
);
