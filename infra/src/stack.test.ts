import * as pulumi from "@pulumi/pulumi";
import { loadStorageSpec } from "@aios/runtime/storage";
import { loadTopologySpec } from "@aios/runtime/topology";
import { beforeAll, describe, expect, it } from "vitest";
import { resourceRules, stackRules } from "../../policies/src/rules/index.ts";
import { resourceViolations, stackViolations } from "../../policies/src/testing/validate.ts";
import { parseStackConfig, repositoryPath, type StackConfigInput } from "./config.ts";
import { dashboardFiles } from "@aios/dashboards";
import { IMAGES } from "./containers/plan.ts";
import { InfraConfigError } from "./errors.ts";
import { loadStackFile } from "./plan/stack-file.ts";
import type { createStack as CreateStack } from "./stack.ts";
import { type RegisteredResource, RecordingMocks } from "./testing/mocks.ts";

// The whole program under Pulumi's mocks: what `pulumi up -s dev` (or a clustered stack) would
// ask the providers to create — never a deploy. The program module is imported after setMocks.

const mocks = new RecordingMocks();
let createStack: typeof CreateStack;

beforeAll(async () => {
  await mocks.install("dev");
  ({ createStack } = await import("./stack.ts"));
});

const DEV: StackConfigInput = { environment: "dev", queueType: "classic", devAgents: "true" };
// The committed production stack file, as `pulumi up -s prod` would read it.
const PROD: StackConfigInput = (await loadStackFile("prod")).values;

async function deploy(values: StackConfigInput, secrets = {}) {
  mocks.reset();
  const outputs = await createStack(parseStackConfig(values), secrets);
  await mocks.settle();
  return { outputs, resources: mocks.resources() };
}

const ofType = (resources: RegisteredResource[], type: string) => resources.filter((r) => r.type === type);
const named = (resources: RegisteredResource[], type: string, name: string) =>
  ofType(resources, type).find((r) => r.props.name === name || r.props.bucket === name);
const settle = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));

