import { describe, expect, it } from "vitest";
import { repositoryPath } from "../config.ts";
import { languageHostConfig, policyPackCommand, programCommand } from "./language-host.ts";

// The command lines pulumi-language-nodejs builds (main.go: execRuntime/constructArguments for
// Run, RunPlugin for policy packs), as the host-smoke test launches them.

const request = {
  monitor: "127.0.0.1:1",
  engine: "127.0.0.1:2",
  project: "aios",
  stack: "dev",
  rootDirectory: repositoryPath("."),
  programDirectory: repositoryPath("infra"),
  entryPoint: ".",
  dryRun: true,
  parallel: 8,
  config: { "aios:rabbitmqNodes": "1" },
  secretKeys: [],
};

describe("the language host's command lines", () => {
  it("puts the program's nodeargs before @pulumi/pulumi/cmd/run and the flags after it", () => {
    const { args, env, cwd } = programCommand(
      { typescript: false, nodeargs: "--import tsx  --conditions=source" },
      request,
    );
    expect(args.slice(0, 3)).toEqual(["--import", "tsx", "--conditions=source"]);
    expect(args[3]).toMatch(/@pulumi\/pulumi\/cmd\/run\/index\.js$/);
    expect(args.slice(4)).toEqual([
      "--monitor",
      "127.0.0.1:1",
      "--engine",
      "127.0.0.1:2",
      "--project",
      "aios",
      "--root-directory",
      repositoryPath("."),
      "--stack",
      "dev",
      "--pwd",
      repositoryPath("infra"),
      "--dry-run",
      "--parallel",
      "8",
      ".",
    ]);
    expect(env.PULUMI_NODEJS_TYPESCRIPT).toBeUndefined();
    expect(cwd).toBe(repositoryPath("infra"));
  });

  it("turns ts-node on unless typescript is false, as the host's default", () => {
    expect(programCommand({}, request).env.PULUMI_NODEJS_TYPESCRIPT).toBe("true");
  });

  it("passes config keys in the SDK's old `ns:config:name` form", () => {
    expect(JSON.parse(languageHostConfig({ "aios:s3Backend": "minio", "docker:host": "unix:///x" }))).toEqual(
      {
        "aios:config:s3Backend": "minio",
        "docker:config:host": "unix:///x",
      },
    );
  });

  it("puts a policy pack's nodeargs after cmd/run-policy-pack, then the engine address and the pack", () => {
    const { args, env, cwd } = policyPackCommand(
      { nodeargs: "--import tsx" },
      {
        engine: "127.0.0.1:9",
        policyPackDirectory: repositoryPath("policies"),
        project: "aios",
        stack: "prod",
        dryRun: false,
        config: {},
      },
    );
    expect(args[0]).toMatch(/@pulumi\/pulumi\/cmd\/run-policy-pack\/index\.js$/);
    expect(args.slice(1)).toEqual(["--import", "tsx", "127.0.0.1:9", repositoryPath("policies")]);
    expect(env).toMatchObject({
      PULUMI_NODEJS_STACK: "prod",
      PULUMI_NODEJS_DRY_RUN: "false",
      PULUMI_NODEJS_TYPESCRIPT: "true",
    });
    expect(cwd).toBe(repositoryPath("policies"));
  });
});
