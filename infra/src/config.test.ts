import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./config.ts";
import { InfraConfigError } from "./errors.ts";

describe("parseStackConfig", () => {
  it("applies the defaults of a single-node dev stack", () => {
    expect(parseStackConfig({ environment: "dev" })).toEqual({
      environment: "dev",
      queueType: "classic",
      deadLetterMaxLength: 1_000_000,
      devAgents: false,
      bindAddress: "127.0.0.1",
      rabbitmqNodes: 1,
      minioNodes: 1,
      s3Backend: "minio",
      s3Region: "us-east-1",
      protectData: false,
      topologyFile: "config/messaging.yaml",
      storageFile: "config/storage.yaml",
    });
  });

  it("reads Pulumi's string values as booleans and numbers", () => {
    const config = parseStackConfig({
      environment: "prod",
      queueType: "quorum",
      deliveryLimit: "5",
      devAgents: "false",
    });
    expect(config).toMatchObject({ queueType: "quorum", deliveryLimit: 5, devAgents: false });
    expect(parseStackConfig({ environment: "dev", devAgents: "true" }).devAgents).toBe(true);
  });

  it("names the key of a bad value, with a typed error", () => {
    const attempt = () => parseStackConfig({ environment: "dev", queueType: "stream" });
    expect(attempt).toThrow(InfraConfigError);
    expect(attempt).toThrow(/^stack config aios:queueType: /);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: "INFRA_INVALID_CONFIG", key: "aios:queueType" });
    }
  });

  it("refuses a missing environment and an unknown key (a typo)", () => {
    expect(() => parseStackConfig({})).toThrow("stack config aios:environment:");
    expect(() => parseStackConfig({ environment: "dev", queueTyp: "quorum" })).toThrow(
      /stack config aios:queueTyp: unknown key; known keys: environment, queueType/,
    );
  });

  it("refuses a delivery limit on classic queues", () => {
    expect(() => parseStackConfig({ environment: "x", deliveryLimit: "3" })).toThrow(
      "stack config aios:deliveryLimit: only quorum queues have a delivery limit; set aios:queueType to quorum",
    );
  });

  it("refuses a bind address that is not an IPv4 address", () => {
    expect(() => parseStackConfig({ environment: "dev", bindAddress: "everywhere" })).toThrow(
      "stack config aios:bindAddress:",
    );
  });

  it("reads the production shape: node counts, S3 backend, Prometheus retention and intervals", () => {
    expect(
      parseStackConfig({
        environment: "prod",
        rabbitmqNodes: "3",
        minioNodes: "4",
        prometheusRetentionTime: "30d",
        prometheusRetentionSize: "50GB",
        prometheusScrapeIntervals: '{"rabbitmq":"60s"}',
        protectData: "true",
      }),
    ).toMatchObject({
      rabbitmqNodes: 3,
      minioNodes: 4,
      prometheusRetentionTime: "30d",
      prometheusRetentionSize: "50GB",
      prometheusScrapeIntervals: { rabbitmq: "60s" },
      protectData: true,
    });
    expect(
      parseStackConfig({
        environment: "prod",
        s3Backend: "external",
        s3Endpoint: "https://rgw.internal:7480",
      }),
    ).toMatchObject({ s3Backend: "external", s3Endpoint: "https://rgw.internal:7480" });
  });

  it("refuses a MinIO deployment that cannot erasure-code (2 or 3 nodes), naming the key", () => {
    expect(() => parseStackConfig({ environment: "prod", minioNodes: "3" })).toThrow(
      "stack config aios:minioNodes: 3 nodes: distributed MinIO erasure-codes across 4 or more nodes; use 1 or at least 4",
    );
  });

  it("refuses an external S3 backend without an endpoint, and an endpoint with the MinIO backend", () => {
    expect(() => parseStackConfig({ environment: "prod", s3Backend: "external" })).toThrow(
      "stack config aios:s3Endpoint: aios:s3Backend external needs the S3 endpoint URL",
    );
    expect(() => parseStackConfig({ environment: "prod", s3Endpoint: "https://s3.example" })).toThrow(
      /^stack config aios:s3Endpoint: only used with aios:s3Backend external/,
    );
    expect(() =>
      parseStackConfig({ environment: "prod", s3Backend: "external", s3Endpoint: "ftp://x" }),
    ).toThrow("stack config aios:s3Endpoint:");
  });

  it("refuses Prometheus durations and sizes it would not parse", () => {
    expect(() => parseStackConfig({ environment: "dev", prometheusRetentionTime: "30 days" })).toThrow(
      "stack config aios:prometheusRetentionTime: a Prometheus duration such as 15s, 5m or 30d",
    );
    expect(() => parseStackConfig({ environment: "dev", prometheusRetentionSize: "50G" })).toThrow(
      "stack config aios:prometheusRetentionSize: a Prometheus size such as 50GB",
    );
  });
});
