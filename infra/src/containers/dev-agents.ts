import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import type { StackConfig } from "../config.ts";

export interface DevAgentsArgs {
  readonly config: StackConfig;
  readonly network: pulumi.Input<string>;
  readonly amqpUrl: pulumi.Input<string>;
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The example agents in the dev image (Dockerfile.dev), with the repository mounted so that
 * `tsx watch` reloads them on every change: `pulumi up -s dev` gives services and agents together.
 */
export class DevAgents extends pulumi.ComponentResource {
  constructor(name: string, args: DevAgentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:containers:DevAgents", name, {}, opts);
    const source = resolve(args.config.sourceDir);
    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: `aios-dev-agents:${args.config.environment}`,
        build: { context: source, dockerfile: `${source}/Dockerfile.dev`, platform: "linux/amd64" },
        skipPush: true,
      },
      { parent: this },
    );
    new docker.Container(
      `${name}-container`,
      {
        name: `aios-${args.config.environment}-agents`,
        image: image.repoDigest.apply((digest) => digest ?? `aios-dev-agents:${args.config.environment}`),
        envs: [pulumi.interpolate`AIOS_AMQP_URL=${args.amqpUrl}`, "AIOS_EXAMPLES_HOST=0.0.0.0"],
        networksAdvanced: [{ name: args.network }],
        volumes: [
          { hostPath: `${source}/runtime`, containerPath: "/app/runtime" },
          { hostPath: `${source}/config`, containerPath: "/app/config", readOnly: true },
        ],
        ports: [{ internal: 9464, external: 9464, ip: args.config.bindAddress }],
        restart: "unless-stopped",
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
