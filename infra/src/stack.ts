import { readFile } from "node:fs/promises";
import { dashboardFiles } from "@aios/dashboards";
import * as aws from "@pulumi/aws";
import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import * as random from "@pulumi/random";
import * as grafana from "@pulumiverse/grafana";
import { loadStorageSpec } from "@aios/runtime/storage";
import { loadTopologySpec, type TopologyOverrides } from "@aios/runtime/topology";
import {
  repositoryPath,
  requiredSecrets,
  type SecretKey,
  type StackConfig,
  type StackSecrets,
} from "./config.ts";
import { ServiceContainers } from "./containers/component.ts";
import { DevAgents } from "./containers/dev-agents.ts";
import { ADMIN_USER, containerName, containerPlans } from "./containers/plan.ts";
import { PROVISIONER_USER, rabbitmqHostname } from "./containers/rabbitmq-cluster.ts";
import { MessagingTopology } from "./messaging/component.ts";
import { InfraConfigError, InfraPlanError } from "./errors.ts";
import { GrafanaContent } from "./observability/component.ts";
import { grafanaPlan } from "./observability/grafana.ts";
import { loadObservabilitySettings } from "./observability/settings.ts";
import { StorageBuckets } from "./storage/component.ts";
import { storageToResources } from "./storage/plan.ts";

export const DEV_EXAMPLES_USER = "aios-dev-examples";

/** The stack's outputs (`pulumi stack output`); credentials are secret outputs. */
export interface StackOutputs {
  readonly urls: pulumi.Output<Record<string, string>>;
  readonly vhost: pulumi.Output<string>;
  readonly exchanges: pulumi.Output<string[]>;
  readonly queues: pulumi.Output<string[]>;
  readonly buckets: pulumi.Output<string[]>;
  readonly dashboards: pulumi.Output<string[]>;
  readonly adminUser: string;
  /** The operators' RabbitMQ administrator (`aios-admin`), rotated in place by the provider. */
  readonly rabbitmqAdminPassword: pulumi.Output<string>;
  /** The user the RabbitMQ provider logs in as (`aios-provisioner`). */
  readonly rabbitmqProvisionerPassword: pulumi.Output<string>;
  /** MinIO's root password; absent with `aios:s3Backend: external`. */
  readonly minioRootPassword?: pulumi.Output<string>;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** agent type → { user, password } for AMQP; agent → { accessKey, secretKey } for S3 (MinIO only). */
  readonly agentCredentials: pulumi.Output<{
    amqp: Record<string, { user: string; password: string }>;
    s3: Record<string, { accessKey: string; secretKey: string }>;
  }>;
}

/**
 * One environment: containers, then the topology, buckets and Grafana content declared into them
 * through explicit RabbitMQ, S3 (@pulumi/aws on the stack's S3 endpoint), MinIO admin and Grafana providers. The specs come from config/ through
 * @aios/runtime's loaders — the ones agents use — so the deployed topology is the one agents expect.
 *
 * @throws InfraConfigError when a secret the stack must bring (external S3 keys) is not set.
 */
