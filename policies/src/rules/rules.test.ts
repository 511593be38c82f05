import type { ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import {
  boundPorts,
  noAdministratorAgents,
  pinnedImages,
  privateBuckets,
  TYPES,
  versionedBucketsExpire,
  workQueuesDeadLetter,
} from "./index.ts";
import type { ResourceRule } from "./types.ts";

function violations(rule: ResourceRule, type: string, props: Record<string, unknown>): string[] {
  const found: string[] = [];
  const args = {
    type,
    props,
    urn: `urn:pulumi:test::aios::${type}::x`,
    name: "x",
    opts: {},
    stackTags: new Map(),
  };
  void rule.validateResource(args as unknown as ResourceValidationArgs, (message) => found.push(message));
  return found;
}

describe("pinned-container-images", () => {
  it("accepts a version tag or a digest", () => {
    expect(violations(pinnedImages, TYPES.remoteImage, { name: "rabbitmq:4.1.4-management" })).toEqual([]);
    expect(violations(pinnedImages, TYPES.remoteImage, { name: "minio/minio@sha256:abc" })).toEqual([]);
    expect(violations(pinnedImages, TYPES.remoteImage, { name: "localhost:5000/aios/agent:1.2.3" })).toEqual(
      [],
    );
  });
  it("refuses a missing tag and :latest", () => {
    expect(violations(pinnedImages, TYPES.remoteImage, { name: "grafana/grafana" })).toEqual([
      "image 'grafana/grafana' is not pinned: use an explicit version tag or a digest",
    ]);
    expect(violations(pinnedImages, TYPES.remoteImage, { name: "prom/prometheus:latest" })).toHaveLength(1);
    expect(violations(pinnedImages, TYPES.remoteImage, { name: "localhost:5000/agent" })).toHaveLength(1);
  });
});

describe("ports-bound-to-an-address", () => {
  it("refuses ports published on every interface", () => {
    expect(
      violations(boundPorts, TYPES.container, { name: "rmq", ports: [{ internal: 15672, ip: "127.0.0.1" }] }),
    ).toEqual([]);
    expect(
      violations(boundPorts, TYPES.container, {
        name: "rmq",
        ports: [{ internal: 15672 }, { internal: 5672, ip: "0.0.0.0" }],
      }),
    ).toEqual([
      "container 'rmq' publishes port 15672 on all interfaces; set ip (e.g. 127.0.0.1)",
      "container 'rmq' publishes port 5672 on all interfaces; set ip (e.g. 127.0.0.1)",
    ]);
  });
});

describe("work-queues-have-dead-letters", () => {
  it("requires durable work queues with a dead-letter exchange; DLQs and retry tiers are exempt from the DLX", () => {
    const dlx = JSON.stringify({ "x-dead-letter-exchange": "aios.dead-letter" });
    expect(
      violations(workQueuesDeadLetter, TYPES.queue, {
        name: "agents.coder",
        settings: { durable: true, argumentsJson: dlx },
      }),
    ).toEqual([]);
    expect(
      violations(workQueuesDeadLetter, TYPES.queue, {
        name: "agents.coder.dlq",
        settings: { durable: true, argumentsJson: "{}" },
      }),
    ).toEqual([]);
    expect(
      violations(workQueuesDeadLetter, TYPES.queue, {
        name: "agents.coder",
        settings: { durable: true, argumentsJson: "{}" },
      }),
    ).toEqual(["work queue 'agents.coder' has no x-dead-letter-exchange: failed messages would be lost"]);
    expect(
      violations(workQueuesDeadLetter, TYPES.queue, {
        name: "agents.x.retry.1s",
        settings: { durable: false },
      }),
    ).toEqual(["queue 'agents.x.retry.1s' is not durable: its messages would not survive a restart"]);
  });
});

describe("rabbitmq-users-not-administrators and buckets-private", () => {
  it("refuses elevated agent users and public buckets", () => {
    expect(violations(noAdministratorAgents, TYPES.user, { name: "agent-coder", tags: [] })).toEqual([]);
    expect(
      violations(noAdministratorAgents, TYPES.user, { name: "agent-coder", tags: ["administrator"] }),
    ).toHaveLength(1);
    expect(violations(privateBuckets, TYPES.bucket, { bucket: "b", acl: "private" })).toEqual([]);
    expect(violations(privateBuckets, TYPES.bucket, { bucket: "b", acl: "public-read" })).toHaveLength(1);
    const open = JSON.stringify({
      Statement: [{ Effect: "Allow", Principal: { AWS: ["*"] }, Action: ["s3:GetObject"] }],
    });
    expect(
      violations(privateBuckets, TYPES.bucketPolicy, { bucket: "aios-workspaces", policy: open }),
    ).toHaveLength(1);
  });
});

describe("versioned-buckets-expire-old-versions", () => {
  it("reports a versioned bucket without a noncurrent-version expiry", () => {
    const found: string[] = [];
    const resources = [
      { type: TYPES.bucketVersioning, props: { bucket: "kept" }, urn: "u1" },
      {
        type: TYPES.ilmPolicy,
        props: { bucket: "kept", rules: [{ id: "r", noncurrentVersionExpirationDays: 7 }] },
        urn: "u2",
      },
      { type: TYPES.bucketVersioning, props: { bucket: "forever" }, urn: "u3" },
    ];
    void versionedBucketsExpire.validateStack(
      { resources, stackTags: new Map() } as unknown as StackValidationArgs,
      (m) => found.push(m),
    );
    expect(found).toEqual(["versioned bucket 'forever' never expires noncurrent versions"]);
  });
});
