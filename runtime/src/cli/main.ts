import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";
import { AiosError } from "../errors.ts";
import { registerDlqCommands } from "./commands/dlq.ts";
import { registerHealthCommands } from "./commands/health.ts";
import { registerStatusCommands } from "./commands/status.ts";
import { registerStorageCommands } from "./commands/storage.ts";
import { registerTopologyCommands } from "./commands/topology.ts";
import { registerWorkspaceCommands } from "./commands/workspace.ts";
import { environmentHelp } from "./environment-help.ts";

/**
 * The `aios` command. It stays thin: every subcommand parses its options and calls the SDK
 * rooms' public API, so the CLI can never do something an agent cannot.
 */
export function buildProgram(): Command {
  const program = new Command("aios")
    .description("Operate an AIOS environment: topology, dead letters, buckets, workspaces and health")
    .version(packageVersion(), "-V, --version", "print the version of @aios/runtime")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      `${environmentHelp(["AIOS_LOG_LEVEL", "AIOS_LOG_DESTINATION"])}
Each command's --help names the variables it reads.

Exit status: 0 ok, 1 a finding (drift, a check that does not pass), 2 a usage or other error.`,
    );
  registerTopologyCommands(program);
  registerDlqCommands(program);
  registerStorageCommands(program);
  registerWorkspaceCommands(program);
  registerHealthCommands(program);
  registerStatusCommands(program);
  return program;
}

/** The package's own version: package.json sits two levels up from both src/cli and dist/cli. */
function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 a finding (e.g. drift), 2 an error. */
export async function main(argv: readonly string[]): Promise<number> {
  process.env.AIOS_LOG_LEVEL ??= "warn";
  process.env.AIOS_LOG_DESTINATION ??= "stderr";
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof AiosError) {
      process.stderr.write(`aios: ${error.code}: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `aios: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv);
}