export async function createStack(config: StackConfig, secrets: StackSecrets = {}): Promise<StackOutputs> {
  for (const key of requiredSecrets(config)) {
    if (secrets[key] === undefined) {
      throw new InfraConfigError(
        `aios:${key}`,
        `required with aios:s3Backend ${config.s3Backend}; set it with \`pulumi config set --secret aios:${key} ...\``,
      );
    }
  }
  const overrides: TopologyOverrides = {
    queueType: config.queueType,
    ...(config.deliveryLimit === undefined ? {} : { deliveryLimit: config.deliveryLimit }),
  };
  const topology = await loadTopologySpec(repositoryPath(config.topologyFile), { overrides });
  const storage = await loadStorageSpec(repositoryPath(config.storageFile));
  const [observability, alertRules] = await Promise.all([
    loadObservabilitySettings(repositoryPath("config/observability.yaml")),
    readFile(repositoryPath("observability/prometheus/alerts.yml"), "utf8"),
  ]);

  // A credential the stack brings (`pulumi config set --secret`) or one generated and kept,
  // encrypted, in the stack's state.
  const credential = (key: SecretKey, length = 32): pulumi.Output<string> =>
    pulumi.secret(secrets[key] ?? new random.RandomPassword(key, { length, special: false }).result);
  const adminSecrets = {
    rabbitmqAdminPassword: credential("rabbitmqAdminPassword"),
    rabbitmqProvisionerPassword: credential("rabbitmqProvisionerPassword"),
    // Every node of the cluster must share it; alphanumeric, as Erlang wants.
    rabbitmqErlangCookie: credential("rabbitmqErlangCookie", 48),
    minioRootPassword:
      config.s3Backend === "minio" ? credential("minioRootPassword") : pulumi.secret("unused: external S3"),
    grafanaAdminPassword: credential("grafanaAdminPassword"),
  };

  const services = new ServiceContainers("services", {
    config,
    secrets: adminSecrets,
    plans: containerPlans({
      config,
      observability,
      alertRules,
      staleUploadsExpiry: storageToResources(storage, { backend: config.s3Backend }).staleUploadsExpiry,
    }),
  });

  // Explicit providers on the published ports, created after the containers are healthy. The
  // RabbitMQ provider talks to node 1's management API; the cluster replicates definitions.
  const rabbitProvider = new rabbitmq.Provider(
    "rabbitmq",
    {
      endpoint: `http://${config.bindAddress}:15672`,
      username: PROVISIONER_USER,
      password: adminSecrets.rabbitmqProvisionerPassword,
    },
    { dependsOn: services.ofRole("rabbitmq") },
  );
  const s3 = s3Connection(config, secrets, adminSecrets.minioRootPassword);
  const s3Provider = new aws.Provider(
    "s3",
    {
      region: config.s3Region,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      // Any S3 server, not AWS: its endpoint, path-style addressing (no per-bucket DNS names),
      // and none of the AWS account look-ups (STS, IAM, EC2 metadata) such a server does not serve.
      endpoints: [{ s3: s3.endpoint }],
      s3UsePathStyle: true,
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      skipRegionValidation: true,
    },
    { dependsOn: services.ofRole("minio") },
  );
  // MinIO's admin API (users and policies), which no other S3 server speaks.
  const minioAdmin =
    config.s3Backend === "minio"
      ? new minio.Provider(
          "minio-admin",
          {
            minioServer: `${config.bindAddress}:9000`,
            minioUser: ADMIN_USER,
            minioPassword: adminSecrets.minioRootPassword,
            minioRegion: config.s3Region,
            minioSsl: false,
          },
          { dependsOn: services.ofRole("minio") },
        )
      : undefined;
  const grafanaProvider = new grafana.Provider(
    "grafana",
    {
      url: `http://${config.bindAddress}:3000`,
      auth: pulumi.secret(pulumi.interpolate`${ADMIN_USER}:${adminSecrets.grafanaAdminPassword}`),
    },
    { dependsOn: services.ofRole("grafana") },
  );

  const messaging = new MessagingTopology("messaging", {
    topology,
    provider: rabbitProvider,
    options: { deadLetterMaxLength: config.deadLetterMaxLength },
    provisionerUser: PROVISIONER_USER,
    administrator: { name: ADMIN_USER, password: adminSecrets.rabbitmqAdminPassword },
    ...(config.devAgents ? { topologyOwner: DEV_EXAMPLES_USER } : {}),
  });
  const buckets = new StorageBuckets("storage", {
    spec: storage,
    backend: config.s3Backend,
    s3Provider,
    ...(minioAdmin === undefined ? {} : { minioProvider: minioAdmin }),
  });
  const dashboards = new GrafanaContent("grafana", {
    provider: grafanaProvider,
    plan: grafanaPlan({
      prometheusUrl: `http://${containerName(config, "prometheus")}:9090`,
      dashboards: dashboardFiles(),
    }),
  });

  if (config.devAgents) {
    const password = messaging.agentPasswords["*"];
    if (!password) throw new InfraPlanError("messaging: the dev examples user was not created");
    new DevAgents("dev-agents", {
      config,
      network: services.network.name,
      amqpUrl: pulumi.interpolate`amqp://${DEV_EXAMPLES_USER}:${password.apply(encodeURIComponent)}@${rabbitmqHostname(0)}:5672/${encodeURIComponent(topology.vhost)}`,
      dependsOn: [messaging],
    });
  }

  const amqp: Record<string, { user: string; password: pulumi.Output<string> }> = {};
  for (const [agent, password] of Object.entries(messaging.agentPasswords)) {
    amqp[agent] = { user: messaging.agentUsernames[agent] ?? agent, password };
  }
  const agentCredentials = pulumi.secret(pulumi.output({ amqp, s3: { ...buckets.agentCredentials } }));

  return {
    urls: services.urls,
    vhost: messaging.vhost,
    exchanges: messaging.exchangeNames,
    queues: messaging.queueNames,
    buckets: buckets.bucketNames,
    dashboards: dashboards.dashboardUids,
    adminUser: ADMIN_USER,
    rabbitmqAdminPassword: adminSecrets.rabbitmqAdminPassword,
    rabbitmqProvisionerPassword: adminSecrets.rabbitmqProvisionerPassword,
    ...(config.s3Backend === "minio" ? { minioRootPassword: adminSecrets.minioRootPassword } : {}),
    grafanaAdminPassword: adminSecrets.grafanaAdminPassword,
    agentCredentials,
  };
}

/** The S3 endpoint the buckets are declared on: MinIO node 1's published API, or the external one. */
function s3Connection(
  config: StackConfig,
  secrets: StackSecrets,
  minioRootPassword: pulumi.Output<string>,
): { endpoint: string; accessKey: pulumi.Input<string>; secretKey: pulumi.Input<string> } {
  if (config.s3Backend === "minio") {
    return {
      endpoint: `http://${config.bindAddress}:9000`,
      accessKey: ADMIN_USER,
      secretKey: minioRootPassword,
    };
  }
  return {
    endpoint: config.s3Endpoint ?? "",
    accessKey: pulumi.secret(secrets.s3AccessKey ?? ""),
    secretKey: pulumi.secret(secrets.s3SecretKey ?? ""),
  };
}
