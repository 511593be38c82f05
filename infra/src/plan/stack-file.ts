import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { repositoryPath, SECRET_KEYS, type SecretKey, type StackConfigInput } from "../config.ts";
import { InfraConfigError } from "../errors.ts";

/** The `aios:*` settings of a committed stack file, split into plain values and secret keys. */
export interface StackFile {
  readonly stack: string;
  /** Plain values as Pulumi passes them to the program (strings). */
  readonly values: StackConfigInput;
  /** Secret keys the file sets (`secure:` values, encrypted: only their presence is known here). */
  readonly secretKeys: readonly SecretKey[];
}

/**
 * Reads `Pulumi.<stack>.yaml` from the repository root.
 *
 * @throws InfraConfigError when the file is missing or is not a Pulumi stack file.
 */
export async function loadStackFile(stack: string): Promise<StackFile> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new InfraConfigError("stack", `'${stack}' is not a stack name (letters, digits, '.', '_', '-')`);
  }
  const file = repositoryPath(`Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new InfraConfigError("stack", `no stack file Pulumi.${stack}.yaml in the repository root`, {
      cause,
    });
  }
  const document = parse(text) as { config?: Record<string, unknown> } | null;
  if (document === null || typeof document !== "object" || typeof document.config !== "object") {
    throw new InfraConfigError("stack", `Pulumi.${stack}.yaml has no config: section`);
  }
  const secretNames = new Set<string>(SECRET_KEYS);
  const values: Record<string, string> = {};
  const secretKeys: SecretKey[] = [];
  for (const [key, value] of Object.entries(document.config ?? {})) {
    const [namespace, name] = key.split(":");
    if (namespace !== "aios" || name === undefined) continue;
    const secure = typeof value === "object" && value !== null && "secure" in value;
    if (secure || secretNames.has(name)) {
      if (!secretNames.has(name)) {
        throw new InfraConfigError(
          `aios:${name}`,
          "set as a secret, but it is not one of the stack's secret keys",
        );
      }
      secretKeys.push(name as SecretKey);
    } else {
      values[name] = String(value);
    }
  }
  return { stack, values, secretKeys };
}
