import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { emptyBucket, testObjectStore } from "../testing/s3.ts";
import { eventually } from "../testing/messaging.ts";
import { createSnapshot, restoreSnapshot, verifySnapshot } from "./backup.ts";
import { ensureBuckets, verifyBuckets } from "./buckets.ts";
import { StorageError } from "./errors.ts";
import { parseStorageSpec } from "./spec.ts";
import { listVersions } from "./versions.ts";
import { s3ClientOf } from "./object-store.ts";

const run = promisify(execFile);
const store = testObjectStore();
const suffix = randomUUID().slice(0, 8);
const spec = parseStorageSpec(`version: 1
buckets:
  - name: t-artifacts-${suffix}
    versioning: true
    lifecycle: { noncurrentVersionExpirationDays: 1, abortIncompleteMultipartUploadDays: 1 }
    tags: { system: aios-test }
  - name: t-refs-${suffix}
    versioning: false
  - name: t-backups-${suffix}
    versioning: true
    lifecycle: { noncurrentVersionExpirationDays: 30 }
  - name: t-public-${suffix}
    versioning: false
    publicRead: false
    policy:
      - { sid: Reports, effect: Allow, principals: ["*"], actions: ["s3:GetObject"], prefix: reports/ }
workspaces: { blobBucket: t-artifacts-${suffix}, refBucket: t-refs-${suffix}, backupBucket: t-backups-${suffix} }
`);
const [artifacts, refs, backups, publicBucket] = spec.buckets.map((b) => b.name) as [
  string,
  string,
  string,
  string,
];

afterAll(async () => {
  for (const bucket of [artifacts, refs, backups, publicBucket]) {
    await emptyBucket(store, bucket).catch(() => {});
    await s3ClientOf(store)
      .removeBucket(bucket)
      .catch(() => {});
  }
});

