import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as minio from "@pulumi/minio";
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import * as random from "@pulumi/random";
import { loadStorageSpec } from "@aios/runtime/storage";
import { loadTopologySpec } from "@aios/runtime/topology";
import type { StackConfig } from "./config.ts";
import { DevAgents } from "./containers/dev-agents.ts";
import { ServiceContainers } from "./containers/component.ts";
import { containerPrometheusConfig } from "./containers/plan.ts";
import { MessagingTopology } from "./messaging/component.ts";
import { grafanaUploads } from "./observability/grafana.ts";
import { StorageBuckets } from "./storage/component.ts";

/**
 * One environment: containers, then the topology and buckets declared into them through the
 * RabbitMQ and MinIO providers. The specs come from config/ through @aios/runtime's loaders, the
 * same ones agents use, so the deployed topology is the one agents expect.
 */
export async function createStack(config: StackConfig) {
  const root = resolve(config.sourceDir);
  const overrides = {
    queueType: config.queueType,
    ...(config.deliveryLimit === undefined ? {} : { deliveryLimit: config.deliveryLimit }),
  };
  const topology = await loadTopologySpec(resolve(root, config.topologyFile), { overrides });
  const storage = await loadStorageSpec(resolve(root, config.storageFile));
  const password = (name: string) => new random.RandomPassword(name, { length: 32, special: false }).result;

  const rabbitmqPassword = password("rabbitmq-admin-password");
  const minioPassword = password("minio-admin-password");
  const grafanaPassword = password("grafana-admin-password");
  const prefix = `aios-${config.environment}`;
  const prometheusConfig = containerPrometheusConfig(
    readFileSync(resolve(root, "observability/prometheus/prometheus.yml"), "utf8"),
    config,
  );
  const services = new ServiceContainers("services", {
    config,
    rabbitmqPassword,
    minioPassword,
    grafanaPassword,
    uploads: {
      prometheus: [
        { file: "/etc/prometheus/prometheus.yml", content: prometheusConfig },
        {
          file: "/etc/prometheus/alerts.yml",
          content: readFileSync(resolve(root, "observability/prometheus/alerts.yml"), "utf8"),
        },
      ],
      grafana: grafanaUploads(`http://${prefix}-prometheus:9090`),
    },
  });

  const rabbitProvider = new rabbitmq.Provider(
    "rabbitmq",
    { endpoint: `http://${config.bindAddress}:15672`, username: "aios-admin", password: rabbitmqPassword },
    { dependsOn: [services.rabbitmq] },
  );
  const minioProvider = new minio.Provider(
    "minio",
    {
      minioServer: `${config.bindAddress}:9000`,
      minioUser: "aios-admin",
      minioPassword,
      minioRegion: "us-east-1",
    },
    { dependsOn: [services.minio] },
  );
  const messaging = new MessagingTopology("messaging", { topology, provider: rabbitProvider });
  const buckets = new StorageBuckets("storage", { spec: storage, provider: minioProvider });

  if (config.devAgents) {
    new DevAgents("dev-agents", {
      config,
      network: services.network.name,
      amqpUrl: pulumi.interpolate`amqp://aios-admin:${rabbitmqPassword}@${prefix}-rabbitmq:5672/${topology.vhost}`,
      dependsOn: [messaging],
    });
  }

  return {
    urls: services.urls,
    vhost: messaging.vhost,
    queues: messaging.queueNames,
    buckets: buckets.bucketNames,
    rabbitmqAdminPassword: pulumi.secret(rabbitmqPassword),
    minioAdminPassword: pulumi.secret(minioPassword),
    grafanaAdminPassword: pulumi.secret(grafanaPassword),
  };
}
