import * as pulumi from "@pulumi/pulumi";
import type { ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { resourceRules, stackRules } from "../../policies/src/rules/index.ts";
import { parseStackConfig } from "./config.ts";
import { IMAGES } from "./containers/plan.ts";

// The whole program under Pulumi's mocks: no engine, no providers, no deploy. It shows what
// `pulumi up -s dev` would ask the providers to create, and runs the policy pack on it.

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "random:index/randomPassword:RandomPassword")
          state.result = `generated-${args.name}`;
        if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${args.name}`;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "aios",
    "dev",
    false,
  );
});

async function deploy(overrides: Record<string, string> = {}) {
  registered.length = 0;
  const { createStack } = await import("./stack.ts");
  const config = parseStackConfig({
    environment: "dev",
    queueType: "classic",
    devAgents: "true",
    ...overrides,
  });
  const outputs = await createStack(config);
  // Let every resource registration settle.
  await new Promise<void>((resolve) =>
    pulumi.all([outputs.queues, outputs.buckets, outputs.urls]).apply(() => resolve()),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  return outputs;
}

const ofType = (type: string) => registered.filter((r) => r.type === type);

describe("the dev stack", () => {
  it("declares every queue of config/messaging.yaml with its arguments as JSON numbers", async () => {
    await deploy();
    const queues = ofType("rabbitmq:index/queue:Queue");
    expect(queues.map((q) => q.inputs.name)).toContain("agents.coder.retry.1m");
    const coder = queues.find((q) => q.inputs.name === "agents.coder");
    const settings = coder?.inputs.settings as { argumentsJson: string; durable: boolean };
    expect(settings.durable).toBe(true);
    expect(JSON.parse(settings.argumentsJson)).toMatchObject({
      "x-max-priority": 10,
      "x-message-ttl": 3_600_000,
      "x-queue-type": "classic",
    });
    expect(ofType("rabbitmq:index/binding:Binding")).toHaveLength(8);
    expect(ofType("rabbitmq:index/vHost:VHost").map((v) => v.inputs.name)).toEqual(["aios"]);
  });

  it("gives each agent type a least-privilege user: reads only its own queue, configures nothing", async () => {
    await deploy();
    const permissions = ofType("rabbitmq:index/permissions:Permissions").map(
      (p) => p.inputs.permissions as Record<string, string>,
    );
    expect(permissions).toHaveLength(3);
    const coder = permissions.find((p) => p.read?.includes("agents\\.coder"));
    expect(coder).toEqual({
      configure: "^$",
      write:
        "^(amq\\.default|aios\\.tasks|aios\\.events|aios\\.dead-letter|agents\\.coder\\.retry\\.1s|agents\\.coder\\.retry\\.10s|agents\\.coder\\.retry\\.1m)$",
      read: "^(agents\\.coder|amq\\.rabbitmq\\.reply-to)$",
    });
    expect(ofType("rabbitmq:index/user:User").every((u) => (u.inputs.tags as string[]).length === 0)).toBe(
      true,
    );
  });

  it("declares the buckets with versioning and lifecycle, and per-agent workspace users", async () => {
    await deploy();
    expect(ofType("minio:index/s3Bucket:S3Bucket").map((b) => b.inputs.bucket)).toEqual([
      "aios-artifacts",
      "aios-workspaces",
      "aios-workspace-refs",
      "aios-backups",
    ]);
    expect(
      ofType("minio:index/s3BucketVersioning:S3BucketVersioning").map((v) => v.inputs.bucket),
    ).not.toContain("aios-workspace-refs");
    const policy = ofType("minio:index/iamPolicy:IamPolicy").find(
      (p) => p.inputs.name === "aios-workspace-coder",
    );
    expect(String(policy?.inputs.policy)).toContain("arn:aws:s3:::aios-workspaces/workspaces/coder/*");
  });

  it("runs pinned images on ports bound to 127.0.0.1, and the dev agents from Dockerfile.dev", async () => {
    await deploy();
    const images = ofType("docker:index/remoteImage:RemoteImage").map((i) => String(i.inputs.name));
    expect(images.sort()).toEqual(Object.values(IMAGES).sort());
    const containers = ofType("docker:index/container:Container");
    expect(containers.map((c) => c.inputs.name)).toEqual(
      expect.arrayContaining([
        "aios-dev-rabbitmq",
        "aios-dev-minio",
        "aios-dev-prometheus",
        "aios-dev-grafana",
        "aios-dev-agents",
      ]),
    );
    for (const c of containers)
      for (const port of c.inputs.ports as { ip: string }[]) expect(port.ip).toBe("127.0.0.1");
    const build = ofType("docker:index/image:Image")[0]?.inputs.build as { dockerfile: string };
    expect(build.dockerfile).toMatch(/Dockerfile\.dev$/);
    const grafana = containers.find((c) => c.inputs.name === "aios-dev-grafana");
    expect((grafana?.inputs.uploads as { file: string }[]).map((u) => u.file)).toContain(
      "/var/lib/grafana/dashboards/aios/aios-messaging.json",
    );
  });

  it("groups resources in typed components (aios:<module>:<Name>)", async () => {
    await deploy();
    const components = registered.map((r) => r.type).filter((type) => type.startsWith("aios:"));
    expect(new Set(components)).toEqual(
      new Set([
        "aios:containers:ServiceContainers",
        "aios:messaging:MessagingTopology",
        "aios:storage:StorageBuckets",
        "aios:containers:DevAgents",
      ]),
    );
  });

  it("keeps generated credentials out of plain outputs", async () => {
    const outputs = await deploy();
    expect(await pulumi.isSecret(outputs.rabbitmqAdminPassword)).toBe(true);
    expect(await pulumi.isSecret(outputs.minioAdminPassword)).toBe(true);
  });

  it("passes its own policy pack", async () => {
    await deploy();
    const violations: string[] = [];
    for (const resource of registered) {
      const args = {
        type: resource.type,
        props: resource.inputs,
        urn: resource.name,
        name: resource.name,
        opts: {},
        stackTags: new Map(),
      };
      for (const rule of resourceRules)
        void rule.validateResource(args as unknown as ResourceValidationArgs, (m) =>
          violations.push(`${rule.name}: ${m}`),
        );
    }
    const stackArgs = {
      resources: registered.map((r) => ({ type: r.type, props: r.inputs, urn: r.name })),
      stackTags: new Map(),
    };
    for (const rule of stackRules)
      void rule.validateStack(stackArgs as unknown as StackValidationArgs, (m) =>
        violations.push(`${rule.name}: ${m}`),
      );
    expect(violations).toEqual([]);
  });
});

describe("a clustered stack", () => {
  it("turns default queues into quorum queues with a delivery limit and leaves out the dev agents", async () => {
    await deploy({ environment: "prod", queueType: "quorum", deliveryLimit: "5", devAgents: "false" });
    const reviewer = ofType("rabbitmq:index/queue:Queue").find((q) => q.inputs.name === "agents.reviewer");
    expect(JSON.parse((reviewer?.inputs.settings as { argumentsJson: string }).argumentsJson)).toMatchObject({
      "x-queue-type": "quorum",
      "x-delivery-limit": 5,
    });
    expect(ofType("docker:index/image:Image")).toEqual([]);
  });

  it("refuses a delivery limit on classic queues in the stack config", () => {
    expect(() => parseStackConfig({ environment: "x", queueType: "classic", deliveryLimit: "3" })).toThrow(
      "stack config aios:deliveryLimit: only quorum queues have a delivery limit",
    );
  });
});
