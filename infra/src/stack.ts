import { readFile } from "node:fs/promises";
import { dashboardFiles } from "@aios/dashboards";
import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import * as random from "@pulumi/random";
import { loadStorageSpec } from "@aios/runtime/storage";
import { loadTopologySpec, type TopologyOverrides } from "@aios/runtime/topology";
import { repositoryPath, type SecretKey, type StackConfig, type StackSecrets } from "./config.ts";
import { ServiceContainers } from "./containers/component.ts";
import { DevAgents } from "./containers/dev-agents.ts";
import { ADMIN_USER, containerName, containerPlans } from "./containers/plan.ts";
import { MessagingTopology } from "./messaging/component.ts";
import { grafanaFiles } from "./observability/grafana.ts";
import { loadObservabilitySettings } from "./observability/settings.ts";
import { InfraPlanError } from "./errors.ts";
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
  readonly adminUser: string;
  readonly rabbitmqAdminPassword: pulumi.Output<string>;
  readonly minioRootPassword: pulumi.Output<string>;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** agent type → { user, password } for AMQP; agent → { accessKey, secretKey } for S3. */
  readonly agentCredentials: pulumi.Output<{
    amqp: Record<string, { user: string; password: string }>;
    s3: Record<string, { accessKey: string; secretKey: string }>;
  }>;
}

/**
 * One environment: containers, then the topology and buckets declared into them through explicit
 * RabbitMQ and MinIO providers. The specs come from config/ through @aios/runtime's loaders — the
 * ones agents use — so the deployed topology is the one agents expect.
 */
export async function createStack(config: StackConfig, secrets: StackSecrets = {}): Promise<StackOutputs> {
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
  const credential = (key: SecretKey): pulumi.Output<string> =>
    pulumi.secret(secrets[key] ?? new random.RandomPassword(key, { length: 32, special: false }).result);
  const adminSecrets = {
    rabbitmqAdminPassword: credential("rabbitmqAdminPassword"),
    minioRootPassword: credential("minioRootPassword"),
    grafanaAdminPassword: credential("grafanaAdminPassword"),
  };

  const services = new ServiceContainers("services", {
    config,
    secrets: adminSecrets,
    plans: containerPlans({
      config,
      observability,
      alertRules,
      grafanaFiles: grafanaFiles({
        prometheusUrl: `http://${containerName(config, "prometheus")}:9090`,
        dashboards: dashboardFiles(),
      }),
      staleUploadsExpiry: storageToResources(storage).staleUploadsExpiry,
    }),
  });

  // Explicit providers on the published ports, created after the containers are healthy.
  const rabbitProvider = new rabbitmq.Provider(
    "rabbitmq",
    {
      endpoint: `http://${config.bindAddress}:15672`,
      username: ADMIN_USER,
      password: adminSecrets.rabbitmqAdminPassword,
    },
    { dependsOn: [services.containers.rabbitmq] },
  );
  const minioProvider = new minio.Provider(
    "minio",
    {
      minioServer: `${config.bindAddress}:9000`,
      minioUser: ADMIN_USER,
      minioPassword: adminSecrets.minioRootPassword,
      minioRegion: "us-east-1",
      minioSsl: false,
    },
    { dependsOn: [services.containers.minio] },
  );

  const messaging = new MessagingTopology("messaging", {
    topology,
    provider: rabbitProvider,
    options: { deadLetterMaxLength: config.deadLetterMaxLength },
    ...(config.devAgents ? { topologyOwner: DEV_EXAMPLES_USER } : {}),
  });
  const buckets = new StorageBuckets("storage", { spec: storage, provider: minioProvider });

  if (config.devAgents) {
    const password = messaging.agentPasswords["*"];
    if (!password) throw new InfraPlanError("messaging: the dev examples user was not created");
    new DevAgents("dev-agents", {
      config,
      network: services.network.name,
      amqpUrl: pulumi.interpolate`amqp://${DEV_EXAMPLES_USER}:${password.apply(encodeURIComponent)}@${containerName(config, "rabbitmq")}:5672/${encodeURIComponent(topology.vhost)}`,
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
    adminUser: ADMIN_USER,
    ...adminSecrets,
    agentCredentials,
  };
}
