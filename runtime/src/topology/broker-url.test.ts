import { describe, expect, it } from "vitest";
import { amqpUrlForVhost, vhostOfAmqpUrl } from "./broker-url.ts";
import { TopologyVhostConflictError } from "./errors.ts";

describe("the vhost a topology is declared into", () => {
  it("reads the vhost a URL names; no path and a lone '/' name none", () => {
    expect(vhostOfAmqpUrl("amqp://u:p@host:5672/aios")).toBe("aios");
    expect(vhostOfAmqpUrl("amqp://u:p@host:5672/a%2Fb")).toBe("a/b");
    expect(vhostOfAmqpUrl("amqp://u:p@host:5672/%2F")).toBe("/");
    expect(vhostOfAmqpUrl("amqp://u:p@host:5672")).toBeUndefined();
    expect(vhostOfAmqpUrl("amqp://u:p@host:5672/")).toBeUndefined();
  });

  it("points a URL without a vhost, or with the same one, at the topology's vhost and keeps the rest", () => {
    expect(amqpUrlForVhost("amqp://u:p@host:5672?heartbeat=5", "prod")).toBe(
      "amqp://u:p@host:5672/prod?heartbeat=5",
    );
    expect(amqpUrlForVhost("amqp://u:p@host:5672/prod", "prod")).toBe("amqp://u:p@host:5672/prod");
  });

  it("refuses a URL that names another vhost, naming both", () => {
    const refused = (() => {
      try {
        return amqpUrlForVhost("amqp://u:p@host:5672/aios", "staging");
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(TopologyVhostConflictError);
    expect(refused).toMatchObject({
      code: "TOPOLOGY_VHOST_CONFLICT",
      urlVhost: "aios",
      topologyVhost: "staging",
    });
    expect(() => amqpUrlForVhost("amqp://u:p@host:5672/%2F", "aios")).toThrow(TopologyVhostConflictError);
    expect(() => amqpUrlForVhost("not a url", "aios")).toThrow(/broker URL: not a URL/);
  });
});
