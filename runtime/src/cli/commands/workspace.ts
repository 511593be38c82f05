import { mkdir } from "node:fs/promises";
import { type Command, Option } from "commander";
import { InvalidArgumentError } from "../../errors.ts";
import { loadStorageSpec, restoreSnapshot } from "../../storage/index.ts";
import {
  pullDirectory,
  pushDirectory,
  type SyncOptions,
  type SyncPlan,
  syncDirectory,
  WorkspaceStore,
} from "../../workspace/index.ts";
import { S3_ENVIRONMENT_HELP } from "../environment-help.ts";
import { jsonOption, nonNegativeInt, positiveInt } from "../options.ts";
import { Output } from "../output.ts";
import { TransferProgress } from "../progress.ts";
import { resolvePrefix } from "../resolve.ts";
import { objectStoreFromEnv } from "./storage.ts";

interface Common {
  readonly file: string;
  readonly author?: string;
  readonly json?: boolean;
}

async function openWorkspaces(
  options: Common,
): Promise<{ workspaces: WorkspaceStore; backupBucket: string }> {
  const spec = await loadStorageSpec(options.file);
  const store = objectStoreFromEnv();
  return {
    workspaces: new WorkspaceStore({ store, ...spec.workspaces }),
    backupBucket: spec.workspaces.backupBucket,
  };
}

const author = (options: Common) => options.author ?? process.env.USER ?? "aios-cli";

/** Bytes (and files) moved, on stderr: a bar on a terminal, plain lines in a pipe. */
function transferProgress(display: TransferProgress): Pick<SyncOptions, "onBytes" | "onProgress"> {
  return {
    onProgress: ({ done, total }) => display.files(done, total),
    onBytes: (progress) => display.update(progress),
  };
}

function printPlan(output: Output, plan: SyncPlan, dryRun: boolean): void {
  const lines = [
    ...plan.upload.map((p) => `upload   ${p}`),
    ...plan.deleteRemote.map((p) => `delete   ${p} (workspace)`),
    ...plan.download.map((p) => `download ${p}`),
    ...plan.deleteLocal.map((p) => `delete   ${p} (local)`),
    ...plan.conflicts.map((p) => `conflict ${p}`),
  ];
  for (const line of lines) output.line(`${dryRun ? "would " : ""}${line}`);
  output.line(
    `${plan.upload.length} up, ${plan.download.length} down, ${plan.deleteRemote.length + plan.deleteLocal.length} deleted${dryRun ? " (dry run)" : ""}`,
  );
}

