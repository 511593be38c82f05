import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import type { ContainerPlan, SecretFilePlan } from "./plan.ts";

export interface ServiceContainersArgs {
  readonly config: StackConfig;
  readonly plans: readonly ContainerPlan[];
  /** Values for the plans' secret files; every one is made a secret output. */
  readonly secrets: Readonly<Record<SecretFilePlan["secret"], pulumi.Input<string>>>;
}

/** The services of one environment on one Docker host, on a private network. */
export class ServiceContainers extends pulumi.ComponentResource {
  readonly network: docker.Network;
  readonly containers: Readonly<Record<ContainerPlan["role"], docker.Container>>;
  readonly urls: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ServiceContainersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:containers:ServiceContainers", name, {}, opts);
    const { config } = args;
    this.network = new docker.Network(
      `${name}-network`,
      { name: `aios-${config.environment}`, driver: "bridge" },
      { parent: this },
    );

    const containers: Partial<Record<ContainerPlan["role"], docker.Container>> = {};
    for (const plan of args.plans) {
      const image = new docker.RemoteImage(
        `${plan.name}-image`,
        { name: plan.image, keepLocally: true },
        { parent: this },
      );
      const volume = new docker.Volume(`${plan.name}-data`, { name: plan.volume.name }, { parent: this });
      const secretUploads = plan.secretFiles.map((file) => ({
        file: file.file,
        // Secret in, secret out: the engine keeps the upload's content encrypted in the state.
        content: pulumi.secret(pulumi.output(args.secrets[file.secret]).apply(file.render)),
      }));
      containers[plan.role] = new docker.Container(
        plan.name,
        {
          name: plan.name,
          image: image.imageId,
          restart: "unless-stopped",
          envs: [...plan.envs],
          ...(plan.command ? { command: [...plan.command] } : {}),
          ports: plan.ports.map((p) => ({ internal: p.internal, external: p.external, ip: p.ip })),
          networksAdvanced: [{ name: this.network.name, aliases: [plan.name] }],
          volumes: [{ volumeName: volume.name, containerPath: plan.volume.path }],
          healthcheck: {
            tests: [...plan.healthcheck],
            interval: "10s",
            timeout: "5s",
            retries: 6,
            startPeriod: "30s",
          },
          // Wait for the health check, so the providers configured against these ports find a
          // server that answers.
          wait: true,
          waitTimeout: 180,
          uploads: [...plan.files.map((f) => ({ file: f.file, content: f.content })), ...secretUploads],
        },
        { parent: this },
      );
    }
    this.containers = containers as Record<ContainerPlan["role"], docker.Container>;

    const host = config.bindAddress;
    const urls: Record<string, string> = {
      amqp: `amqp://${host}:5672/`,
      rabbitmqManagement: `http://${host}:15672`,
      s3: `http://${host}:9000`,
      minioConsole: `http://${host}:9001`,
      prometheus: `http://${host}:9090`,
      grafana: `http://${host}:3000`,
    };
    this.urls = pulumi.output(urls);
    this.registerOutputs({ urls: this.urls });
  }
}
