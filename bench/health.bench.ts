// npm run bench:health [-- --quick]
// The health endpoint with 5 cached checks under 500 requests/s (autocannon on loopback), and
// /metrics rendering a registry of about 2,000 series. Floors: health p99 < 5 ms, /metrics < 20 ms.
// Each server runs in a process of its own (./health-target.ts) and this process only generates
// load, so what is measured is the server, not the load generator's event loop or garbage
// collector; the bare node:http server beside it gets the same treatment, as the machine's own cost.
import { type ChildProcess, fork } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { flag, median, percentile, quick, round2 } from "./lib.ts";

const RATE = flag("rate", 500);
const SECONDS = flag("seconds", quick ? 5 : 10);
const ROUNDS = quick ? 1 : 5;
const WARMUP_SECONDS = 3;
const FLOORS = { health_p99_ms: 5, metrics_ms: 20 };
// Tail latency on a 2-core machine shared with the broker and the S3 gateway is mostly time spent
// waiting for a core. The benchmark's processes (load generator and both servers alike) ask the
// scheduler for a higher priority where allowed (root), and the JSON says which priority they ran at.
const PRIORITY = flag("priority", -10);

function raisePriority(pid = 0): number {
  try {
    setPriority(pid, PRIORITY);
    return PRIORITY;
  } catch {
    return 0;
  }
}

interface Target {
  readonly url: string;
  readonly child: ChildProcess;
}

/** Starts ./health-target.ts as a child process and waits for the URL it listens on. */
async function startTarget(kind: "health" | "bare"): Promise<Target> {
  const child = fork(
    fileURLToPath(new URL("./health-target.ts", import.meta.url)),
    [kind, ...process.argv.slice(2)],
    {
      execArgv: ["--conditions=source", "--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  raisePriority(child.pid);
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (message: { url: string }) => resolve(message.url));
    child.once("exit", (code) =>
      reject(new Error(`health-target ${kind} exited with ${code} before listening`)),
    );
  });
  return { url, child };
}

async function renderMs(target: Target, renders: number): Promise<number> {
  const answer = new Promise<number>((resolve) =>
    target.child.once("message", (message: { renderMs: number }) => resolve(message.renderMs)),
  );
  target.child.send({ render: renders });
  return answer;
}

const results: Record<string, number | boolean | string> = { priority: raisePriority() };
const [health, bare] = await Promise.all([startTarget("health"), startTarget("bare")]);

// The series /metrics exposes (lines that are neither comments nor blank).
const exposition = await (await fetch(`${health.url}/metrics`)).text();
results.metrics_series = exposition.split("\n").filter((line) => line && !line.startsWith("#")).length;

// Warm the cache: what the floor is about is a probe served from fresh results.
await fetch(`${health.url}/health/ready`);

interface Load {
  readonly result: autocannon.Result;
  /** Every 2xx response's time, ms, as measured (no correction). */
  readonly responseMs: number[];
}

// autocannon's own latency histogram corrects for coordinated omission when a rate is set, with an
// expected interval of `Math.ceil(1 / rate)` where rate is requests per second per connection:
// 1 (ms), where the connection's requests are 20 ms apart, and its rate limiter sends each second's
// quota back to back anyway. Every response slower than 1 ms is then recorded again at each whole
// millisecond below its time: one 30 ms stall of the machine on 10 connections adds ~300 samples
// that were never requests. The floor is read on the responses as measured (every response's time,
// taken from autocannon's `response` event); autocannon's corrected p99 is reported beside it.
function load(url: string, seconds = SECONDS): Promise<Load> {
  const responseMs: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections: 10, overallRate: RATE, duration: seconds },
      (error: unknown, result) => (error ? reject(error as Error) : resolve({ result, responseMs })),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) responseMs.push(responseTime);
    });
  });
}

{
  // Rounds interleaved, every other one in reverse order; the medians of the rounds are reported.
  const urls = { baseline: bare.url, health: `${health.url}/health/ready` };
  const runs: Record<keyof typeof urls, Load[]> = { baseline: [], health: [] };
  // A short untimed run on each first, so no round measures JIT compilation or cold sockets.
  for (const url of Object.values(urls)) await load(url, WARMUP_SECONDS);
  for (let round = 1; round <= ROUNDS; round++) {
    const order = Object.keys(urls) as (keyof typeof urls)[];
    if (round % 2 === 0) order.reverse();
    for (const name of order) {
      const run = await load(urls[name]);
      runs[name].push(run);
      process.stderr.write(
        `  round ${round}: ${name} p50 ${round2(percentile(run.responseMs, 50))} ms, p99 ${round2(percentile(run.responseMs, 99))} ms` +
          ` (autocannon's corrected p99 ${run.result.latency.p99} ms)\n`,
      );
    }
  }
  const of = (name: keyof typeof urls, pick: (run: Load) => number) => round2(median(runs[name].map(pick)));
  const measured = (p: number) => (run: Load) => percentile(run.responseMs, p);
  results.baseline_p50_ms = of("baseline", measured(50));
  results.baseline_p99_ms = of("baseline", measured(99));
  results.health_rate_req_per_s = RATE;
  results.health_requests = runs.health.reduce((sum, run) => sum + run.result.requests.total, 0);
  results.health_non_2xx = runs.health.reduce((sum, run) => sum + run.result.non2xx, 0);
  results.health_errors = runs.health.reduce((sum, run) => sum + run.result.errors + run.result.timeouts, 0);
  results.health_p50_ms = of("health", measured(50));
  results.health_p99_ms = of("health", measured(99));
  results.health_max_ms = of("health", measured(100));
  results.baseline_p99_autocannon_ms = of("baseline", (run) => run.result.latency.p99);
  results.health_p99_autocannon_ms = of("health", (run) => run.result.latency.p99);
}

{
  // Sequential scrapes, as Prometheus does: time from request to the last byte.
  const times: number[] = [];
  for (let i = 0; i < (quick ? 30 : 100); i++) {
    const started = performance.now();
    const body = await (await fetch(`${health.url}/metrics`)).text();
    times.push(performance.now() - started);
    if (body.length === 0) throw new Error("/metrics answered an empty body");
  }
  results.metrics_ms = round2(median(times));
  results.metrics_p99_ms = round2(percentile(times, 99));
  results.metrics_render_ms = round2(await renderMs(health, quick ? 30 : 100));
}

for (const target of [health, bare]) target.child.disconnect();

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
