import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnv } from "../runtime/src/env.ts";
import { testS3Client } from "../runtime/src/testing/s3.ts";

// Stops and restarts the shared S3 gateway (`down rgw` / `up rgw`): the contract the storage tests
// rely on when they kill the gateway mid-upload. Runs after every other test, alone (vitest
// "disruptive" project), and always leaves the gateway up.
const run = promisify(execFile);
const env = readEnv();
const script = new URL("./services.sh", import.meta.url).pathname;

describe("scripts/services.sh down rgw / up rgw", () => {
  const client = testS3Client();
  const bucket = `services-restart-${randomUUID().slice(0, 8)}`;
  const body = `survives ${randomUUID()}`;

  beforeAll(async () => {
    await client.makeBucket(bucket, env.AIOS_S3_REGION);
    await client.putObject(bucket, "kept.txt", body);
  });
  afterAll(async () => {
    await run("bash", [script, "up", "rgw"], { timeout: 180_000 });
    await client.removeObject(bucket, "kept.txt");
    await client.removeBucket(bucket);
  });

  it(
    "stops only the gateway, then brings it back with the objects it held",
    { timeout: 240_000 },
    async () => {
      await run("bash", [script, "down", "rgw"], { timeout: 60_000 });

      const down = await run("bash", [script, "status", "rgw"]).then(
        () => undefined,
        (error: { code: number; stdout: string }) => error,
      );
      expect(down).toMatchObject({
        code: 1,
        stdout: expect.stringContaining("Ceph cluster up, gateway stopped"),
      });

      const { stderr } = await run("bash", [script, "up", "rgw"], { timeout: 180_000 });
      expect(stderr).toContain("rgw: starting radosgw");
      expect(stderr).not.toContain("bootstrapping");

      const stream = await client.getObject(bucket, "kept.txt");
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe(body);
    },
  );
});
