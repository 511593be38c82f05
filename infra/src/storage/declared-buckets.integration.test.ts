import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { LifecycleConfig } from "minio";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testS3Client } from "../../../runtime/src/testing/s3.ts";
import { repositoryPath } from "../config.ts";
import type { DeclaredResource } from "../messaging/provider-semantics.ts";
import { bucketCalls, S3_TYPES } from "./provider-semantics.ts";

// Integration test (the S3 server of scripts/services.sh, Ceph RGW): the bucket resources the
// stacks declare — captured by running the program under Pulumi's mocks (`planStack`, what `npm
// run plan -- <stack> --json` prints) — are created through the S3 API the way the AWS provider
// creates them (./provider-semantics.ts), under test-prefixed bucket names; then `aios storage
// verify`, given config/storage.yaml with the same prefix, compares the server with the spec.
// Stacks: prod with `aios:s3Backend: external` (the S3 server is Ceph RGW or AWS: every rule of
// the spec is declared), and dev and prod as committed (MinIO containers).
// Where the proof stops: no engine or provider plugin ran (the provider's create calls are
// rewritten from its documented behaviour); the agents' IAM users, policies and attachments go to
// MinIO's admin API, which RGW does not serve, so they are not applied; the server is RGW, not
// MinIO: on MinIO the abort-incomplete-uploads rule is not declared (MinIO cannot store it and
// aborts stale uploads server-side, MINIO_API_STALE_UPLOADS_EXPIRY), which RGW cannot show.

const run = promisify(execFile);
const node = (args: string[]) =>
  run(process.execPath, ["--conditions=source", "--import", "tsx", ...args], {
    cwd: repositoryPath("."),
    env: process.env,
    maxBuffer: 64 * 1024 * 1024,
  });

interface StackCase {
  readonly label: string;
  readonly stack: "dev" | "prod";
  readonly overrides: Record<string, string | undefined>;
  /** The drift verify must report on a bucket, applied as declared (none but what MinIO does itself). */
  readonly expectedDrift: (bucket: SpecBucket, declared: readonly DeclaredResource[]) => string[];
}

interface SpecBucket {
  name: string;
  versioning: boolean;
  lifecycle: { abortIncompleteMultipartUploadDays?: number; noncurrentVersionExpirationDays?: number };
  tags: Record<string, string>;
}

const CASES: readonly StackCase[] = [
  {
    label: "prod with aios:s3Backend external",
    stack: "prod",
    overrides: { s3Backend: "external", s3Endpoint: "http://127.0.0.1:7480", minioNodes: "1" },
    expectedDrift: () => [],
  },
  ...(["dev", "prod"] as const).map((stack): StackCase => ({
    label: `${stack} (MinIO containers)`,
    stack,
    overrides: {},
    // The only difference: the abort rule MinIO keeps server-side, which RGW has no setting for.
    expectedDrift: (bucket) => {
      const noncurrent = bucket.lifecycle.noncurrentVersionExpirationDays;
      const declared = noncurrent === undefined ? [] : [`noncurrent-expire:${noncurrent}d`];
      const wanted = [`abort-uploads:${bucket.lifecycle.abortIncompleteMultipartUploadDays}d`, ...declared];
      return [
        `drift: lifecycle: bucket '${bucket.name}': lifecycle is [${declared.join(", ")}], the spec says [${wanted.join(", ")}]`,
      ];
    },
  })),
];

