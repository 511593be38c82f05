import type { ContainerPlan } from "./plan.ts";

// The inputs of a docker.Container as the component passes them, computed from a plan without
// Pulumi: the image id and network name (outputs) are left out, a secret upload is named by the
// secret it carries and a digest of its rendered content. One function, so the component and the
// replacement analysis (changes.ts) cannot drift apart.

export interface ContainerUploadInput {
  readonly file: string;
  readonly content: string;
  readonly executable?: boolean;
  readonly owner?: string;
  readonly group?: string;
  readonly permissions?: string;
}

export interface ContainerInputs {
  readonly name: string;
  readonly hostname: string;
  readonly image: string;
  readonly restart: "unless-stopped";
  readonly envs: readonly string[];
  readonly command?: readonly string[];
  readonly ports: readonly { internal: number; external: number; ip: string }[];
  readonly networkAliases: readonly string[];
  readonly volumes: readonly { volumeName: string; containerPath: string }[];
  readonly healthcheck: {
    readonly tests: readonly string[];
    readonly interval: string;
    readonly timeout: string;
    readonly retries: number;
    readonly startPeriod: string;
  };
  readonly wait: boolean;
  readonly waitTimeout: number;
  readonly uploads: readonly ContainerUploadInput[];
}

/**
 * The container inputs of `plan`; `renderSecret(file)` gives a secret file's content (the
 * component passes secret outputs, the analysis a stand-in per secret value).
 */
export function containerInputs(
  plan: ContainerPlan,
  renderSecret: (file: ContainerPlan["secretFiles"][number]) => string,
): ContainerInputs {
  return {
    name: plan.name,
    hostname: plan.hostname,
    image: plan.image,
    restart: "unless-stopped",
    envs: [...plan.envs],
    ...(plan.command ? { command: [...plan.command] } : {}),
    ports: plan.ports.map((p) => ({ internal: p.internal, external: p.external, ip: p.ip })),
    // Peers and Prometheus reach a node by its hostname; the container name works too.
    networkAliases: [...new Set([plan.name, plan.hostname])],
    volumes: [{ volumeName: plan.volume.name, containerPath: plan.volume.path }],
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
    uploads: [
      ...plan.files.map((f) => ({ file: f.file, content: f.content })),
      ...plan.secretFiles.map((f) => ({
        file: f.file,
        content: renderSecret(f),
        ...(f.owner === undefined ? {} : { owner: f.owner, group: f.owner }),
        ...(f.permissions === undefined ? {} : { permissions: f.permissions }),
      })),
    ],
  };
}
