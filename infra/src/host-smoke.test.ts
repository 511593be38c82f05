import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { repositoryPath } from "./config.ts";

// Runs infra/src/index.ts the way Pulumi's Node language host would with Pulumi.yaml's runtime
// options — a separate `node` with its `nodeargs`, working directory infra/ (`main: infra/`),
// the stack's config from Pulumi.<stack>.yaml in PULUMI_CONFIG — against mocks (no engine here).
// It proves the runtime options load this ESM TypeScript and that the committed stack files pass
// the config schema; it cannot prove what the real language host adds.

const run = promisify(execFile);

async function runLikeTheLanguageHost(stack: string, secrets: Record<string, string> = {}) {
  const project = parse(await readFile(repositoryPath("Pulumi.yaml"), "utf8")) as {
    main: string;
    runtime: { options: { nodeargs: string; typescript: boolean } };
  };
  const stackFile = parse(await readFile(repositoryPath(`Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config = Object.fromEntries(
    [...Object.entries(stackFile.config), ...Object.entries(secrets)].map(([key, value]) => [
      key,
      String(value),
    ]),
  );
  const { stdout } = await run(
    process.execPath,
    [...project.runtime.options.nodeargs.split(" "), "src/testing/host-smoke.ts"],
    {
      cwd: repositoryPath(project.main),
      env: {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(Object.keys(secrets)),
        AIOS_SMOKE_STACK: stack,
      },
      timeout: 110_000,
    },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as {
    cwd: string;
    resources: number;
    queues: string[];
    grafanaSecretFile: string;
    adminPasswordIsSecret: boolean;
  };
}

describe("the program under Pulumi.yaml's runtime options (node --import tsx --conditions=source, cwd infra/)", () => {
  it("runs the dev stack from Pulumi.dev.yaml, resolving files from the repository root", async () => {
    const result = await runLikeTheLanguageHost("dev");
    expect(result.cwd).toBe(repositoryPath("infra"));
    expect(result.queues).toContain("agents.coder.dlq");
    expect(result.resources).toBeGreaterThan(50);
    expect(result.adminPasswordIsSecret).toBe(true);
  }, 120_000);

  it("runs the prod example and reads a secret set with `pulumi config set --secret`", async () => {
    const result = await runLikeTheLanguageHost("prod", { "aios:grafanaAdminPassword": "set-as-secret" });
    expect(result.grafanaSecretFile).toBe("set-as-secret");
    expect(result.queues).toContain("agents.reviewer");
  }, 120_000);
});