describe.each(CASES)("the bucket resources $label declares, on the real S3 server", (stackCase) => {
  const prefix = `t${randomUUID().slice(0, 6)}-${stackCase.stack}`;
  const bucketName = (declared: string) => `${prefix}-${declared}`;
  const client = testS3Client();
  let declared: DeclaredResource[];
  let scratch: string;
  let specFile: string;
  let spec: { buckets: SpecBucket[]; workspaces: Record<string, unknown> };
  const created: string[] = [];

  const verify = () =>
    node(["runtime/src/cli/main.ts", "storage", "verify", "-f", specFile]).then(
      (result) => ({ code: 0, ...result }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "aios-buckets-"));
    // planStack in a process of its own: Pulumi's mocks bind once per process.
    const script = join(scratch, "plan.mts");
    await writeFile(
      script,
      [
        `import { planStack } from ${JSON.stringify(repositoryPath("infra/src/plan/run.ts"))};`,
        `const resources = await planStack(${JSON.stringify(stackCase.stack)}, { s3AccessKey: "k", s3SecretKey: "s" }, ${JSON.stringify(stackCase.overrides)});`,
        "process.stdout.write(JSON.stringify(resources));",
        "process.exit(0);",
      ].join("\n"),
    );
    const { stdout } = await node([script]);
    declared = (JSON.parse(stdout) as DeclaredResource[]).filter((r) => r.type.startsWith("aws:s3/"));

    spec = parse(await readFile(repositoryPath("config/storage.yaml"), "utf8")) as typeof spec;
    for (const bucket of spec.buckets) bucket.name = bucketName(bucket.name);
    for (const key of ["blobBucket", "refBucket", "backupBucket"])
      if (typeof spec.workspaces[key] === "string") spec.workspaces[key] = bucketName(spec.workspaces[key]);
    specFile = join(scratch, "storage.yaml");
    await writeFile(specFile, stringify(spec));
  }, 120_000);

  afterAll(async () => {
    for (const bucket of created) await client.removeBucket(bucket).catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  });

  it("creates the declared buckets, tags, versioning and lifecycle through the S3 API as the provider does", async () => {
    const types = new Set(declared.map((r) => r.type));
    expect([...types].sort()).toEqual([S3_TYPES.bucket, S3_TYPES.lifecycle, S3_TYPES.versioning].sort());
    for (const call of bucketCalls(declared, bucketName)) {
      switch (call.kind) {
        case "make-bucket":
          await client.makeBucket(call.bucket);
          created.push(call.bucket);
          break;
        case "tagging":
          await client.setBucketTagging(call.bucket, { ...call.tags });
          break;
        case "bucket-policy":
          await client.setBucketPolicy(call.bucket, call.policy);
          break;
        case "versioning":
          await client.setBucketVersioning(call.bucket, { Status: call.status as "Enabled" | "Suspended" });
          break;
        case "lifecycle":
          await client.setBucketLifecycle(call.bucket, { Rule: call.rules } as unknown as LifecycleConfig);
          break;
      }
    }
    expect(created.sort()).toEqual(spec.buckets.map((b) => b.name).sort());
  }, 60_000);

  it("aios storage verify finds them as the spec says", async () => {
    const verified = await verify();
    expect(verified.stderr).toBe("");
    const drifts = verified.stdout.split("\n").filter((line) => line.startsWith("drift: "));
    const expected = spec.buckets.flatMap((bucket) => stackCase.expectedDrift(bucket, declared));
    expect(drifts).toEqual(expected);
    expect(verified.code).toBe(expected.length === 0 ? 0 : 1);
  }, 60_000);

  it("and catches a deliberate drift: a bucket's tags and another's lifecycle changed by hand", async () => {
    const [first, second] = spec.buckets;
    if (first === undefined || second === undefined)
      throw new Error("config/storage.yaml has fewer than 2 buckets");
    await client.setBucketTagging(first.name, { ...first.tags, owner: "someone-by-hand" });
    await client.removeBucketLifecycle(second.name);
    const verified = await verify();
    const drifts = verified.stdout.split("\n").filter((line) => line.startsWith("drift: "));
    const sortedTags = (tags: Record<string, string>) =>
      JSON.stringify(Object.fromEntries(Object.entries(tags).sort(([a], [b]) => a.localeCompare(b))));
    expect(drifts).toContain(
      `drift: tags: bucket '${first.name}': tags are ${sortedTags({ ...first.tags, owner: "someone-by-hand" })}, the spec says ${sortedTags(first.tags)}`,
    );
    expect(
      drifts.some((line) => line.startsWith(`drift: lifecycle: bucket '${second.name}': lifecycle is [],`)),
    ).toBe(true);
    expect(verified.code).toBe(1);
  }, 60_000);
});