describe("the dev stack", () => {
  let dev: Awaited<ReturnType<typeof deploy>>;
  beforeAll(async () => {
    dev = await deploy(DEV);
  });

  it("declares every queue of the resolved topology with its exact x-arguments", async () => {
    const topology = await loadTopologySpec(repositoryPath("config/messaging.yaml"), {
      overrides: { queueType: "classic" },
    });
    const queues = ofType(dev.resources, "rabbitmq:index/queue:Queue");
    expect(queues.map((q) => q.props.name).sort()).toEqual(topology.queues.map((q) => q.name).sort());
    for (const declared of topology.queues) {
      const settings = named(dev.resources, "rabbitmq:index/queue:Queue", declared.name)?.props.settings as {
        durable: boolean;
        argumentsJson: string;
        arguments?: unknown;
      };
      expect(JSON.parse(settings.argumentsJson), declared.name).toEqual(declared.arguments);
      expect(settings.durable).toBe(true);
      expect(settings.arguments).toBeUndefined();
    }
    expect(await settle(dev.outputs.queues)).toEqual(topology.queues.map((q) => q.name));
  });

  it("declares the vhost, every exchange and binding, and the dead-letter cap policy", async () => {
    const topology = await loadTopologySpec(repositoryPath("config/messaging.yaml"));
    expect(ofType(dev.resources, "rabbitmq:index/vHost:VHost").map((v) => v.props.name)).toEqual([
      topology.vhost,
    ]);
    expect(ofType(dev.resources, "rabbitmq:index/exchange:Exchange").map((e) => e.props.name)).toEqual(
      topology.exchanges.map((e) => e.name),
    );
    const bindings = ofType(dev.resources, "rabbitmq:index/binding:Binding").map(
      (b) => `${b.props.source}>${b.props.destination}:${b.props.routingKey}`,
    );
    expect(bindings.sort()).toEqual(
      topology.bindings.map((b) => `${b.source}>${b.destination}:${b.routingKey}`).sort(),
    );
    const policy = named(dev.resources, "rabbitmq:index/policy:Policy", "aios-dead-letter-limit");
    expect(policy?.props.policy).toMatchObject({
      applyTo: "queues",
      definition: { "max-length": "1000000" },
    });
  });

  it("creates one least-privilege AMQP user per agent type, and a topology owner for the dev agents", () => {
    const users = ofType(dev.resources, "rabbitmq:index/user:User");
    expect(users.map((u) => u.props.name).sort()).toEqual([
      "agent-coder",
      "agent-planner",
      "agent-reviewer",
      "aios-admin",
      "aios-dev-examples",
    ]);
    for (const user of users) {
      expect(user.props.tags).toEqual(user.props.name === "aios-admin" ? ["administrator"] : []);
      expect(user.secretInputs.has("password"), `${user.props.name} password is secret`).toBe(true);
    }
    const coder = ofType(dev.resources, "rabbitmq:index/permissions:Permissions").find(
      (p) => p.props.user === "agent-coder",
    );
    const read = new RegExp((coder?.props.permissions as { read: string }).read);
    expect(read.test("agents.coder")).toBe(true);
    expect(read.test("agents.reviewer")).toBe(false);
    expect(ofType(dev.resources, "rabbitmq:index/topicPermissions:TopicPermissions")).toHaveLength(3);
  });

  it("declares every bucket of config/storage.yaml with its tags, versioning and lifecycle", async () => {
    const spec = await loadStorageSpec(repositoryPath("config/storage.yaml"));
    expect(ofType(dev.resources, "aws:s3/bucket:Bucket").map((b) => [b.props.bucket, b.props.tags])).toEqual(
      spec.buckets.map((b) => [b.name, b.tags]),
    );
    for (const bucket of spec.buckets) {
      const versioning = named(dev.resources, "aws:s3/bucketVersioning:BucketVersioning", bucket.name);
      expect(versioning !== undefined, `${bucket.name} versioning`).toBe(bucket.versioning);
      const lifecycle = named(
        dev.resources,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        bucket.name,
      );
      const rules = (lifecycle?.props.rules ?? []) as {
        id: string;
        noncurrentVersionExpiration?: { noncurrentDays: number };
      }[];
      const days = rules.find((r) => r.noncurrentVersionExpiration)?.noncurrentVersionExpiration
        ?.noncurrentDays;
      expect(days, `${bucket.name} noncurrent expiry`).toBe(bucket.lifecycle.noncurrentVersionExpirationDays);
      // The dev stack's MinIO cannot hold the abort rule: its containers expire stale uploads.
      expect(rules.map((r) => r.id)).not.toContain("abort-incomplete-uploads");
    }
    const minio = ofType(dev.resources, "docker:index/container:Container").find((c) =>
      String(c.props.name).includes("minio"),
    );
    expect(minio?.props.envs).toContain("MINIO_API_STALE_UPLOADS_EXPIRY=24h");
    expect(ofType(dev.resources, "aws:s3/bucketPolicy:BucketPolicy")).toEqual([]);
    const coder = named(dev.resources, "minio:index/iamPolicy:IamPolicy", "aios-workspace-coder");
    expect(String(coder?.props.policy)).toContain("arn:aws:s3:::aios-workspaces/workspaces/coder/*");
    for (const user of ofType(dev.resources, "minio:index/iamUser:IamUser"))
      expect(user.secretInputs.has("secret")).toBe(true);
  });

  it("runs the services from pinned images on 127.0.0.1, and the dev agents from Dockerfile.dev", () => {
    const images = ofType(dev.resources, "docker:index/remoteImage:RemoteImage").map((i) =>
      String(i.props.name),
    );
    expect(images.sort()).toEqual(Object.values(IMAGES).sort());
    const containers = ofType(dev.resources, "docker:index/container:Container");
    expect(containers.map((c) => c.props.name).sort()).toEqual([
      "aios-dev-agents",
      "aios-dev-grafana",
      "aios-dev-minio-1",
      "aios-dev-prometheus",
      "aios-dev-rabbitmq-1",
    ]);
    for (const c of containers)
      for (const port of c.props.ports as { ip: string }[]) expect(port.ip).toBe("127.0.0.1");
    const build = ofType(dev.resources, "docker:index/image:Image")[0]?.props.build as {
      dockerfile: string;
      context: string;
    };
    expect(build.dockerfile).toBe(repositoryPath("Dockerfile.dev"));
    const agents = named(dev.resources, "docker:index/container:Container", "aios-dev-agents");
    expect(
      (agents?.props.volumes as { hostPath: string; containerPath: string }[]).map((v) => v.containerPath),
    ).toEqual(["/app/runtime", "/app/config"]);
  });

  it("declares Grafana's folder, data source and every generated dashboard through the Grafana provider", () => {
    const files = dashboardFiles();
    const dashboards = ofType(dev.resources, "grafana:oss/dashboard:Dashboard");
    expect(
      dashboards.map((d) => (JSON.parse(String(d.props.configJson)) as { uid: string }).uid).sort(),
    ).toEqual(
      Object.values(files)
        .map((f) => (JSON.parse(f) as { uid: string }).uid)
        .sort(),
    );
    expect(dashboards.map((d) => d.props.folder)).toEqual(dashboards.map(() => "aios"));
    expect(ofType(dev.resources, "grafana:oss/folder:Folder").map((f) => f.props.title)).toEqual(["AIOS"]);
    expect(ofType(dev.resources, "grafana:oss/dataSource:DataSource")[0]?.props).toMatchObject({
      uid: "prometheus",
      type: "prometheus",
      url: "http://aios-dev-prometheus:9090",
      isDefault: true,
    });
    for (const r of ofType(dev.resources, "grafana:oss/dashboard:Dashboard"))
      expect(r.parentTypes).toEqual(["aios:observability:GrafanaContent"]);
    // Nothing is provisioned from files any more: an edit no longer replaces the container.
    const grafana = named(dev.resources, "docker:index/container:Container", "aios-dev-grafana");
    expect((grafana?.props.uploads as { file: string }[]).map((u) => u.file)).toEqual([
      "/run/secrets/grafana-admin-password",
    ]);
    const [provider] = ofType(dev.resources, "pulumi:providers:grafana");
    expect(provider?.props.url).toBe("http://127.0.0.1:3000");
    expect(provider?.secretInputs.has("auth")).toBe(true);
  });

  it("keeps every credential secret: outputs, container files, provider passwords, the agents' broker URL", async () => {
    expect(await pulumi.isSecret(dev.outputs.rabbitmqAdminPassword)).toBe(true);
    expect(dev.outputs.minioRootPassword && (await pulumi.isSecret(dev.outputs.minioRootPassword))).toBe(
      true,
    );
    expect(await pulumi.isSecret(dev.outputs.grafanaAdminPassword)).toBe(true);
    expect(await pulumi.isSecret(dev.outputs.agentCredentials)).toBe(true);
    expect(await pulumi.isSecret(dev.outputs.urls)).toBe(false);
    for (const container of ofType(dev.resources, "docker:index/container:Container")) {
      const secretFiles = (container.props.uploads as { file: string }[]).filter((u) =>
        /secrets|definitions\.json|erlang\.cookie/.test(u.file),
      );
      if (secretFiles.length > 0)
        expect(container.secretInputs.has("uploads"), String(container.props.name)).toBe(true);
      expect(container.secretInputs.has("envs"), `${container.props.name} envs carry no secret`).toBe(false);
    }
    const agentsUrl = (
      named(dev.resources, "docker:index/container:Container", "aios-dev-agents")?.props.uploads as {
        file: string;
        content: string;
      }[]
    )[0];
    expect(agentsUrl?.content).toMatch(
      /^amqp:\/\/aios-dev-examples:mock-password-[^@]+@aios-rabbitmq-1:5672\/aios$/,
    );
    for (const provider of [
      "pulumi:providers:rabbitmq",
      "pulumi:providers:aws",
      "pulumi:providers:minio",
      "pulumi:providers:grafana",
    ]) {
      const [registered] = ofType(dev.resources, provider);
      const secretInput = { rabbitmq: "password", aws: "secretKey", minio: "minioPassword", grafana: "auth" }[
        provider.split(":").at(-1) as string
      ];
      expect(registered?.secretInputs.has(secretInput ?? ""), provider).toBe(true);
    }
  });

  it("uses a credential the stack brings as a secret instead of generating one", async () => {
    const { resources } = await deploy(DEV, { grafanaAdminPassword: pulumi.secret("from-stack-config") });
    const grafana = named(resources, "docker:index/container:Container", "aios-dev-grafana");
    const file = (grafana?.props.uploads as { file: string; content: string }[]).find((u) =>
      u.file.endsWith("grafana-admin-password"),
    );
    expect(file?.content).toBe("from-stack-config");
    expect(ofType(resources, "random:index/randomPassword:RandomPassword").map((r) => r.name)).not.toContain(
      "grafanaAdminPassword",
    );
    dev = await deploy(DEV);
  });

  it("places every provider resource under a typed component (aios:<module>:<Name>)", () => {
    const components = new Set(dev.resources.filter((r) => r.type.startsWith("aios:")).map((r) => r.type));
    expect(components).toEqual(
      new Set([
        "aios:containers:ServiceContainers",
        "aios:messaging:MessagingTopology",
        "aios:storage:StorageBuckets",
        "aios:containers:DevAgents",
        "aios:observability:GrafanaContent",
      ]),
    );
    const managed = dev.resources.filter((r) =>
      /^(rabbitmq|minio|docker):index\/|^grafana:oss\/|^aws:s3\//.test(r.type),
    );
    expect(managed.length).toBeGreaterThan(40);
    for (const resource of managed) {
      expect(resource.parentTypes.at(-1), `${resource.type} ${resource.name}`).toMatch(
        /^aios:(containers|messaging|storage|observability):/,
      );
    }
    const queue = ofType(dev.resources, "rabbitmq:index/queue:Queue")[0];
    expect(queue?.parentTypes).toEqual(["aios:messaging:MessagingTopology"]);
  });

  it("passes its own policy pack", async () => {
    const violations: string[] = [];
    for (const rule of resourceRules)
      for (const resource of dev.resources)
        violations.push(...(await resourceViolations(rule, resource)).map((m) => `${rule.name}: ${m}`));
    for (const rule of stackRules)
      violations.push(...(await stackViolations(rule, dev.resources)).map((m) => `${rule.name}: ${m}`));
    expect(violations).toEqual([]);
    // The rules had something to judge: every resource type they look at is in the stack.
    for (const type of [
      "Queue",
      "User",
      "Permissions",
      "Container",
      "RemoteImage",
      "Image",
      "Bucket",
      "BucketVersioning",
      "BucketLifecycleConfiguration",
    ]) {
      expect(
        dev.resources.some((r) => r.type.endsWith(`:${type}`)),
        type,
      ).toBe(true);
    }
  });

  it("fails its policy pack when a resource breaks a rule (the cross-check can fail)", async () => {
    const queue = ofType(dev.resources, "rabbitmq:index/queue:Queue").find(
      (q) => q.props.name === "agents.coder",
    );
    const broken = {
      ...queue,
      props: { ...queue?.props, settings: { durable: true, argumentsJson: "{}" } },
    } as RegisteredResource;
    const found = (await Promise.all(resourceRules.map((rule) => resourceViolations(rule, broken)))).flat();
    expect(found).toEqual([
      "work queue 'agents.coder' has no x-dead-letter-exchange: failed messages would be lost",
    ]);
  });
});

