import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import { containerInputs } from "./container-inputs.ts";
import type { ContainerPlan, ContainerSecret, ServiceRole } from "./plan.ts";

export interface ServiceContainersArgs {
  readonly config: StackConfig;
  readonly plans: readonly ContainerPlan[];
  /** Values for the plans' secret files; every one is made a secret output. */
  readonly secrets: Readonly<Record<ContainerSecret, pulumi.Input<string>>>;
}

/**
 * The services of one environment on one Docker host, on a private network: per container a
 * pinned image, a named volume and the container itself.
 *
 * Data survives a replacement: the volume has a fixed name and is kept when Pulumi deletes it
 * (`retainOnDelete`; `protect` too with `aios:protectData`), and the container keeps its hostname,
 * so a replaced broker comes back as the same RabbitMQ node on the same data directory. Containers
 * have fixed names, so a replacement deletes the old one first (`deleteBeforeReplace`).
 */
export class ServiceContainers extends pulumi.ComponentResource {
  readonly network: docker.Network;
  /** Container name → container. */
  readonly containers: Readonly<Record<string, docker.Container>>;
  readonly urls: pulumi.Output<Record<string, string>>;
  private readonly plans: readonly ContainerPlan[];

  constructor(name: string, args: ServiceContainersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:containers:ServiceContainers", name, {}, opts);
    const { config } = args;
    this.plans = args.plans;
    this.network = new docker.Network(
      `${name}-network`,
      { name: `aios-${config.environment}`, driver: "bridge" },
      { parent: this },
    );

    const images = new Map<string, docker.RemoteImage>();
    const containers: Record<string, docker.Container> = {};
    for (const plan of args.plans) {
      let image = images.get(plan.image);
      if (image === undefined) {
        image = new docker.RemoteImage(
          `${containerNamePrefix(plan)}-image`,
          { name: plan.image, keepLocally: true },
          { parent: this },
        );
        images.set(plan.image, image);
      }
      const volume = new docker.Volume(
        `${plan.name}-data`,
        { name: plan.volume.name },
        { parent: this, retainOnDelete: true, protect: config.protectData },
      );
      const inputs = containerInputs(plan, () => "");
      const plainUploads = plan.files.length;
      const uploads = inputs.uploads.map((upload, i) => {
        const secretFile = plan.secretFiles[i - plainUploads];
        if (secretFile === undefined) return { ...upload };
        // Secret in, secret out: the engine keeps the upload's content encrypted in the state.
        return {
          ...upload,
          content: pulumi.secret(pulumi.output(args.secrets[secretFile.secret]).apply(secretFile.render)),
        };
      });
      containers[plan.name] = new docker.Container(
        plan.name,
        {
          name: inputs.name,
          hostname: inputs.hostname,
          image: image.imageId,
          restart: inputs.restart,
          envs: [...inputs.envs],
          ...(inputs.command ? { command: [...inputs.command] } : {}),
          ports: inputs.ports.map((p) => ({ ...p })),
          networksAdvanced: [{ name: this.network.name, aliases: [...inputs.networkAliases] }],
          volumes: [{ volumeName: volume.name, containerPath: plan.volume.path }],
          healthcheck: { ...inputs.healthcheck, tests: [...inputs.healthcheck.tests] },
          wait: inputs.wait,
          waitTimeout: inputs.waitTimeout,
          uploads,
        },
        { parent: this, deleteBeforeReplace: true },
      );
    }
    this.containers = containers;

    const host = config.bindAddress;
    const published = (role: ServiceRole, internal: number) =>
      args.plans
        .filter((p) => p.role === role)
        .map((p) => p.ports.find((port) => port.internal === internal)?.external);
    const urls: Record<string, string> = {
      prometheus: `http://${host}:9090`,
      grafana: `http://${host}:3000`,
    };
    // One URL per node: `amqp-1`, `rabbitmqManagement-2`, `s3-1`, `minioConsole-4`…
    const perNode = (key: string, role: ServiceRole, internal: number, url: (port: number) => string) =>
      published(role, internal).forEach((port, i) => {
        if (port !== undefined) urls[`${key}-${i + 1}`] = url(port);
      });
    perNode("amqp", "rabbitmq", 5672, (port) => `amqp://${host}:${port}/`);
    perNode("rabbitmqManagement", "rabbitmq", 15672, (port) => `http://${host}:${port}`);
    perNode("s3", "minio", 9000, (port) => `http://${host}:${port}`);
    perNode("minioConsole", "minio", 9001, (port) => `http://${host}:${port}`);
    this.urls = pulumi.output(urls);
    this.registerOutputs({ urls: this.urls });
  }

  /** The containers of one role (several for a clustered broker or distributed MinIO). */
  ofRole(role: ServiceRole): docker.Container[] {
    return this.plans.filter((p) => p.role === role).map((p) => this.containers[p.name] as docker.Container);
  }
}

/** `aios-prod-rabbitmq` for every node of a role: one image resource per image. */
const containerNamePrefix = (plan: ContainerPlan) => plan.name.replace(/-\d+$/, "");
