import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the proxy does with one request. */
export type Fault =
  | { readonly kind: "pass" }
  /** Answers this status itself, without a body (as a load balancer does). */
  | { readonly kind: "status"; readonly status: number }
  /** Forwards the request headers and the first `afterBytes` of its body, then stops forwarding. */
  | { readonly kind: "stall-request"; readonly afterBytes: number }
  /** Forwards the answer's headers and first `afterBytes` of its body, then stops. */
  | { readonly kind: "stall-response"; readonly afterBytes: number };

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  /** Whether the client hung up before the exchange finished. */
  clientClosedEarly: boolean;
}

/**
 * A TCP-level man in the middle between the SDK and the real S3 gateway, to provoke what the
 * gateway does not do on demand: 5xx answers, a stalled upload, a stalled download. Every
 * request it passes on reaches the real gateway unchanged (SigV4 signs the Host header, which
 * it keeps).
 */
export async function startFaultProxy(
  target: string,
  decide: (request: IncomingMessage, index: number) => Fault,
) {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: SeenRequest = { method: req.method ?? "", url: req.url ?? "", clientClosedEarly: false };
    seen.push(entry);
    const fault = decide(req, seen.length - 1);
    res.on("close", () => {
      if (!res.writableFinished) entry.clientClosedEarly = true;
    });
    if (fault.kind === "status") {
      req.resume();
      res.writeHead(fault.status, { "content-length": "0" }).end();
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (fault.kind !== "stall-response") {
          answer.pipe(res);
          return;
        }
        let sent = 0;
        answer.on("data", (chunk: Buffer) => {
          const room = fault.afterBytes - sent;
          if (room > 0) res.write(chunk.subarray(0, room));
          sent += chunk.length;
          if (sent >= fault.afterBytes) answer.pause();
        });
      },
    );
    forward.on("error", () => res.destroy());
    // The client hanging up tears the upstream request down too: the gateway sees a truncated PUT.
    req.on("close", () => {
      if (!req.complete) forward.destroy();
    });
    res.on("close", () => forward.destroy());
    if (fault.kind !== "stall-request") {
      req.pipe(forward);
      return;
    }
    let sent = 0;
    req.on("data", (chunk: Buffer) => {
      const room = fault.afterBytes - sent;
      if (room > 0) forward.write(chunk.subarray(0, room));
      sent += chunk.length;
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
