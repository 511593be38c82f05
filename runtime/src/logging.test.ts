import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logging.ts";

const run = promisify(execFile);

describe("createLogger", () => {
  it("shares one destination per file descriptor, however many loggers the SDK's objects create", () => {
    const streams = new Set(
      Array.from(
        { length: 50 },
        (_, i) =>
          (createLogger({ name: `object-${i}` }) as unknown as Record<symbol, unknown>)[
            pino.symbols.streamSym
          ],
      ),
    );
    expect(streams.size).toBe(1);
  });

  it("logs an error with its type, code, stack and cause, not only its message", async () => {
    const script = `
      import { createLogger } from "./runtime/src/logging.ts";
      const error = Object.assign(new Error("the broker went away", { cause: new Error("ECONNRESET") }), { code: "X_CODE" });
      createLogger({ name: "t" }).error({ err: error }, "failed");
    `;
    const { stdout } = await run(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", script],
      { env: { ...process.env, AIOS_LOG_LEVEL: "info", AIOS_LOG_DESTINATION: "stdout" } },
    );
    const line = JSON.parse(stdout.trim()) as { err: Record<string, string> };
    expect(line.err).toMatchObject({
      type: "Error",
      message: expect.stringContaining("the broker went away"),
      code: "X_CODE",
    });
    expect(line.err.stack).toContain("at ");
    expect(JSON.stringify(line.err)).toContain("ECONNRESET"); // the cause travels with it
  });

  it("redacts credentials wherever the usual carriers put them", async () => {
    const script = `
      import { createLogger } from "./runtime/src/logging.ts";
      createLogger({ name: "t" }).info({ options: { secretKey: "s3cr3t" }, password: "hunter2" }, "x");
    `;
    const { stdout } = await run(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "--input-type=module", "-e", script],
      { env: { ...process.env, AIOS_LOG_LEVEL: "info", AIOS_LOG_DESTINATION: "stdout" } },
    );
    expect(stdout).not.toContain("s3cr3t");
    expect(stdout).not.toContain("hunter2");
    expect(stdout).toContain("[redacted]");
  });
});
