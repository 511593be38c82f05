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
});