describe("buckets from the storage spec", () => {
  it("are created idempotently and then match the spec", async () => {
    expect(await verifyBuckets(store, spec)).toEqual(
      spec.buckets.map((b) => ({
        bucket: b.name,
        kind: "missing-bucket",
        description: `bucket '${b.name}' does not exist`,
      })),
    );
    const first = await ensureBuckets(store, spec);
    expect(first).toContain(`created ${artifacts}`);
    expect(await ensureBuckets(store, spec)).toEqual([]);
    expect(await verifyBuckets(store, spec)).toEqual([]);
  });

  it("apply the policy statements of the spec, which the gateway enforces for anonymous readers", async () => {
    await store.putObject(publicBucket, "reports/weekly.txt", "open");
    await store.putObject(publicBucket, "drafts/secret.txt", "closed");
    const endpoint = process.env.AIOS_S3_ENDPOINT ?? "";
    expect((await fetch(`${endpoint}/${publicBucket}/reports/weekly.txt`)).status).toBe(200);
    expect((await fetch(`${endpoint}/${publicBucket}/drafts/secret.txt`)).status).toBe(403);
    expect((await fetch(`${endpoint}/${artifacts}/anything`)).status).toBe(403);
  });

  it("report drift after someone changed a bucket by hand, and apply repairs it", async () => {
    await s3ClientOf(store).setBucketVersioning(refs, { Status: "Enabled" });
    await s3ClientOf(store).removeBucketLifecycle(backups);
    await s3ClientOf(store).setBucketTagging(artifacts, { system: "aios-test", owner: "someone" });
    await s3ClientOf(store).setBucketPolicy(
      refs,
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${refs}/*`,
          },
        ],
      }),
    );
    const drifts = await verifyBuckets(store, spec);
    expect(drifts.map((d) => `${d.bucket}:${d.kind}`).sort()).toEqual(
      [`${artifacts}:tags`, `${backups}:lifecycle`, `${refs}:policy`, `${refs}:versioning`].sort(),
    );
    expect(drifts.find((d) => d.kind === "lifecycle")?.description).toBe(
      `bucket '${backups}': lifecycle is [], the spec says [noncurrent-expire:30d]`,
    );
    expect(drifts.find((d) => d.kind === "policy")?.description).toContain('"principals":["*"]');
    expect(drifts.find((d) => d.kind === "tags")?.description).toBe(
      `bucket '${artifacts}': tags are {"owner":"someone","system":"aios-test"}, the spec says {"system":"aios-test"}`,
    );

    const changes = await ensureBuckets(store, spec);
    expect(changes.map((c) => c.split(" (")[0]).sort()).toEqual(
      [
        `${artifacts}: tags set`,
        `${backups}: lifecycle set`,
        `${refs}: policy set`,
        `${refs}: versioning set`,
      ].sort(),
    );
    // Versioning once enabled can only be suspended, which the spec's "off" accepts.
    expect((await s3ClientOf(store).getBucketVersioning(refs)) as unknown).toMatchObject({
      Status: "Suspended",
    });
    expect(await verifyBuckets(store, spec)).toEqual([]);
    expect((await fetch(`${process.env.AIOS_S3_ENDPOINT}/${refs}/x`)).status).toBe(403);
  });
});

describe("snapshots", () => {
  it("copy a prefix with checksums, detect tampering, and restore", async () => {
    await store.putObject(artifacts, "workspaces/coder/a.txt", "alpha");
    await store.putObject(artifacts, "workspaces/coder/dir/b.txt", "beta");
    const manifest = await createSnapshot(store, {
      bucket: artifacts,
      prefix: "workspaces/coder/",
      backupBucket: backups,
    });
    expect(manifest.entries.map((e) => e.key)).toEqual([
      "workspaces/coder/a.txt",
      "workspaces/coder/dir/b.txt",
    ]);
    expect(await verifySnapshot(store, backups, manifest.id)).toEqual({ ok: true, checked: 2, problems: [] });

    await store.putObject(artifacts, "workspaces/coder/a.txt", "overwritten by mistake");
    await store.deleteObject(artifacts, "workspaces/coder/dir/b.txt");
    expect(await restoreSnapshot(store, { backupBucket: backups, id: manifest.id })).toBe(2);
    expect((await store.getObjectBuffer(artifacts, "workspaces/coder/a.txt")).toString()).toBe("alpha");
    expect((await store.getObjectBuffer(artifacts, "workspaces/coder/dir/b.txt")).toString()).toBe("beta");

    await store.putObject(backups, `snapshots/${manifest.id}/data/workspaces/coder/a.txt`, "tampered");
    const verification = await verifySnapshot(store, backups, manifest.id);
    expect(verification).toEqual({
      ok: false,
      checked: 2,
      problems: ["workspaces/coder/a.txt: checksum differs from the manifest"],
    });
    await expect(restoreSnapshot(store, { backupBucket: backups, id: manifest.id })).rejects.toBeInstanceOf(
      StorageError,
    );
  });
});

describe("lifecycle on the real gateway", () => {
  // scripts/services.sh sets rgw_lc_debug_interval = 10: a lifecycle "day" lasts 10 s there.
  it("expires noncurrent versions once the lifecycle runs", { timeout: 120_000 }, async () => {
    await store.putObject(artifacts, "expiring.txt", "old");
    await store.putObject(artifacts, "expiring.txt", "new");
    expect(await listVersions(store, artifacts, "expiring.txt")).toHaveLength(2);
    const conf = process.env.AIOS_CEPH_CONF ?? "/var/lib/aios-services/ceph/ceph.conf";
    let versions = 2;
    await eventually(
      () => versions === 1,
      100_000,
      "the noncurrent version expired",
      async () => {
        await run("radosgw-admin", ["-c", conf, "-n", "client.rgw.aios", "lc", "process"], {
          timeout: 30_000,
        }).catch(() => {});
        versions = (await listVersions(store, artifacts, "expiring.txt")).length;
      },
    );
    expect((await store.getObjectBuffer(artifacts, "expiring.txt")).toString()).toBe("new");
  });
});
