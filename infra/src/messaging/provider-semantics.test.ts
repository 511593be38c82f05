import { describe, expect, it } from "vitest";
import { managementCalls, policyDefinition } from "./provider-semantics.ts";

// The RabbitMQ provider's create calls, as the declared-broker integration test applies them.

const placement = { vhost: "t-1", username: (u: string) => `t-${u}`, password: () => "pw" };

describe("the RabbitMQ provider's management API calls", () => {
  it("sends integer strings of a policy definition as numbers and keeps other strings", () => {
    expect(policyDefinition({ "max-length": "100000", overflow: "reject-publish", x: "1.5" })).toEqual({
      "max-length": 100000,
      overflow: "reject-publish",
      x: "1.5",
    });
  });

  it("decodes a queue's argumentsJson and puts everything in the test vhost, containers first", () => {
    const calls = managementCalls(
      [
        {
          type: "rabbitmq:index/binding:Binding",
          name: "b",
          inputs: {
            vhost: "aios",
            source: "aios.tasks",
            destination: "agents.coder",
            destinationType: "queue",
            routingKey: "coder.*",
          },
        },
        {
          type: "rabbitmq:index/queue:Queue",
          name: "q",
          inputs: {
            name: "agents.coder",
            vhost: "aios",
            settings: { durable: true, argumentsJson: '{"x-max-priority":10}' },
          },
        },
        { type: "rabbitmq:index/vHost:VHost", name: "v", inputs: { name: "aios" } },
      ],
      placement,
    );
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "PUT /api/vhosts/t-1",
      "PUT /api/queues/t-1/agents.coder",
      "POST /api/bindings/t-1/e/aios.tasks/q/agents.coder",
    ]);
    expect(calls[1]?.body).toEqual({
      durable: true,
      auto_delete: false,
      arguments: { "x-max-priority": 10 },
    });
    expect(calls[2]?.body).toEqual({ routing_key: "coder.*", arguments: {} });
  });

  it("gives users their test names and one call per topic permission", () => {
    const calls = managementCalls(
      [
        { type: "rabbitmq:index/user:User", name: "u", inputs: { name: "agent-coder", tags: ["a", "b"] } },
        {
          type: "rabbitmq:index/topicPermissions:TopicPermissions",
          name: "tp",
          inputs: {
            user: "agent-coder",
            vhost: "aios",
            permissions: [
              { exchange: "x", read: "r", write: "w" },
              { exchange: "y", read: "", write: "" },
            ],
          },
        },
      ],
      placement,
    );
    expect(calls.map((c) => c.path)).toEqual([
      "/api/users/t-agent-coder",
      "/api/topic-permissions/t-1/t-agent-coder",
      "/api/topic-permissions/t-1/t-agent-coder",
    ]);
    expect(calls[0]?.body).toEqual({ password: "pw", tags: "a,b" });
  });

  it("refuses a broker resource type it has no rewrite for, naming it", () => {
    expect(() =>
      managementCalls([{ type: "rabbitmq:index/shovel:Shovel", name: "s", inputs: {} }], placement),
    ).toThrow("rabbitmq:index/shovel:Shovel s: no management API rewrite for this type");
  });
});
