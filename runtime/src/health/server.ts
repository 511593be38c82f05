import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { processRegistry } from "../metrics/index.ts";
import type { HealthCheck } from "./check.ts";
import { createHealthHandler } from "./handler.ts";
import { Health, type HealthOptions } from "./health.ts";

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions extends Omit<HealthOptions, "registry"> {
  /** An existing Health; otherwise one is made from `checks` and the other HealthOptions. */
  readonly health?: Health;
  readonly checks?: readonly HealthCheck[];
  /** Served at `/metrics`, and where the check gauge is recorded. Default: the process registry. */
  readonly registry?: Registry;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default 127.0.0.1; bind wider only behind a network you trust. */
  readonly host?: string;
  /** Default `/health`. */
  readonly basePath?: string;
}

/** A running health server. */
export interface HealthServer {
  /** e.g. `http://127.0.0.1:9464` */
  readonly url: string;
  readonly port: number;
  readonly health: Health;
  /** Readiness answers 503 from now on (same as `health.markShuttingDown()`). */
  markNotReady(): void;
  /** Stops listening and closes idle keep-alive connections. */
  close(): Promise<void>;
}

/**
 * A small HTTP server for the probes (`/health`, `/health/live`, `/health/ready`,
 * `/health/startup`, and `/live`, `/ready` as before) and `/metrics`.
 *
 * @throws Error (EADDRINUSE…) when it cannot listen.
 * @example
 * ```ts
 * const server = await startHealthServer({ checks: [rabbitmqCheck(connection)], port: 9464 });
 * console.log(`${server.url}/health/ready`);
 * ```
 */
export async function startHealthServer(options: HealthServerOptions = {}): Promise<HealthServer> {
  const registry = options.registry ?? processRegistry();
  const health = options.health ?? new Health({ ...options, registry });
  const handler = createHealthHandler(health, {
    metrics: registry,
    legacyPaths: true,
    ...(options.basePath === undefined ? {} : { basePath: options.basePath }),
  });
  const server = createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    health,
    markNotReady: () => health.markShuttingDown(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
