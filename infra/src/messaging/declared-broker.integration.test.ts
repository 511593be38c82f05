import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { ConnectionManager } from "@aios/runtime/messaging";
import { managementRequest } from "@aios/runtime/testing/broker";
import { agentTopology, loadTopologySpec, type ResolvedTopology } from "@aios/runtime/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_TASKS, startPlanner, startWorker, type TaskDone } from "../../../runtime/examples/agents.ts";
import { parseStackConfig, repositoryPath } from "../config.ts";
import { loadStackFile } from "../plan/stack-file.ts";
import { type DeclaredResource, managementCalls, policyDefinition } from "./provider-semantics.ts";

// Integration test (real RabbitMQ of scripts/services.sh): every broker resource the dev and prod
// stacks declare — captured by running the program under Pulumi's mocks (`npm run plan -- <stack>
// --json`), not re-derived — is created through the management API the way the RabbitMQ provider
// creates it (./provider-semantics.ts), in a vhost of the test's own (the declared `aios` vhost is
// rewritten) and with test-prefixed user names (users are broker-wide). Then `aios topology verify`
// finds no drift and the example agents run, each as the user the stack declares for it, with the
// declared permission and topic-permission patterns unchanged and generated passwords.
// Where the proof stops: no Pulumi engine or provider plugin ran — the provider's create calls are
// rewritten from its source, its read/diff/update/delete are not exercised; the prod stack's
// resources are applied to the one local node, not to its three-node cluster; the provisioner user
// the prod broker's boot-time definitions create is created here by the test.

