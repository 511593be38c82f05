// The node command lines Pulumi's Node language host (pulumi-language-nodejs, main.go) builds,
// rewritten here so tests can launch the program and the policy pack exactly as it would:
//
// Run (the program):        node <nodeargs…> <@pulumi/pulumi/cmd/run> --monitor A --engine A
//                           [--sync DIR] [--organization O] --project P [--root-directory R]
//                           --stack S --pwd <program dir> [--dry-run] [--parallel N] <entry point>
//   env: PULUMI_CONFIG (keys as `<namespace>:config:<name>`), PULUMI_CONFIG_SECRET_KEYS, and
//   PULUMI_NODEJS_TYPESCRIPT=true only when the `typescript` option is on (its default).
// RunPlugin (a policy pack): node <@pulumi/pulumi/cmd/run-policy-pack> <nodeargs…> <engine address>
//                           <policy pack dir>, working directory the pack's directory;
//   env: PULUMI_NODEJS_{ORGANIZATION,PROJECT,STACK,DRY_RUN} and PULUMI_CONFIG from the stack.
//   `nodeargs` come AFTER the script there, so they are arguments of run-policy-pack (which
//   ignores them), not options of node.
// The host splits `nodeargs` with shlex; our options contain no quotes, so whitespace is enough.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** `runtime.options` of Pulumi.yaml / PulumiPolicy.yaml as the host parses them. */
export interface NodeRuntimeOptions {
  readonly typescript?: boolean;
  readonly nodeargs?: string;
}

/** The language host's `Run` request, reduced to what the node command line depends on. */
export interface RunRequest {
  readonly monitor: string;
  readonly engine: string;
  readonly project: string;
  readonly stack: string;
  readonly organization?: string;
  readonly rootDirectory: string;
  /** Program directory: Pulumi.yaml's `main` when it is a directory (the engine's getPwdMain). */
  readonly programDirectory: string;
  /** "." when `main` is a directory. */
  readonly entryPoint: string;
  readonly dryRun: boolean;
  readonly parallel: number;
  readonly syncDirectory?: string;
  /** Stack config as `pulumi config` keys (`aios:brokerNodes`) to string values. */
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
}

export interface NodeCommand {
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
}

const splitNodeArgs = (nodeargs: string | undefined): string[] =>
  (nodeargs ?? "").split(/\s+/).filter((a) => a !== "");

/** `require.resolve('@pulumi/pulumi/cmd/…')` from the program directory, as locateModule does. */
export const locatePulumiModule = (module: string, directory: string): string =>
  require.resolve(module, { paths: [directory] });

/** constructConfig: `ns:name` keys become `ns:config:name` for the SDK. */
export function languageHostConfig(config: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(config).map(([key, value]) => {
        const separator = key.indexOf(":");
        return [`${key.slice(0, separator)}:config:${key.slice(separator + 1)}`, value];
      }),
    ),
  );
}

/** The command line and environment `Run` gives node (execRuntime + constructArguments). */
export function programCommand(options: NodeRuntimeOptions, request: RunRequest): NodeCommand {
  const flag = (name: string, value: string | undefined): string[] =>
    value === undefined || value === "" ? [] : [`--${name}`, value];
  const runPath = locatePulumiModule("@pulumi/pulumi/cmd/run", request.programDirectory);
  const args = [
    ...splitNodeArgs(options.nodeargs),
    runPath,
    ...flag("monitor", request.monitor),
    ...flag("engine", request.engine),
    ...flag("sync", request.syncDirectory),
    ...flag("organization", request.organization),
    ...flag("project", request.project),
    ...flag("root-directory", request.rootDirectory),
    ...flag("stack", request.stack),
    ...flag("pwd", request.programDirectory),
    ...(request.dryRun ? ["--dry-run"] : []),
    ...flag("parallel", String(request.parallel)),
    request.entryPoint,
  ];
  const env: Record<string, string> = {
    PULUMI_CONFIG: languageHostConfig(request.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(request.secretKeys),
  };
  if (options.typescript ?? true) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  // The host does not set the child's working directory: it inherits the host's, which the
  // engine starts in the program directory.
  return { args, env, cwd: request.programDirectory };
}

/** The policy pack's stack context, which the host's policy proxy gets from ConfigureStack. */
export interface PolicyStack {
  readonly engine: string;
  readonly policyPackDirectory: string;
  readonly organization?: string;
  readonly project: string;
  readonly stack: string;
  readonly dryRun: boolean;
  readonly config: Readonly<Record<string, string>>;
}

/** The command line and environment `RunPlugin` gives node for an analyzer (policy pack). */
export function policyPackCommand(options: NodeRuntimeOptions, request: PolicyStack): NodeCommand {
  const runPath = locatePulumiModule("@pulumi/pulumi/cmd/run-policy-pack", request.policyPackDirectory);
  const env: Record<string, string> = {
    PULUMI_NODEJS_PROJECT: request.project,
    PULUMI_NODEJS_STACK: request.stack,
    PULUMI_NODEJS_DRY_RUN: String(request.dryRun),
    PULUMI_CONFIG: JSON.stringify(request.config),
  };
  if (request.organization !== undefined) env.PULUMI_NODEJS_ORGANIZATION = request.organization;
  if (options.typescript ?? true) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  return {
    args: [runPath, ...splitNodeArgs(options.nodeargs), request.engine, request.policyPackDirectory],
    env,
    cwd: request.policyPackDirectory,
  };
}