export function registerWorkspaceCommands(program: Command): void {
  const ws = program
    .command("ws")
    .description("Agent workspaces (buckets from config/storage.yaml, server from AIOS_S3_*)")
    .addHelpText("after", S3_ENVIRONMENT_HELP);
  const common = (command: Command) =>
    command
      .option("-f, --file <path>", "storage spec", "config/storage.yaml")
      .option("--author <name>", "commit author (default: $USER)")
      .addOption(jsonOption())
      .addHelpText("after", S3_ENVIRONMENT_HELP);

  common(ws.command("create <workspace>").description("Create an empty workspace")).action(
    async (workspace: string, options: Common) => {
      const output = new Output(options);
      const { workspaces } = await openWorkspaces(options);
      const commit = await workspaces.create(workspace, { author: author(options) });
      output.line(`created ${workspace} at ${commit.slice(0, 12)}`);
      output.document({ workspace, commit });
    },
  );

  common(ws.command("ls [workspace]").description("List workspaces, or the files of one")).action(
    async (workspace: string | undefined, options: Common) => {
      const output = new Output(options);
      const { workspaces } = await openWorkspaces(options);
      if (!workspace) {
        const ids: string[] = [];
        for await (const id of workspaces.list()) {
          ids.push(id);
          output.line(id);
        }
        output.document({ workspaces: ids });
        return;
      }
      const files = await workspaces.listFiles(workspace);
      for (const file of files)
        output.line(`${String(file.size).padStart(10)}  ${file.sha256.slice(0, 12)}  ${file.path}`);
      output.document({
        workspace,
        files: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
      });
    },
  );

  common(ws.command("rm <workspace>").description("Delete a workspace and every version of its files"))
    .option("--yes", "really delete it")
    .action(async (workspace: string, options: Common & { yes?: boolean }) => {
      if (!options.yes)
        throw new InvalidArgumentError(
          "--yes",
          "rm deletes the workspace and its history; add --yes to confirm",
        );
      const output = new Output(options);
      const { workspaces } = await openWorkspaces(options);
      await workspaces.delete(workspace);
      output.line(`deleted ${workspace}`);
      output.document({ workspace, deleted: true });
    });

  // The conflict strategy is offered by `sync` only: push and pull have one side that wins.
  for (const [name, run, describe, twoWay] of [
    ["push", pushDirectory, "Make the workspace equal to a local directory", false],
    ["pull", pullDirectory, "Make a local directory equal to the workspace", false],
    ["sync", syncDirectory, "Two-way sync against the last synced state", true],
  ] as const) {
    const command = common(ws.command(`${name} <workspace> <dir>`).description(describe))
      .option("--dry-run", "show what would change, change nothing")
      .addOption(
        new Option("--max-delete <n>", "refuse to delete more files than this")
          .argParser(nonNegativeInt)
          .default(100),
      )
      .option("-m, --message <text>", "commit message");
    if (twoWay)
      command.addOption(
        new Option("--strategy <strategy>", "on a file changed on both sides")
          .choices(["fail", "ours", "theirs", "keep-both"] as const)
          .default("fail"),
      );
    command.action(
      async (
        workspace: string,
        dir: string,
        options: Common & {
          dryRun?: boolean;
          maxDelete: number;
          strategy?: SyncOptions["strategy"];
          message?: string;
        },
      ) => {
        const output = new Output(options);
        const dryRun = Boolean(options.dryRun);
        const { workspaces } = await openWorkspaces(options);
        // Pulling into a directory that does not exist yet creates it (a dry run changes nothing).
        if (name === "pull" && !dryRun) await mkdir(dir, { recursive: true });
        const display = new TransferProgress(name);
        const result = await run(workspaces, workspace, dir, {
          author: author(options),
          dryRun,
          maxDelete: options.maxDelete,
          ...(options.strategy ? { strategy: options.strategy } : {}),
          ...(dryRun ? {} : transferProgress(display)),
          ...(options.message ? { message: options.message } : {}),
        }).finally(() => display.end()); // an error starts on a line of its own
        printPlan(output, result.plan, dryRun);
        output.document({ workspace, dir, dryRun, plan: result.plan, commit: result.commit ?? null });
      },
    );
  }

  common(ws.command("log <workspace>").description("The workspace's commits, newest first"))
    .addOption(new Option("-n, --limit <n>", "at most this many").argParser(positiveInt).default(20))
    .action(async (workspace: string, options: Common & { limit: number }) => {
      const output = new Output(options);
      const { workspaces } = await openWorkspaces(options);
      const commits = [];
      for await (const entry of workspaces.log(workspace, { limit: options.limit })) {
        commits.push(entry);
        output.line(`${entry.id.slice(0, 12)}  ${entry.time}  ${entry.author}  ${entry.message}`);
      }
      output.document({ workspace, commits });
    });

  common(
    ws
      .command("restore <workspace> <commit-or-snapshot>")
      .description(
        "Restore a commit (as a new commit; a unique prefix of its id will do) or a snapshot (--snapshot)",
      ),
  )
    .option("--snapshot", "the second argument is a snapshot id")
    .action(async (workspace: string, target: string, options: Common & { snapshot?: boolean }) => {
      const output = new Output(options);
      const { workspaces, backupBucket } = await openWorkspaces(options);
      if (options.snapshot) {
        const count = await restoreSnapshot(objectStoreFromEnv(), { backupBucket, id: target });
        output.line(`restored ${count} object(s) of ${workspace} from snapshot ${target}`);
        output.document({ workspace, snapshot: target, objects: count });
        return;
      }
      // A full id needs no lookup in the log, which cannot be read when HEAD itself is refused.
      const commit = /^[0-9a-f]{64}$/.test(target) ? target : await commitOf(workspaces, workspace, target);
      const result = await workspaces.restore(workspace, commit, { author: author(options) });
      output.line(`restored ${commit.slice(0, 12)} as ${result.commit.slice(0, 12)}`);
      output.document({ workspace, restored: commit, commit: result.commit });
    });

  common(
    ws.command("snapshot <workspace>").description("Copy the workspace to the backup bucket with checksums"),
  ).action(async (workspace: string, options: Common) => {
    const output = new Output(options);
    const { workspaces } = await openWorkspaces(options);
    const snapshot = await workspaces.snapshot(workspace);
    output.line(`snapshot ${snapshot.id}: ${snapshot.entries.length} object(s)`);
    output.document(snapshot);
  });
}

/**
 * The commit of `workspace` whose id starts with `prefix`.
 *
 * @throws {@link AmbiguousArgumentError} (CLI_AMBIGUOUS_ARGUMENT) when several do, listing them.
 * @throws {@link NoMatchError} (CLI_NO_MATCH) when none does.
 */
async function commitOf(workspaces: WorkspaceStore, workspace: string, prefix: string): Promise<string> {
  const ids: string[] = [];
  for await (const entry of workspaces.log(workspace)) ids.push(entry.id);
  return resolvePrefix("commit", prefix, ids, `workspace '${workspace}'`);
}
