import { describe, expect, it } from "vitest";
import { backoffDelay, sleep } from "./backoff.ts";
import { readEnv, requireS3Credentials } from "./env.ts";
import { redactUrl } from "./logging.ts";

describe("the AIOS_* environment", () => {
  it("defaults to the local services and names a bad variable", () => {
    expect(readEnv({})).toMatchObject({
      AIOS_AMQP_URL: "amqp://guest:guest@127.0.0.1:5672/aios",
      AIOS_S3_REGION: "us-east-1",
    });
    expect(() => readEnv({ AIOS_S3_ENDPOINT: "not a url" })).toThrow(
      /^environment variable AIOS_S3_ENDPOINT: /,
    );
  });
  it("asks for S3 credentials only when they are needed", () => {
    expect(() => requireS3Credentials(readEnv({}))).toThrow("AIOS_S3_ACCESS_KEY/AIOS_S3_SECRET_KEY: not set");
    expect(requireS3Credentials(readEnv({ AIOS_S3_ACCESS_KEY: "a", AIOS_S3_SECRET_KEY: "s" }))).toEqual({
      accessKey: "a",
      secretKey: "s",
    });
  });
  it("redacts passwords from URLs", () => {
    expect(redactUrl("amqp://user:secret@host:5672/v")).toBe("amqp://user:***@host:5672/v");
    expect(redactUrl("::")).toBe("<unparseable url>");
  });
});

describe("backoff", () => {
  it("grows exponentially up to the cap, with full jitter", () => {
    expect(backoffDelay(1, { initialDelayMs: 100 }, () => 1)).toBe(100);
    expect(backoffDelay(4, { initialDelayMs: 100 }, () => 1)).toBe(800);
    expect(backoffDelay(20, { initialDelayMs: 100, maxDelayMs: 5000 }, () => 1)).toBe(5000);
    expect(backoffDelay(3, {}, () => 0)).toBe(0);
  });
  it("sleeps until aborted", async () => {
    const controller = new AbortController();
    const waiting = sleep(10_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});
