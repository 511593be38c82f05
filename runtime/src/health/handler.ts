import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { HEALTH_CONTENT_TYPE, type HealthDocument, httpStatusOf } from "./format.ts";
import type { Health } from "./health.ts";

/** Options of {@link createHealthHandler}. */
export interface HealthHandlerOptions {
  /** Where the probes live. Default `/health`: `/health` (readiness), `/health/live`, `/health/ready`, `/health/startup`. */
  readonly basePath?: string;
  /** Also answer `/live` and `/ready` (the paths of earlier versions). Default false. */
  readonly legacyPaths?: boolean;
  /** Serve this registry at `/metrics`. Default: no `/metrics`. */
  readonly metrics?: Registry;
}

type Probe = "live" | "ready" | "startup" | "metrics";

/** Serialized documents: a readiness document served from cached results is the same object each time. */
const bodies = new WeakMap<HealthDocument, string>();

/**
 * A Node request handler `(req, res, next?)`: answers its own paths and hands every other one to
 * `next()` (404 when there is no `next`). `handles(req)` says beforehand whether it would answer,
 * for frameworks that must know (Fastify's `reply.hijack()`).
 */
export interface HealthHandler {
  (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void): Promise<void>;
  /** Whether this handler would answer `request` (one of its probe paths), before calling it. */
  handles(request: IncomingMessage): boolean;
}

/**
 * The probes over HTTP in the health+json format (`application/health+json`, 200 for pass/warn,
 * 503 for fail, `Cache-Control: no-store`).
 *
 * @example
 * ```ts
 * // node:http
 * const handler = createHealthHandler(health);
 * createServer((req, res) => handler(req, res, () => app(req, res)));
 * // Express 5
 * app.use(createHealthHandler(health));
 * // Fastify 5: answer before routing, and tell Fastify the reply is ours
 * fastify.addHook("onRequest", (request, reply, done) => {
 *   if (!handler.handles(request.raw)) return done();
 *   reply.hijack();
 *   void handler(request.raw, reply.raw);
 * });
 * ```
 */
export function createHealthHandler(health: Health, options: HealthHandlerOptions = {}): HealthHandler {
  const base = (options.basePath ?? "/health").replace(/\/+$/, "");
  const routes = new Map<string, Probe>([
    [base || "/", "ready"],
    [`${base}/live`, "live"],
    [`${base}/ready`, "ready"],
    [`${base}/startup`, "startup"],
  ]);
  if (options.legacyPaths) {
    routes.set("/live", "live");
    routes.set("/ready", "ready");
  }
  if (options.metrics) routes.set("/metrics", "metrics");
  const probeOf = (request: IncomingMessage): Probe | undefined => routes.get(pathOf(request.url));

  const handler = async (
    request: IncomingMessage,
    response: ServerResponse,
    next?: (error?: unknown) => void,
  ): Promise<void> => {
    const probe = probeOf(request);
    if (!probe) {
      if (next) return next();
      return send(response, request, 404, "text/plain; charset=utf-8", "not found\n");
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      return send(response, request, 405, "text/plain; charset=utf-8", "method not allowed\n");
    }
    try {
      if (probe === "metrics") {
        const registry = options.metrics!;
        const body = await registry.metrics();
        return send(response, request, 200, registry.contentType, body);
      }
      const document: HealthDocument =
        probe === "live" ? health.live() : probe === "ready" ? await health.ready() : await health.startup();
      let body = bodies.get(document);
      if (body === undefined) {
        body = JSON.stringify(document);
        bodies.set(document, body);
      }
      send(response, request, httpStatusOf(document.status), HEALTH_CONTENT_TYPE, body);
    } catch (error) {
      // A probe must answer even when something unexpected broke: as a failure, not a hang.
      const output = error instanceof Error ? error.message : String(error);
      send(
        response,
        request,
        503,
        HEALTH_CONTENT_TYPE,
        JSON.stringify({ status: "fail", output, checks: {} }),
      );
    }
  };
  return Object.assign(handler, { handles: (request: IncomingMessage) => probeOf(request) !== undefined });
}

function pathOf(url: string | undefined): string {
  const raw = url ?? "/";
  const end = raw.search(/[?#]/);
  const path = end === -1 ? raw : raw.slice(0, end);
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

function send(
  response: ServerResponse,
  request: IncomingMessage,
  status: number,
  contentType: string,
  body: string,
): void {
  if (response.headersSent) return;
  response.writeHead(status, {
    "content-type": contentType,
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  });
  response.end(request.method === "HEAD" ? undefined : body);
}
