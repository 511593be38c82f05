import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type SecretKey, type StackConfigInput, type StackSecrets } from "../config.ts";
import { RecordingMocks } from "../testing/mocks.ts";
import { describeResources, type PlannedResource } from "./describe.ts";
import { loadStackFile } from "./stack-file.ts";

/**
 * Every resource the stack's program declares for `Pulumi.<stack>.yaml`, computed under Pulumi's
 * mocks (`pulumi.runtime.setMocks`): no engine, CLI, provider or cloud. Secrets the stack file
 * sets are encrypted there, so the program gets stand-ins (`secretValues` may give them, e.g. a
 * test's sentinel); they are secret outputs either way and print as "[secret]". `overrides` sets
 * or (undefined) removes config keys over the stack file's, as `pulumi config set/rm` would.
 *
 * Install the mocks once per process: the program's modules bind to the first monitor.
 *
 * @throws InfraConfigError for a missing stack file, bad config or a required secret not set.
 */
export async function planStack(
  stack: string,
  secretValues: Partial<Record<SecretKey, string>> = {},
  overrides: StackConfigInput = {},
): Promise<PlannedResource[]> {
  const file = await loadStackFile(stack);
  const config = parseStackConfig({ ...file.values, ...overrides });
  const mocks = new RecordingMocks();
  await mocks.install(stack, true);
  const { createStack } = await import("../stack.ts");
  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  for (const key of new Set([...file.secretKeys, ...(Object.keys(secretValues) as SecretKey[])])) {
    secrets[key] = pulumi.secret(secretValues[key] ?? `stand-in for aios:${key}`);
  }
  await createStack(config, secrets as StackSecrets);
  await mocks.settle();
  return describeResources(mocks.registrations);
}
