import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { SECRET_KEYS, repositoryPath, type SecretKey } from "../config.ts";
import { InfraConfigError } from "../errors.ts";
import { describeResources, MASK, maskSecrets, type PlannedResource } from "./describe.ts";
import { planStack } from "./run.ts";
import { loadStackFile } from "./stack-file.ts";

// `npm run plan`: what the committed stacks declare, computed under Pulumi's mocks. The dev stack
// runs through the npm script exactly as a reviewer types it; prod runs in-process with sentinel
// secrets, so a secret that reached the output in clear fails the test.

const run = promisify(execFile);
const count = (resources: PlannedResource[], type: string) => resources.filter((r) => r.type === type).length;
const SENTINELS = Object.fromEntries(SECRET_KEYS.map((key) => [key, `LEAK-SENTINEL-${key}`])) as Record<
  SecretKey,
  string
>;

describe("npm run plan -- dev --json", () => {
  let dev: PlannedResource[];
  beforeAll(async () => {
    const { stdout } = await run("npm", ["run", "-s", "plan", "--", "dev", "--json"], {
      cwd: repositoryPath("."),
      timeout: 170_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    dev = JSON.parse(stdout) as PlannedResource[];
  }, 180_000);

  it("prints one array of {type, name, parent, inputs} with Pulumi's type tokens", () => {
    for (const resource of dev) expect(Object.keys(resource)).toEqual(["type", "name", "parent", "inputs"]);
    const container = dev.find((r) => r.name === "aios-dev-rabbitmq-1");
    expect(container).toMatchObject({
      type: "docker:index/container:Container",
      parent: "services",
      inputs: { name: "aios-dev-rabbitmq-1", hostname: "aios-rabbitmq-1" },
    });
  });

  it("declares one of each service, the dev agents and the Grafana content", () => {
    expect(count(dev, "docker:index/container:Container")).toBe(5);
    expect(count(dev, "docker:index/volume:Volume")).toBe(4);
    expect(count(dev, "grafana:oss/dashboard:Dashboard")).toBe(4); // overview, messaging, storage, agents
    expect(count(dev, "grafana:oss/folder:Folder")).toBe(1);
    expect(count(dev, "rabbitmq:index/queue:Queue")).toBeGreaterThan(5);
    expect(count(dev, "aws:s3/bucket:Bucket")).toBeGreaterThan(0);
  });

  it("masks generated secrets", () => {
    const text = JSON.stringify(dev);
    expect(text).not.toContain("mock-password");
    expect(text).toContain(MASK);
  });
});

describe("planStack('prod')", () => {
  let prod: PlannedResource[];
  beforeAll(async () => {
    prod = await planStack("prod", SENTINELS);
  }, 120_000);

  it("declares the production shape: 3 broker nodes, 4 MinIO nodes, a volume each, no dev agents", () => {
    const containers = prod.filter((r) => r.type === "docker:index/container:Container").map((r) => r.name);
    expect(containers.sort()).toEqual([
      "aios-prod-grafana",
      "aios-prod-minio-1",
      "aios-prod-minio-2",
      "aios-prod-minio-3",
      "aios-prod-minio-4",
      "aios-prod-prometheus",
      "aios-prod-rabbitmq-1",
      "aios-prod-rabbitmq-2",
      "aios-prod-rabbitmq-3",
    ]);
    expect(count(prod, "docker:index/volume:Volume")).toBe(9);
    expect(count(prod, "docker:index/image:Image")).toBe(0);
  });

  it("never prints a secret value: every sentinel secret is masked", () => {
    const text = JSON.stringify(prod);
    for (const sentinel of Object.values(SENTINELS)) expect(text).not.toContain(sentinel);
    expect(text).not.toContain("mock-password");
    // An input holding a secret anywhere is secret as a whole for the engine (a preview shows
    // `uploads: [secret]` too); inputs without one stay readable.
    const broker = prod.find((r) => r.name === "aios-prod-rabbitmq-1");
    expect(broker?.inputs.uploads).toBe(MASK);
    expect(broker?.inputs.hostname).toBe("aios-rabbitmq-1");
    const prometheus = prod.find((r) => r.name === "aios-prod-prometheus");
    const config = (prometheus?.inputs.uploads as { file: string; content: string }[])[0]?.content;
    expect(config).toContain("aios-rabbitmq-3:15692");
    const provider = prod.find((r) => r.type === "pulumi:providers:rabbitmq");
    expect(provider?.inputs.password).toBe(MASK);
  });
});

describe("maskSecrets", () => {
  const secret = (value: unknown) => ({
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    value,
  });

  it("replaces a secret wherever it is nested, and keeps everything else", () => {
    expect(maskSecrets({ a: [1, { b: secret("pw") }], c: "plain" })).toEqual({
      a: [1, { b: MASK }],
      c: "plain",
    });
  });

  it("names parents by their resource name", () => {
    const [described] = describeResources([
      {
        type: "docker:index/volume:Volume",
        name: "v",
        custom: true,
        inputs: { name: "v", token: secret("t") },
        options: {
          parent: "urn:pulumi:dev::aios::aios:containers:ServiceContainers::services",
          protect: false,
          retainOnDelete: true,
          deleteBeforeReplace: false,
          dependencies: [],
        },
      },
    ]);
    expect(described).toEqual({
      type: "docker:index/volume:Volume",
      name: "v",
      parent: "services",
      inputs: { name: "v", token: MASK },
    });
  });
});

describe("loadStackFile", () => {
  it("reads a committed stack's aios:* values", async () => {
    expect((await loadStackFile("prod")).values).toMatchObject({ rabbitmqNodes: "3", minioNodes: "4" });
  });

  it("refuses a stack without a file, naming it", async () => {
    await expect(loadStackFile("nope")).rejects.toThrow(InfraConfigError);
    await expect(loadStackFile("nope")).rejects.toThrow(
      "no stack file Pulumi.nope.yaml in the repository root",
    );
  });
});

describe("npm run plan without a stack", () => {
  it("prints its usage and exits 2", async () => {
    const failed = await run("npm", ["run", "-s", "plan"], { cwd: repositoryPath(".") }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain("usage: npm run plan -- <stack> [--json]");
  });
});
