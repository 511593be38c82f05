import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { Health } from "./health.ts";
import { createShutdown } from "./shutdown.ts";

const quiet = { signals: false, exit: false } as const;

describe("the shutdown sequence", () => {
  it("fails readiness, waits the drain delay, then stops consumers, publishers, connections, servers in that order", async () => {
    const order: string[] = [];
    const health = new Health({ registry: false });
    const shutdown = createShutdown({ ...quiet, health, drainDelayMs: 100, timeoutMs: 5000 });
    const started = Date.now();
    const track = (name: string) => async () => {
      order.push(`${name} at ${Date.now() - started >= 100 ? "after" : "before"} the delay`);
    };
    shutdown
      .addServer({ close: track("server") })
      .addConnection({ close: track("connection") })
      .addPublisher({ close: track("publisher") })
      .addConsumer({ stop: track("consumer") });
    const running = shutdown.run("test");
    expect(shutdown.shuttingDown).toBe(true);
    expect((await health.ready()).status).toBe("fail");
    const outcome = await running;
    expect(order).toEqual([
      "consumer at after the delay",
      "publisher at after the delay",
      "connection at after the delay",
      "server at after the delay",
    ]);
    expect(outcome).toEqual({ reason: "test", forced: false, failures: [], exitCode: 0 });
    expect(await shutdown.run("again")).toBe(outcome);
  });

  it("gives consumers the budget minus the reserve, and keeps going past a failing step (exit code 1)", async () => {
    const grace: number[] = [];
    const outcome = await createShutdown({ ...quiet, drainDelayMs: 0, timeoutMs: 10_000, reserveMs: 2000 })
      .addConsumer({
        stop: async (options) => {
          grace.push(options?.timeoutMs ?? -1);
          throw new Error("channel already closed");
        },
      })
      .addServer({ close: async () => void grace.push(0) })
      .run();
    expect(grace[0]).toBeGreaterThan(7000);
    expect(grace[0]).toBeLessThanOrEqual(8000);
    expect(grace).toHaveLength(2);
    expect(outcome).toMatchObject({
      exitCode: 1,
      failures: [{ step: "consumer-1", error: "channel already closed" }],
    });
  });

  it("is forced after timeoutMs, with the forced exit code, and calls exit with it", async () => {
    const codes: number[] = [];
    const outcome = await createShutdown({
      signals: false,
      exit: (code) => codes.push(code),
      drainDelayMs: 0,
      timeoutMs: 100,
      forcedExitCode: 3,
    })
      .addConsumer({ stop: () => new Promise(() => {}) }, "stuck")
      .run();
    expect(outcome).toMatchObject({ forced: true, exitCode: 3 });
    expect(codes).toEqual([3]);
  });

  it("starts on its signal", async () => {
    const codes: number[] = [];
    const shutdown = createShutdown({
      signals: ["SIGUSR2"],
      exit: (code) => codes.push(code),
      drainDelayMs: 0,
    });
    process.emit("SIGUSR2", "SIGUSR2");
    expect(shutdown.shuttingDown).toBe(true);
    await shutdown.run();
    expect(codes).toEqual([0]);
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("refuses a negative delay", () => {
    expect(() => createShutdown({ ...quiet, drainDelayMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => createShutdown({ ...quiet, timeoutMs: Number.NaN })).toThrow(
      "createShutdown timeoutMs: must be a finite number >= 0, got NaN",
    );
  });
});
