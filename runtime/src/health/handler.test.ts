import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { functionCheck } from "./checks.ts";
import { createHealthHandler } from "./handler.ts";
import { Health } from "./health.ts";
import { startHealthServer } from "./server.ts";

const pass = (name: string) => functionCheck({ name }, () => {});
const fail = (name: string, critical = true) =>
  functionCheck({ name, critical }, () => {
    throw new Error(`${name} refused the connection`);
  });

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What every mount must show: the probes in health+json, and every other path left to the app. */
async function expectProbesAndPassThrough(base: string): Promise<void> {
  const ready = await fetch(`${base}/health/ready`);
  expect(ready.status).toBe(200);
  expect(ready.headers.get("content-type")).toBe("application/health+json");
  expect(ready.headers.get("cache-control")).toBe("no-store");
  expect(await ready.json()).toMatchObject({
    status: "warn",
    checks: {
      "broker:responseTime": [{ componentId: "broker", status: "pass", observedUnit: "ms" }],
      "cache:responseTime": [
        { componentId: "cache", status: "fail", output: "cache refused the connection" },
      ],
    },
  });
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect(await (await fetch(`${base}/health/live`)).json()).toMatchObject({
    status: "pass",
    checks: { "process:uptime": [{ componentType: "system", observedUnit: "s", status: "pass" }] },
  });
  expect((await fetch(`${base}/health/startup`)).status).toBe(200);
  const app = await fetch(`${base}/api/orders?limit=1`);
  expect(app.status).toBe(200);
  expect(await app.text()).toBe("the app's own route");
}

function healthWithOneOptionalFailure(): Health {
  return new Health({ checks: [pass("broker"), fail("cache", false)], registry: false });
}

describe("the health handler mounted in", () => {
  it("plain node:http, handing unknown paths to next()", async () => {
    const handler = createHealthHandler(healthWithOneOptionalFailure());
    const base = await listen(
      createServer((request, response) =>
        handler(request, response, () => {
          response.end("the app's own route");
        }),
      ),
    );
    await expectProbesAndPassThrough(base);
  });

  it("Express 5 (app.use)", async () => {
    const app = express();
    app.use(createHealthHandler(healthWithOneOptionalFailure()));
    app.get("/api/orders", (_request, response) => {
      response.send("the app's own route");
    });
    await expectProbesAndPassThrough(await listen(createServer(app)));
  });

  it("Fastify 5 (an onRequest hook with reply.hijack())", async () => {
    const fastify = Fastify();
    const handler = createHealthHandler(healthWithOneOptionalFailure());
    fastify.addHook("onRequest", (request, reply, done) => {
      if (!handler.handles(request.raw)) return done();
      reply.hijack();
      void handler(request.raw, reply.raw);
    });
    fastify.get("/api/orders", async () => "the app's own route");
    await fastify.listen({ port: 0, host: "127.0.0.1" });
    closers.push(() => fastify.close());
    await expectProbesAndPassThrough(`http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`);
  });

  it("node:http without next: 404 for other paths, 405 for other methods", async () => {
    const handler = createHealthHandler(healthWithOneOptionalFailure());
    const base = await listen(createServer((request, response) => void handler(request, response)));
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    const post = await fetch(`${base}/health`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("the probes", () => {
  it("readiness fails with 503 when a critical check fails; liveness still passes", async () => {
    const health = new Health({ checks: [pass("broker"), fail("s3")], registry: false });
    const handler = createHealthHandler(health);
    const base = await listen(createServer((request, response) => void handler(request, response)));
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: "fail",
      checks: { "s3:responseTime": [{ status: "fail" }] },
    });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it("readiness fails once shutting down, even with every check passing", async () => {
    const health = new Health({ checks: [pass("broker")], registry: false });
    expect((await health.ready()).status).toBe("pass");
    health.markShuttingDown();
    expect(await health.ready()).toMatchObject({ status: "fail", output: "shutting down" });
    expect(health.live().status).toBe("pass");
  });

  it("readiness reuses its document while the results are cached, and follows them once they change", async () => {
    let up = true;
    const health = new Health({
      registry: false,
      checks: [
        functionCheck({ name: "broker", cacheMs: 100 }, () => {
          if (!up) throw new Error("down");
        }),
      ],
    });
    const first = await health.ready();
    expect(await health.ready()).toBe(first);
    up = false;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await health.ready()).toMatchObject({
      status: "fail",
      checks: { "broker:responseTime": [{ output: "down" }] },
    });
  });

  it("startup fails until the critical checks pass once, then passes without running them again", async () => {
    let up = false;
    let runs = 0;
    const health = new Health({
      registry: false,
      checks: [
        functionCheck({ name: "broker", cacheMs: 0 }, () => {
          runs++;
          if (!up) throw new Error("not yet");
        }),
      ],
    });
    expect((await health.startup()).status).toBe("fail");
    up = true;
    expect((await health.startup()).status).toBe("pass");
    up = false;
    const before = runs;
    expect((await health.startup()).status).toBe("pass");
    expect(runs).toBe(before);
  });

  it("startup: manual waits for markStarted() as well as the checks", async () => {
    const health = new Health({ registry: false, startup: "manual", checks: [pass("broker")] });
    expect(await health.startup()).toMatchObject({ status: "fail", output: "still starting" });
    health.markStarted();
    expect((await health.startup()).status).toBe("pass");
  });

  it("refuses two checks with one name", () => {
    expect(() => new Health({ registry: false, checks: [pass("x"), pass("x")] })).toThrow(
      "health check 'x': another check already has this name",
    );
  });
});

describe("the health server", () => {
  it("serves the probes, /metrics with aios_health_check_status per check, and /live, /ready as before", async () => {
    const registry = new Registry();
    const server = await startHealthServer({
      registry,
      checks: [
        pass("broker"),
        fail("cache", false),
        functionCheck({ name: "disk" }, () => ({ status: "warn" })),
      ],
    });
    closers.push(() => server.close());
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('aios_health_check_status{check="broker",component="broker"} 1');
    expect(metrics).toContain('aios_health_check_status{check="cache",component="cache"} 0');
    expect(metrics).toContain('aios_health_check_status{check="disk",component="disk"} 0.5');
    expect((await fetch(`${server.url}/live`)).status).toBe(200);
    server.markNotReady();
    expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(503);
    const head = await fetch(`${server.url}/health/live`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });
});
