import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseStackConfig, repositoryPath, type StackConfigInput } from "../config.ts";
import { containerAction, containerChanges, type ContainerChange, type SecretValues } from "./changes.ts";
import { loadObservabilitySettings } from "../observability/settings.ts";
import { containerPlans, type ContainerPlan } from "./plan.ts";

// Which stack-config edits replace which containers, computed as the Docker provider would decide
// from the inputs the program passes (see changes.ts for where that rule comes from). It proves
// what the program sends for config A and config B and how the provider's schema classifies the
// difference; it does not run the provider, so it cannot prove the provider behaves as its schema
// says.

const observability = await loadObservabilitySettings(repositoryPath("config/observability.yaml"));
const alertRules = await readFile(repositoryPath("observability/prometheus/alerts.yml"), "utf8");

const PROD: StackConfigInput = {
  environment: "prod",
  queueType: "quorum",
  deliveryLimit: "5",
  rabbitmqNodes: "3",
  minioNodes: "4",
  prometheusRetentionTime: "30d",
};
const SECRETS: SecretValues = {
  rabbitmqProvisionerPassword: "provisioner-1",
  rabbitmqErlangCookie: "cookie-1",
  minioRootPassword: "minio-1",
  grafanaAdminPassword: "grafana-1",
};

const plans = (values: StackConfigInput): ContainerPlan[] =>
  containerPlans({
    config: parseStackConfig(values),
    observability,
    alertRules,
    staleUploadsExpiry: undefined,
  });

function edit(change: {
  config?: StackConfigInput;
  secrets?: Partial<SecretValues>;
  plans?: (p: ContainerPlan) => ContainerPlan;
}): ContainerChange[] {
  const after = plans({ ...PROD, ...change.config }).map(change.plans ?? ((p) => p));
  return containerChanges(
    { plans: plans(PROD), secrets: SECRETS },
    { plans: after, secrets: { ...SECRETS, ...change.secrets } },
  );
}
/** name → "action(inputs)" for the containers that change. */
const summary = (changes: ContainerChange[]) =>
  Object.fromEntries(
    changes.filter((c) => c.action !== "same").map((c) => [c.name, `${c.action}(${c.inputs.join(",")})`]),
  );

describe("what a config edit does to the containers of the prod stack", () => {
  it("changes no container for a queue setting or the operators' admin password (both go through the RabbitMQ provider)", () => {
    expect(summary(edit({ config: { deliveryLimit: "10", deadLetterMaxLength: "5000" } }))).toEqual({});
    // The admin password is no container's secret: stack.test.ts shows its rotation changes only the User.
  });

  it("replaces only Prometheus for its retention or scrape interval", () => {
    expect(summary(edit({ config: { prometheusRetentionTime: "60d" } }))).toEqual({
      "aios-prod-prometheus": "replace(command)",
    });
    expect(summary(edit({ config: { prometheusScrapeIntervals: '{"rabbitmq":"30s"}' } }))).toEqual({
      "aios-prod-prometheus": "replace(uploads)",
    });
  });

  it("replaces every broker node, on the same hostname and volume, when the provisioner password or the cookie rotates", () => {
    for (const secrets of [
      { rabbitmqProvisionerPassword: "provisioner-2" },
      { rabbitmqErlangCookie: "cookie-2" },
    ]) {
      const changes = edit({ secrets }).filter((c) => c.action !== "same");
      expect(changes.map((c) => [c.name, c.action, c.inputs, c.keepsData])).toEqual([
        ["aios-prod-rabbitmq-1", "replace", ["uploads"], true],
        ["aios-prod-rabbitmq-2", "replace", ["uploads"], true],
        ["aios-prod-rabbitmq-3", "replace", ["uploads"], true],
      ]);
    }
  });

  it("replaces every MinIO node, keeping its volume, when the root password rotates", () => {
    const changes = edit({ secrets: { minioRootPassword: "minio-2" } }).filter((c) => c.action !== "same");
    expect(changes.map((c) => c.name)).toEqual([
      "aios-prod-minio-1",
      "aios-prod-minio-2",
      "aios-prod-minio-3",
      "aios-prod-minio-4",
    ]);
    expect(changes.every((c) => c.action === "replace" && c.keepsData)).toBe(true);
  });

  it("replaces the broker nodes for an image bump, each keeping its node name and data", () => {
    const bumped = edit({
      plans: (p) => (p.role === "rabbitmq" ? { ...p, image: "rabbitmq:4.1.5-management" } : p),
    });
    expect(summary(bumped)).toEqual({
      "aios-prod-rabbitmq-1": "replace(image)",
      "aios-prod-rabbitmq-2": "replace(image)",
      "aios-prod-rabbitmq-3": "replace(image)",
    });
    expect(bumped.filter((c) => c.action === "replace").every((c) => c.keepsData)).toBe(true);
  });

  it("growing the cluster from 3 to 5 nodes creates two, and replaces the three (peer list) and Prometheus (targets)", () => {
    expect(summary(edit({ config: { rabbitmqNodes: "5" } }))).toEqual({
      "aios-prod-rabbitmq-1": "replace(uploads)",
      "aios-prod-rabbitmq-2": "replace(uploads)",
      "aios-prod-rabbitmq-3": "replace(uploads)",
      "aios-prod-rabbitmq-4": "create()",
      "aios-prod-rabbitmq-5": "create()",
      "aios-prod-prometheus": "replace(uploads)",
    });
  });

  it("replaces every container when the bind address moves (ports are ForceNew)", () => {
    const changes = edit({ config: { bindAddress: "10.0.0.5" } });
    expect(changes.every((c) => c.action === "replace" && c.inputs.includes("ports") && c.keepsData)).toBe(
      true,
    );
  });

  it("classifies an in-place input as an update, and reports a removed node as a deletion", () => {
    expect(containerAction([])).toBe("same");
    expect(containerAction(["restart", "memory"])).toBe("update");
    expect(containerAction(["restart", "image"])).toBe("replace");
    const shrunk = containerChanges(
      { plans: plans(PROD), secrets: SECRETS },
      { plans: plans({ ...PROD, minioNodes: "1" }), secrets: SECRETS },
    );
    expect(shrunk.filter((c) => c.action === "delete").map((c) => c.name)).toEqual([
      "aios-prod-minio-2",
      "aios-prod-minio-3",
      "aios-prod-minio-4",
    ]);
  });
});
