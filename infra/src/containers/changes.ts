import { isDeepStrictEqual } from "node:util";
import { containerInputs, type ContainerInputs } from "./container-inputs.ts";
import type { ContainerPlan, ContainerSecret } from "./plan.ts";

// What a config edit does to the containers, computed from two sets of plans without an engine:
// which container inputs differ, and whether the Docker provider replaces the container for them.
// The classification is the provider's, not ours: kreuzwerker/docker (which @pulumi/docker
// bridges) updates a container in place only for the inputs below; every other input is
// ForceNew in its schema, so a change deletes and recreates the container. That list was read
// from the provider's source, not exercised here (no Docker engine, no provider plugin).

/** docker.Container inputs the provider changes on the running container (`docker update`). */
export const IN_PLACE_CONTAINER_INPUTS: ReadonlySet<string> = new Set([
  "restart",
  "maxRetryCount",
  "cpuShares",
  "memory",
  "memorySwap",
  "cpuSet",
]);

export type ContainerAction = "create" | "delete" | "replace" | "update" | "same";

export interface ContainerChange {
  readonly name: string;
  readonly action: ContainerAction;
  /** The container inputs that differ (top-level names, as in the Pulumi program). */
  readonly inputs: readonly string[];
  /**
   * A replaced container comes back with the same hostname and volume, so the same node on the
   * same data (RabbitMQ names its data directory after the node, i.e. the hostname).
   */
  readonly keepsData: boolean;
}

/** Secret values by key, for rendering secret files (tests pass stand-ins, never real secrets). */
export type SecretValues = Readonly<Record<ContainerSecret, string>>;

/** What the provider does for a container whose inputs `differing` changed. */
export function containerAction(differing: readonly string[]): "same" | "update" | "replace" {
  if (differing.length === 0) return "same";
  return differing.every((key) => IN_PLACE_CONTAINER_INPUTS.has(key)) ? "update" : "replace";
}

const inputsOf = (plan: ContainerPlan, secrets: SecretValues): ContainerInputs =>
  containerInputs(plan, (file) => file.render(secrets[file.secret]));

/** The change of every container between two plans (by container name), in the order of `after`, then deletions. */
export function containerChanges(
  before: { readonly plans: readonly ContainerPlan[]; readonly secrets: SecretValues },
  after: { readonly plans: readonly ContainerPlan[]; readonly secrets: SecretValues },
): ContainerChange[] {
  const old = new Map(before.plans.map((plan) => [plan.name, plan]));
  const changes = after.plans.map((plan): ContainerChange => {
    const previous = old.get(plan.name);
    if (previous === undefined) return { name: plan.name, action: "create", inputs: [], keepsData: false };
    const a = inputsOf(previous, before.secrets) as unknown as Record<string, unknown>;
    const b = inputsOf(plan, after.secrets) as unknown as Record<string, unknown>;
    const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
      (key) => !isDeepStrictEqual(a[key], b[key]),
    );
    return {
      name: plan.name,
      action: containerAction(differing),
      inputs: differing,
      keepsData: previous.hostname === plan.hostname && previous.volume.name === plan.volume.name,
    };
  });
  const kept = new Set(after.plans.map((plan) => plan.name));
  for (const plan of before.plans) {
    if (!kept.has(plan.name))
      changes.push({ name: plan.name, action: "delete", inputs: [], keepsData: true });
  }
  return changes;
}