const run = promisify(execFile);
const node = (args: string[]) =>
  run(process.execPath, ["--conditions=source", "--import", "tsx", ...args], {
    cwd: repositoryPath("."),
    env: process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
const apiUrl = () => {
  const url = process.env.AIOS_RABBITMQ_API_URL;
  if (!url) throw new Error('AIOS_RABBITMQ_API_URL is not set: eval "$(bash scripts/services.sh env)"');
  return url;
};

async function declaredResources(stack: string): Promise<DeclaredResource[]> {
  const { stdout } = await node(["infra/src/plan/cli.ts", stack, "--json"]);
  return JSON.parse(stdout) as DeclaredResource[];
}

describe.each(["dev", "prod"])("the broker resources the %s stack declares, on the real broker", (stack) => {
  const prefix = `t${randomUUID().slice(0, 6)}`;
  const vhost = `${prefix}-${stack}-declared`;
  const passwords = new Map<string, string>();
  const username = (declared: string) => `${prefix}-${declared}`;
  const password = (declared: string) => {
    if (!passwords.has(declared)) passwords.set(declared, randomBytes(18).toString("base64url"));
    return passwords.get(declared)!;
  };
  let declared: DeclaredResource[];
  let topology: ResolvedTopology;
  let queueType: string;
  let deliveryLimit: number | undefined;
  let topologyFile: string;
  const connections: ConnectionManager[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await managementRequest(apiUrl(), method, path, body);
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return response;
  };

  beforeAll(async () => {
    declared = (await declaredResources(stack)).filter((r) => r.type.startsWith("rabbitmq:index/"));
    const config = parseStackConfig((await loadStackFile(stack)).values);
    queueType = config.queueType;
    deliveryLimit = config.deliveryLimit;
    topologyFile = repositoryPath(config.topologyFile);
    topology = await loadTopologySpec(topologyFile, {
      overrides: {
        vhost,
        queueType: config.queueType,
        ...(config.deliveryLimit === undefined ? {} : { deliveryLimit: config.deliveryLimit }),
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const connection of connections) await connection.close().catch(() => {});
    await managementRequest(apiUrl(), "DELETE", `/api/vhosts/${encodeURIComponent(vhost)}`);
    for (const name of passwords.keys())
      await managementRequest(apiUrl(), "DELETE", `/api/users/${encodeURIComponent(username(name))}`);
  });

  it("declares every kind of broker resource the provider manages", () => {
    const types = new Set(declared.map((r) => r.type));
    expect([...types].sort()).toEqual([
      "rabbitmq:index/binding:Binding",
      "rabbitmq:index/exchange:Exchange",
      "rabbitmq:index/permissions:Permissions",
      "rabbitmq:index/policy:Policy",
      "rabbitmq:index/queue:Queue",
      "rabbitmq:index/topicPermissions:TopicPermissions",
      "rabbitmq:index/user:User",
      "rabbitmq:index/vHost:VHost",
    ]);
    expect(declared.find((r) => r.type === "rabbitmq:index/vHost:VHost")?.inputs.name).toBe("aios");
  });

  it("creates them all through the management API as the provider does, then verify finds no drift", async () => {
    // Users granted permissions but not declared as User resources (the provisioner, created by
    // the broker's boot-time definitions) are created first, as the broker would have them.
    const declaredUsers = new Set(
      declared.filter((r) => r.type === "rabbitmq:index/user:User").map((r) => String(r.inputs.name)),
    );
    for (const r of declared.filter((r) => r.type.endsWith("ermissions"))) {
      const user = String(r.inputs.user);
      if (!declaredUsers.has(user)) {
        await api("PUT", `/api/users/${encodeURIComponent(username(user))}`, {
          password: password(user),
          tags: "",
        });
      }
    }
    const calls = managementCalls(declared, { vhost, username, password });
    for (const call of calls) {
      const response = await managementRequest(apiUrl(), call.method, call.path, call.body);
      expect(response.ok, `${call.resource}: ${call.method} ${call.path} → HTTP ${response.status}`).toBe(
        true,
      );
    }

    // What the broker holds now, read back: the provider's conversions took effect.
    const v = encodeURIComponent(vhost);
    const policies = (await (await api("GET", `/api/policies/${v}`)).json()) as {
      name: string;
      definition: Record<string, unknown>;
    }[];
    const declaredPolicies = declared.filter((r) => r.type === "rabbitmq:index/policy:Policy");
    expect(policies.map((p) => p.name).sort()).toEqual(declaredPolicies.map((p) => p.inputs.name).sort());
    for (const policy of declaredPolicies) {
      const definition = (policy.inputs.policy as { definition: Record<string, unknown> }).definition;
      // "100000" (a string in the provider's schema) is on the broker as the number RabbitMQ requires.
      expect(policies.find((p) => p.name === policy.inputs.name)?.definition).toEqual(
        policyDefinition(definition),
      );
    }
    const queues = (await (await api("GET", `/api/queues/${v}`)).json()) as {
      name: string;
      arguments: Record<string, unknown>;
    }[];
    for (const queue of declared.filter((r) => r.type === "rabbitmq:index/queue:Queue")) {
      const settings = queue.inputs.settings as { argumentsJson: string };
      expect(queues.find((q) => q.name === queue.inputs.name)?.arguments).toEqual(
        JSON.parse(settings.argumentsJson),
      );
    }
    const permissions = (await (await api("GET", `/api/vhosts/${v}/permissions`)).json()) as {
      user: string;
    }[];
    // The broker also grants the vhost's creator (the API user) full rights on it.
    const apiUser = decodeURIComponent(new URL(apiUrl()).username);
    expect(
      permissions
        .map((p) => p.user)
        .filter((user) => user !== apiUser)
        .sort(),
    ).toEqual(
      declared
        .filter((r) => r.type === "rabbitmq:index/permissions:Permissions")
        .map((r) => username(String(r.inputs.user)))
        .sort(),
    );

    // `aios topology verify` with the stack's overrides (aios:queueType, aios:deliveryLimit), the
    // same the program resolves the spec with.
    const specFile = topologyFile;
    const verified = await node([
      "runtime/src/cli/main.ts",
      "topology",
      "verify",
      "-f",
      specFile,
      "--vhost",
      vhost,
      "--queue-type",
      queueType,
      ...(deliveryLimit === undefined ? [] : ["--delivery-limit", String(deliveryLimit)]),
      "--api-url",
      apiUrl(),
    ]).then(
      (result) => ({ code: 0, ...result }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(verified.stderr).toBe("");
    expect(verified.stdout).toBe(`vhost ${vhost} matches ${specFile}\n`);
    expect(verified.code).toBe(0);
  }, 60_000);

  it("runs the example agents, each as the user the stack declares for its agent type", async () => {
    const agentUser = (agentType: string) => {
      const user = declared.find(
        (r) => r.type === "rabbitmq:index/user:User" && r.inputs.name === `agent-${agentType}`,
      );
      if (!user) throw new Error(`the ${stack} stack declares no user agent-${agentType}`);
      const url = new URL(process.env.AIOS_AMQP_URL ?? "amqp://127.0.0.1:5672");
      url.username = username(`agent-${agentType}`);
      url.password = password(`agent-${agentType}`);
      url.pathname = `/${encodeURIComponent(vhost)}`;
      return url.toString();
    };
    const connect = async (agentType: string) => {
      const connection = new ConnectionManager({
        urls: agentUser(agentType),
        topology: agentTopology(topology, agentType),
        reconnect: { initialAttempts: 1 },
      });
      connections.push(connection);
      await connection.connect();
      return connection;
    };
    const log: string[] = [];
    const done: TaskDone[] = [];
    const planner = await startPlanner({
      connection: await connect("planner"),
      topology,
      tasks: EXAMPLE_TASKS,
      onDone: (d) => done.push(d),
      log: (line) => log.push(line),
    });
    const workers = await Promise.all(
      (["coder", "reviewer"] as const).map(async (agentType) =>
        startWorker({
          agentType,
          connection: await connect(agentType),
          topology,
          log: (line) => log.push(line),
        }),
      ),
    );
    try {
      const deadline = Date.now() + 15_000;
      // Three good tasks reported back; the poison one failed and went through its first
      // retry tier (1 s in config/messaging.yaml) under the coder's own permissions.
      while (
        (done.length < 3 || log.filter((l) => l.includes("task-poison failed")).length < 2) &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      for (const agent of [...workers, planner]) await agent.stop();
    }
    expect(done.map((d) => `${d.by}:${d.taskId}`).sort()).toEqual([
      "coder:task-1",
      "coder:task-3",
      "reviewer:task-2",
    ]);
    expect(log.filter((l) => l.includes("task-poison failed")).length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
