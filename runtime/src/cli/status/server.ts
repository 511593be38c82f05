import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectStatus, type StatusSources } from "./collect.ts";
import { statusPage } from "./page.ts";

export interface StatusServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the status page at `/` and its data at `/api/status`, both never cached. */
export async function startStatusServer(
  sources: StatusSources,
  options: { readonly port?: number; readonly host?: string; readonly refreshMs?: number } = {},
): Promise<StatusServer> {
  const page = statusPage({ refreshMs: options.refreshMs ?? 2000 });
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(body);
    };
    if (request.method !== "GET") return send(405, "text/plain", "only GET\n");
    if (path === "/") return send(200, "text/html; charset=utf-8", page);
    if (path === "/api/status") {
      collectStatus(sources).then(
        (snapshot) => send(200, "application/json", JSON.stringify(snapshot)),
        (error: Error) => send(500, "text/plain", `${error.message}\n`),
      );
      return;
    }
    send(404, "text/plain", "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
