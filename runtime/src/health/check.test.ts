import { describe, expect, it } from "vitest";
import { CheckRunner, type HealthCheck } from "./check.ts";
import { InvalidHealthCheckError } from "./errors.ts";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function counted(options: Partial<HealthCheck> & { readonly takesMs?: number } = {}) {
  let runs = 0;
  const check: HealthCheck = {
    name: "db",
    component: "db",
    ...options,
    async check() {
      runs++;
      await delay(options.takesMs ?? 20);
    },
  };
  return { check, runs: () => runs };
}

describe("a check run", () => {
  it("is shared by concurrent callers: 50 probes at once run the check once (single flight)", async () => {
    const { check, runs } = counted({ cacheMs: 0 });
    const runner = new CheckRunner(check);
    const results = await Promise.all(Array.from({ length: 50 }, () => runner.run()));
    expect(runs()).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toMatchObject({ status: "pass", observedUnit: "ms" });
  });

  it("without single flight or cache would have run 50 times (the counter can see it)", async () => {
    const { check, runs } = counted({ cacheMs: 0 });
    const runners = Array.from({ length: 50 }, () => new CheckRunner(check));
    await Promise.all(runners.map((runner) => runner.run()));
    expect(runs()).toBe(50);
  });

  it("reuses its result while it is fresh and runs again once cacheMs has passed", async () => {
    const { check, runs } = counted({ cacheMs: 150, takesMs: 1 });
    const runner = new CheckRunner(check);
    const first = await runner.run();
    await delay(50);
    expect(await runner.run()).toBe(first);
    expect(runs()).toBe(1);
    await delay(150);
    const third = await runner.run();
    expect(runs()).toBe(2);
    expect(third).not.toBe(first);
  });

  it("runs on every call with cacheMs 0 once the previous run is over", async () => {
    const { check, runs } = counted({ cacheMs: 0, takesMs: 1 });
    const runner = new CheckRunner(check);
    await runner.run();
    await runner.run();
    expect(runs()).toBe(2);
  });

  it("fails a hung check after its timeout, says so, and aborts its signal", async () => {
    let signal: AbortSignal | undefined;
    const runner = new CheckRunner({
      name: "hung",
      component: "s3",
      timeoutMs: 50,
      check: (given) => {
        signal = given;
        return new Promise(() => {});
      },
    });
    const started = performance.now();
    const result = await runner.run();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ status: "fail", output: "timed out after 50 ms" });
    expect(signal?.aborted).toBe(true);
  });

  it("fails with the error's message when the check throws, and passes a check's warn and observation through", async () => {
    const failing = new CheckRunner({
      name: "a",
      component: "a",
      check: async () => {
        throw new Error("connection refused");
      },
    });
    expect(await failing.run()).toMatchObject({ status: "fail", output: "connection refused" });
    const warning = new CheckRunner({
      name: "b",
      component: "b",
      check: async () => ({
        status: "warn",
        observedValue: 91,
        observedUnit: "percent",
        output: "disk filling",
      }),
    });
    expect(await warning.run()).toMatchObject({
      status: "warn",
      observedValue: 91,
      observedUnit: "percent",
      output: "disk filling",
    });
  });

  it("rejects a definition that cannot work, naming the check and the option", () => {
    expect(() => new CheckRunner({ name: "", component: "x", check: async () => {} })).toThrow(
      InvalidHealthCheckError,
    );
    expect(() => new CheckRunner({ name: "x", component: "a:b", check: async () => {} })).toThrow(/':'/);
    expect(
      () => new CheckRunner({ name: "x", component: "x", timeoutMs: -1, check: async () => {} }),
    ).toThrow("health check 'x': timeoutMs must be a finite number >= 0, got -1");
    expect(new CheckRunner({ name: "x", component: "x", timeoutMs: 0, check: async () => {} })).toBeDefined();
  });
});