describe("the committed stack files", () => {
  it("dev is one of each and mirrors prod otherwise (same keys, except the quorum-only delivery limit)", async () => {
    const dev = (await loadStackFile("dev")).values;
    expect(Object.keys(dev).sort()).toEqual(
      Object.keys(PROD)
        .filter((key) => key !== "deliveryLimit")
        .sort(),
    );
    expect([dev.rabbitmqNodes, dev.minioNodes, dev.s3Backend]).toEqual(["1", "1", "minio"]);
    expect([PROD.rabbitmqNodes, PROD.minioNodes, PROD.queueType, PROD.protectData]).toEqual([
      "3",
      "4",
      "quorum",
      "true",
    ]);
  });
});

describe("a clustered stack (Pulumi.prod.yaml: quorum queues with a delivery limit, 3 broker and 4 MinIO nodes)", () => {
  let prod: Awaited<ReturnType<typeof deploy>>;
  beforeAll(async () => {
    prod = await deploy(PROD);
  });

  it("changes the queue arguments: quorum with x-delivery-limit, except queues that pin classic", () => {
    const args = (name: string) =>
      JSON.parse(
        (
          named(prod.resources, "rabbitmq:index/queue:Queue", name)?.props.settings as {
            argumentsJson: string;
          }
        ).argumentsJson,
      );
    expect(args("agents.reviewer")).toMatchObject({ "x-queue-type": "quorum", "x-delivery-limit": 5 });
    expect(args("agents.planner")).toMatchObject({ "x-queue-type": "quorum", "x-delivery-limit": 5 });
    expect(args("agents.coder")["x-queue-type"]).toBe("classic");
  });

  it("runs no dev agents and creates no topology owner", () => {
    expect(ofType(prod.resources, "docker:index/image:Image")).toEqual([]);
    expect(named(prod.resources, "docker:index/container:Container", "aios-prod-agents")).toBeUndefined();
    expect(named(prod.resources, "rabbitmq:index/user:User", "aios-dev-examples")).toBeUndefined();
  });

  // The mocks run every deploy as stack "dev"; the production rules read the stack from the URN.
  const asStack = (resources: RegisteredResource[], stack: string) =>
    resources.map((r) => ({ ...r, urn: r.urn.replace(/^urn:pulumi:[^:]+::/, `urn:pulumi:${stack}::`) }));
  const packViolations = async (resources: RegisteredResource[]) => {
    const violations: string[] = [];
    for (const rule of resourceRules)
      for (const r of resources)
        violations.push(...(await resourceViolations(rule, r)).map((m) => `${rule.name}: ${m}`));
    for (const rule of stackRules)
      violations.push(...(await stackViolations(rule, resources)).map((m) => `${rule.name}: ${m}`));
    return violations;
  };

  it("passes its own policy pack too, as the production stack it is", async () => {
    expect(await packViolations(asStack(prod.resources, "prod"))).toEqual([]);
  });

  it("fails the production rules with one broker node and classic queues", async () => {
    const { resources } = await deploy({
      ...PROD,
      rabbitmqNodes: "1",
      queueType: "classic",
      deliveryLimit: undefined,
    });
    const violations = await packViolations(asStack(resources, "prod"));
    expect(violations).toContain(
      "production-broker-cluster: production stack 'prod' runs 1 RabbitMQ node(s) (aios-prod-rabbitmq-1); quorum queues need at least 3 to survive a node's loss (aios:rabbitmqNodes)",
    );
    expect(violations.filter((v) => v.startsWith("production-queues-quorum:")).length).toBeGreaterThan(3);
    prod = await deploy(PROD);
  });

  it("runs three broker nodes on stable hostnames, each on its own volume that is kept and protected", () => {
    const brokers = ofType(prod.resources, "docker:index/container:Container").filter((c) =>
      String(c.props.name).startsWith("aios-prod-rabbitmq-"),
    );
    expect(brokers.map((b) => [b.props.name, b.props.hostname])).toEqual([
      ["aios-prod-rabbitmq-1", "aios-rabbitmq-1"],
      ["aios-prod-rabbitmq-2", "aios-rabbitmq-2"],
      ["aios-prod-rabbitmq-3", "aios-rabbitmq-3"],
    ]);
    for (const broker of brokers) {
      expect(broker.options.deleteBeforeReplace, String(broker.props.name)).toBe(true);
      expect(broker.secretInputs.has("uploads")).toBe(true);
      const uploads = broker.props.uploads as { file: string; owner?: string; permissions?: string }[];
      expect(uploads.find((u) => u.file === "/var/lib/rabbitmq/.erlang.cookie")).toMatchObject({
        owner: "999",
        permissions: "0400",
      });
    }
    const volumes = ofType(prod.resources, "docker:index/volume:Volume");
    expect(volumes).toHaveLength(9);
    for (const volume of volumes)
      expect(volume.options).toMatchObject({ retainOnDelete: true, protect: true });
  });

  it("publishes the management UI of every broker node and the console of every MinIO node", async () => {
    expect(await settle(prod.outputs.urls)).toMatchObject({
      "amqp-1": "amqp://127.0.0.1:5672/",
      "rabbitmqManagement-1": "http://127.0.0.1:15672",
      "rabbitmqManagement-2": "http://127.0.0.1:15673",
      "rabbitmqManagement-3": "http://127.0.0.1:15674",
      "s3-1": "http://127.0.0.1:9000",
      "minioConsole-4": "http://127.0.0.1:9031",
      grafana: "http://127.0.0.1:3000",
    });
  });

  it("shares one Erlang cookie among the nodes, generated as a secret", () => {
    const cookies = ofType(prod.resources, "docker:index/container:Container")
      .filter((c) => String(c.props.name).startsWith("aios-prod-rabbitmq-"))
      .map(
        (c) =>
          (c.props.uploads as { file: string; content: string }[]).find((u) =>
            u.file.endsWith(".erlang.cookie"),
          )?.content,
      );
    expect(new Set(cookies)).toEqual(new Set(["mock-password-rabbitmqErlangCookie"]));
    expect(named(prod.resources, "random:index/randomPassword:RandomPassword", "")).toBeUndefined();
    const cookie = ofType(prod.resources, "random:index/randomPassword:RandomPassword").find(
      (r) => r.name === "rabbitmqErlangCookie",
    );
    expect(cookie?.props).toMatchObject({ length: 48, special: false });
  });

  it("points the RabbitMQ provider at node 1 as the provisioner, after every node is healthy", () => {
    const [provider] = ofType(prod.resources, "pulumi:providers:rabbitmq");
    expect(provider?.props).toMatchObject({
      endpoint: "http://127.0.0.1:15672",
      username: "aios-provisioner",
    });
    const brokerUrns = ofType(prod.resources, "docker:index/container:Container")
      .filter((c) => String(c.props.name).startsWith("aios-prod-rabbitmq-"))
      .map((c) => c.urn);
    expect(provider?.options.dependencies).toEqual(expect.arrayContaining(brokerUrns));
    const provisioner = ofType(prod.resources, "rabbitmq:index/permissions:Permissions").find(
      (p) => p.props.user === "aios-provisioner",
    );
    expect(provisioner?.props).toMatchObject({ vhost: "aios" });
  });

  it("rotates the operators' admin password in place: only the aios-admin User's inputs change", async () => {
    const snapshot = async (password: string) =>
      new Map(
        (await deploy(PROD, { rabbitmqAdminPassword: pulumi.secret(password) })).resources.map((r) => [
          `${r.type}::${r.name}`,
          JSON.stringify(r.props),
        ]),
      );
    const before = await snapshot("old-admin-password");
    const after = await snapshot("new-admin-password");
    const changed = [...after].filter(([key, props]) => before.get(key) !== props).map(([key]) => key);
    expect(changed).toEqual(["rabbitmq:index/user:User::messaging-aios-admin"]);
    prod = await deploy(PROD);
  });

  it("declares no storage container with an external S3 backend, and creates the buckets there", async () => {
    const external = { ...PROD, s3Backend: "external", s3Endpoint: "https://rgw.example.internal:7480" };
    delete (external as Record<string, unknown>).minioNodes;
    await expect(deploy(external)).rejects.toThrow(InfraConfigError);
    await expect(deploy(external)).rejects.toThrow(
      "stack config aios:s3AccessKey: required with aios:s3Backend external",
    );
    const { resources } = await deploy(external, {
      s3AccessKey: pulumi.secret("rgw-access"),
      s3SecretKey: pulumi.secret("rgw-secret"),
    });
    const containers = ofType(resources, "docker:index/container:Container").map((c) => String(c.props.name));
    expect(containers.some((name) => name.includes("minio"))).toBe(false);
    const [provider] = ofType(resources, "pulumi:providers:aws");
    // Provider configuration reaches the engine as strings (objects as JSON).
    expect(provider?.props).toMatchObject({
      region: "us-east-1",
      s3UsePathStyle: "true",
      skipCredentialsValidation: "true",
      skipRequestingAccountId: "true",
      skipMetadataApiCheck: "true",
    });
    expect(JSON.parse(String(provider?.props.endpoints))).toEqual([
      { s3: "https://rgw.example.internal:7480" },
    ]);
    expect(provider?.secretInputs.has("accessKey") && provider.secretInputs.has("secretKey")).toBe(true);
    expect(provider?.options.dependencies).toEqual([]);
    expect(ofType(resources, "pulumi:providers:minio")).toEqual([]);
    // An external server stores the abort rule: every bucket declares it.
    const spec = await loadStorageSpec(repositoryPath("config/storage.yaml"));
    for (const bucket of spec.buckets) {
      const lifecycle = named(
        resources,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        bucket.name,
      );
      expect(lifecycle?.props.rules, bucket.name).toContainEqual({
        id: "abort-incomplete-uploads",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: {
          daysAfterInitiation: bucket.lifecycle.abortIncompleteMultipartUploadDays,
        },
      });
    }
    // IAM users are MinIO's admin API: an external server manages its users its own way.
    expect(ofType(resources, "minio:index/iamUser:IamUser")).toEqual([]);
    prod = await deploy(PROD);
  });
});
