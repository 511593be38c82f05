// The server side of `npm run bench:health`, in a process of its own so the load generator never
// shares its event loop, heap or garbage collector with the server it measures.
//   health-target.ts health  → the SDK's health server: 5 cached checks and ~SERIES series at /metrics
//   health-target.ts bare    → node:http answering a fixed body: what the machine itself costs
// It tells its parent the URL over IPC, answers {render: n} with the median time of n registry
// renders, and exits when the parent disconnects.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { Gauge } from "prom-client";
import { functionCheck, startHealthServer } from "../runtime/src/health/index.ts";
import { createMetricsRegistry } from "../runtime/src/metrics/index.ts";
import { flag, median } from "./lib.ts";

const SERIES = flag("series", 2000);
const kind = process.argv[2];

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

async function start(): Promise<{ url: string; registry?: Registry }> {
  if (kind === "bare") {
    const bare = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"status":"pass"}');
    });
    await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/` };
  }
  if (kind !== "health") throw new Error(`health-target: unknown kind ${String(kind)} (health | bare)`);
  const registry = registryWithSeries();
  const checks = Array.from({ length: 5 }, (_, i) =>
    functionCheck({ name: `dependency-${i}`, cacheMs: 60_000 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }),
  );
  const server = await startHealthServer({ checks, registry });
  return { url: server.url, registry };
}

const { url, registry } = await start();
process.on("message", (message: { render?: number }) => {
  void (async () => {
    const renders: number[] = [];
    for (let i = 0; i < (message.render ?? 0); i++) {
      const started = performance.now();
      await registry?.metrics();
      renders.push(performance.now() - started);
    }
    process.send?.({ renderMs: median(renders) });
  })();
});
process.on("disconnect", () => process.exit(0));
process.send?.({ url });
