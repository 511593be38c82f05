import { join } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { REPOSITORY_ROOT, type StackConfig } from "../config.ts";
import { containerName } from "./plan.ts";

export interface DevAgentsArgs {
  readonly config: StackConfig;
  readonly network: pulumi.Input<string>;
  /** amqp://user:password@host/vhost of the examples' broker user (secret). */
  readonly amqpUrl: pulumi.Input<string>;
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Where Dockerfile.dev's command looks for `NAME` files to export as environment variables. */
export const DEV_SECRETS_DIR = "/run/secrets/aios";
export const METRICS_PORT = 9464;

/**
 * The example agents in the dev image (Dockerfile.dev), with runtime/ and config/ mounted so that
 * `tsx watch` reloads them on every change: `pulumi up -s dev` gives services and agents together.
 */
export class DevAgents extends pulumi.ComponentResource {
  readonly container: docker.Container;

  constructor(name: string, args: DevAgentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:containers:DevAgents", name, {}, opts);
    const tag = `aios-dev-agents:${args.config.environment}`;
    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: tag,
        build: { context: REPOSITORY_ROOT, dockerfile: join(REPOSITORY_ROOT, "Dockerfile.dev") },
        // Built for this Docker host only; a dev image is never pushed.
        skipPush: true,
      },
      { parent: this },
    );
    this.container = new docker.Container(
      `${name}-container`,
      {
        name: containerName(args.config, "agents"),
        image: image.imageName,
        envs: [
          "AIOS_EXAMPLES_HOST=0.0.0.0",
          `AIOS_EXAMPLES_PORT=${METRICS_PORT}`,
          "AIOS_TOPOLOGY_FILE=config/messaging.yaml",
        ],
        // The broker URL carries a password: a file, not an environment variable.
        uploads: [{ file: `${DEV_SECRETS_DIR}/AIOS_AMQP_URL`, content: pulumi.secret(args.amqpUrl) }],
        networksAdvanced: [{ name: args.network }],
        volumes: [
          { hostPath: join(REPOSITORY_ROOT, "runtime"), containerPath: "/app/runtime" },
          { hostPath: join(REPOSITORY_ROOT, "config"), containerPath: "/app/config", readOnly: true },
        ],
        ports: [{ internal: METRICS_PORT, external: METRICS_PORT, ip: args.config.bindAddress }],
        restart: "unless-stopped",
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ container: this.container.name });
  }
}
