import { isSecretValue, type Registration } from "../testing/mocks.ts";

// Pure: what `npm run plan` prints for each registered resource. Secret values (wrapped by the
// engine's serialization) become "[secret]" wherever they sit, so a plan can be pasted into a
// review or a CI log.

export const MASK = "[secret]";

/** One declared resource, as `npm run plan -- <stack> --json` prints it. */
export interface PlannedResource {
  /** As Pulumi spells it, e.g. `docker:index/container:Container`. */
  readonly type: string;
  readonly name: string;
  /** The parent's resource name, or null for a top-level resource (a child of the stack). */
  readonly parent: string | null;
  readonly inputs: Record<string, unknown>;
}

/** `value` with every secret replaced by "[secret]". */
export function maskSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return MASK;
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, maskSecrets(v)]));
  }
  return value;
}

// Inputs the engine adds or that say nothing to a reviewer.
const NOISE = new Set(["__defaults"]);

export function describeResources(registrations: readonly Registration[]): PlannedResource[] {
  return registrations.map((registration) => ({
    type: registration.type,
    name: registration.name,
    parent:
      registration.options.parent === "" ? null : (registration.options.parent.split("::").at(-1) ?? null),
    inputs: Object.fromEntries(
      Object.entries(registration.inputs)
        .filter(([key]) => !NOISE.has(key))
        .map(([key, value]) => [key, maskSecrets(value)]),
    ),
  }));
}

/** Human-readable plan: one line per resource (indented under its parent), then its inputs. */
export function formatPlan(resources: readonly PlannedResource[], stack: string): string {
  const lines = [
    `Stack ${stack}: ${resources.length} resources (computed under Pulumi's mocks; nothing was deployed)`,
  ];
  const children = new Map<string | null, PlannedResource[]>();
  for (const resource of resources) {
    const list = children.get(resource.parent) ?? [];
    list.push(resource);
    children.set(resource.parent, list);
  }
  const names = new Set(resources.map((r) => r.name));
  const print = (resource: PlannedResource, depth: number) => {
    const indent = "  ".repeat(depth);
    lines.push(`${indent}+ ${resource.type}  ${resource.name}`);
    for (const [key, value] of Object.entries(resource.inputs)) {
      lines.push(`${indent}    ${key}: ${abbreviate(JSON.stringify(value))}`);
    }
    for (const child of children.get(resource.name) ?? []) print(child, depth + 1);
  };
  for (const resource of resources) {
    if (resource.parent === null || !names.has(resource.parent)) print(resource, 0);
  }
  return `${lines.join("\n")}\n`;
}

const abbreviate = (text: string | undefined, max = 160) =>
  text === undefined
    ? "undefined"
    : text.length <= max
      ? text
      : `${text.slice(0, max)}… (${text.length} chars)`;
