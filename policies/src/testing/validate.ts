import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { ResourceRule, StackRule } from "../rules/types.ts";

// Calls rules the way the policy engine does, without the engine: tests give a resource's type
// and props (and optionally the policy config) and get the violation messages back.

export interface ResourceUnderTest {
  readonly type: string;
  readonly props: Record<string, unknown>;
  readonly urn?: string;
  readonly name?: string;
}

function resourceArgs(resource: ResourceUnderTest, config: object): ResourceValidationArgs {
  const name = resource.name ?? "test";
  return {
    type: resource.type,
    props: resource.props,
    urn: resource.urn ?? `urn:pulumi:test::aios::${resource.type}::${name}`,
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
  } as unknown as ResourceValidationArgs;
}

export async function resourceViolations(
  rule: ResourceRule,
  resource: ResourceUnderTest,
  config: object = {},
): Promise<string[]> {
  const found: string[] = [];
  await rule.validateResource(resourceArgs(resource, config), (message) => found.push(message));
  return found;
}

export async function stackViolations(
  rule: StackRule,
  resources: readonly ResourceUnderTest[],
  config: object = {},
): Promise<string[]> {
  const found: string[] = [];
  const args = {
    resources: resources.map((r, i): Partial<PolicyResource> => ({
      type: r.type,
      props: r.props,
      urn: r.urn ?? `urn:pulumi:test::aios::${r.type}::r${i}`,
      name: r.name ?? `r${i}`,
    })),
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
  } as unknown as StackValidationArgs;
  await rule.validateStack(args, (message) => found.push(message));
  return found;
}
