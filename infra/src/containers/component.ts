import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import { type ContainerPlan, containerPlans } from "./plan.ts";

export interface ServiceContainersArgs {
  readonly config: StackConfig;
  readonly rabbitmqPassword: pulumi.Input<string>;
  readonly minioPassword: pulumi.Input<string>;
  readonly grafanaPassword: pulumi.Input<string>;
  /** Files uploaded into a container, by container role (e.g. Prometheus' config). */
  readonly uploads: Readonly<
    Record<"prometheus" | "grafana", readonly { file: string; content: pulumi.Input<string> }[]>
  >;
}

/** The services of one environment on one Docker host, on a private network. */
export class ServiceContainers extends pulumi.ComponentResource {
  readonly network: docker.Network;
  readonly rabbitmq: docker.Container;
  readonly minio: docker.Container;
  readonly urls: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ServiceContainersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:containers:ServiceContainers", name, {}, opts);
    const { config } = args;
    this.network = new docker.Network(
      `${name}-network`,
      { name: `aios-${config.environment}` },
      { parent: this },
    );
    const [rabbitPlan, minioPlan, promPlan, grafanaPlan] = containerPlans(config) as [
      ContainerPlan,
      ContainerPlan,
      ContainerPlan,
      ContainerPlan,
    ];

    const container = (
      plan: ContainerPlan,
      envs: pulumi.Input<string>[],
      uploads: ServiceContainersArgs["uploads"]["prometheus"] = [],
    ) => {
      const image = new docker.RemoteImage(
        `${plan.name}-image`,
        { name: plan.image, keepLocally: true },
        { parent: this },
      );
      const volume = new docker.Volume(`${plan.name}-data`, { name: `${plan.name}-data` }, { parent: this });
      return new docker.Container(
        plan.name,
        {
          name: plan.name,
          image: image.imageId,
          restart: "unless-stopped",
          envs,
          ...(plan.command ? { command: [...plan.command] } : {}),
          ports: plan.ports.map((p) => ({ internal: p.internal, external: p.external, ip: p.ip })),
          networksAdvanced: [{ name: this.network.name, aliases: [plan.name] }],
          volumes: plan.volumePath ? [{ volumeName: volume.name, containerPath: plan.volumePath }] : [],
          healthcheck: {
            tests: [...plan.healthcheck],
            interval: "10s",
            timeout: "5s",
            retries: 6,
            startPeriod: "20s",
          },
          uploads: uploads.map((u) => ({ file: u.file, content: u.content })),
        },
        { parent: this },
      );
    };

    // Credentials reach the containers as secret outputs: they never appear in the program or the preview.
    this.rabbitmq = container(rabbitPlan, [
      "RABBITMQ_DEFAULT_USER=aios-admin",
      pulumi.interpolate`RABBITMQ_DEFAULT_PASS=${args.rabbitmqPassword}`,
      "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-rabbitmq_prometheus return_per_object_metrics true",
    ]);
    this.minio = container(minioPlan, [
      "MINIO_ROOT_USER=aios-admin",
      pulumi.interpolate`MINIO_ROOT_PASSWORD=${args.minioPassword}`,
    ]);
    container(promPlan, [], args.uploads.prometheus);
    container(
      grafanaPlan,
      [
        "GF_SECURITY_ADMIN_USER=aios-admin",
        pulumi.interpolate`GF_SECURITY_ADMIN_PASSWORD=${args.grafanaPassword}`,
        "GF_AUTH_ANONYMOUS_ENABLED=false",
      ],
      args.uploads.grafana,
    );

    const host = config.bindAddress;
    const urls: Record<string, string> = {
      amqp: `amqp://${host}:5672/`,
      rabbitmqManagement: `http://${host}:15672`,
      s3: `http://${host}:9000`,
      prometheus: `http://${host}:9090`,
      grafana: `http://${host}:3000`,
    };
    this.urls = pulumi.output(urls);
    this.registerOutputs({ urls: this.urls });
  }
}
