import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { renderMetrics } from "../metrics/index.ts";
import { type HealthCheck, runHealthChecks } from "./check.ts";

/** What a health server checks and serves: the checks, the metrics registry, and where to listen. */
export interface HealthServerOptions {
  readonly checks: readonly HealthCheck[];
  readonly registry?: Registry;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default 127.0.0.1; bind wider only behind a network you trust. */
  readonly host?: string;
}

/** A running health server: its URL and port, readiness control and `close`. */
export interface HealthServer {
  readonly url: string;
  readonly port: number;
  /** After this, /ready answers 503 so load balancers stop sending work while the process drains. */
  markNotReady(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** A request handler for /live, /ready, /health (application/health+json) and /metrics. */
export function createHealthHandler(
  options: Omit<HealthServerOptions, "port" | "host"> & { isReady?: () => boolean },
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (path === "/live")
      return send(response, 200, "application/health+json", JSON.stringify({ status: "ok" }));
    if (path === "/ready" || path === "/health") {
      const report = await runHealthChecks(options.checks);
      const ready = (options.isReady?.() ?? true) && report.status !== "down";
      const status = path === "/ready" && !ready ? "down" : report.status;
      return send(
        response,
        status === "down" ? 503 : 200,
        "application/health+json",
        JSON.stringify({ ...report, status }),
      );
    }
    if (path === "/metrics" && options.registry) {
      const metrics = await renderMetrics(options.registry);
      return send(response, 200, metrics.contentType, metrics.body);
    }
    return send(response, 404, "text/plain", "not found\n");
  };
}

/**
 * Starts an HTTP server with `/health` (every check), `/ready` (503 once not ready or when a
 * critical check fails) and `/metrics` (the registry in Prometheus' text format).
 *
 * @example
 * ```ts
 * const health = await startHealthServer({
 *   checks: [brokerCheck(connection), httpCheck({ name: "s3", url: `${env.AIOS_S3_ENDPOINT}/` })],
 *   port: 8080,
 * });
 * process.on("SIGTERM", async () => {
 *   health.markNotReady(); // load balancers stop sending work
 *   await consumer.stop();
 *   await health.close();
 * });
 * ```
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  let ready = true;
  const handler = createHealthHandler({ ...options, isReady: () => ready });
  const server = createServer((request, response) => {
    handler(request, response).catch((error: Error) =>
      send(response, 500, "text/plain", `${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    markNotReady: () => {
      ready = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  response.end(body);
}
