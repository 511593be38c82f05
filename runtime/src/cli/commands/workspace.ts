import type { Command } from "commander";
import { InvalidArgumentError } from "../../errors.ts";
import { loadStorageSpec, restoreSnapshot } from "../../storage/index.ts";
import {
  type ConflictStrategy,
  pullDirectory,
  pushDirectory,
  type SyncOptions,
  syncDirectory,
  WorkspaceStore,
} from "../../workspace/index.ts";
import { objectStoreFromEnv } from "./storage.ts";

interface Common {
  readonly file: string;
  readonly author?: string;
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

/** One line per file on a terminal, redrawn in place; plain lines when piped. */
function progress(): SyncOptions["onProgress"] {
  const tty = process.stderr.isTTY;
  return ({ done, total, path }) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((done / Math.max(total, 1)) * width);
      process.stderr.write(
        `\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total} ${path.slice(-40).padEnd(40)}`,
      );
      if (done === total) process.stderr.write("\n");
    } else {
      process.stderr.write(`${done}/${total} ${path}\n`);
    }
  };
}

function printPlan(
  plan: {
    upload: readonly string[];
    deleteRemote: readonly string[];
    download: readonly string[];
    deleteLocal: readonly string[];
    conflicts: readonly string[];
  },
  dryRun: boolean,
) {
  const lines = [
    ...plan.upload.map((p) => `upload   ${p}`),
    ...plan.deleteRemote.map((p) => `delete   ${p} (workspace)`),
    ...plan.download.map((p) => `download ${p}`),
    ...plan.deleteLocal.map((p) => `delete   ${p} (local)`),
    ...plan.conflicts.map((p) => `conflict ${p}`),
  ];
  for (const line of lines) process.stdout.write(`${dryRun ? "would " : ""}${line}\n`);
  process.stdout.write(
    `${plan.upload.length} up, ${plan.download.length} down, ${plan.deleteRemote.length + plan.deleteLocal.length} deleted${dryRun ? " (dry run)" : ""}\n`,
  );
}

const maxDeleteOf = (value: string | undefined) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError("--max-delete", `expected a whole number, got '${value}'`);
  return n;
};

export function registerWorkspaceCommands(program: Command): void {
  const ws = program
    .command("ws")
    .description("Agent workspaces (buckets from config/storage.yaml, server from AIOS_S3_*)");
  const common = (command: Command) =>
    command
      .option("-f, --file <path>", "storage spec", "config/storage.yaml")
      .option("--author <name>", "commit author (default: $USER)");

  common(ws.command("create <workspace>")).action(async (workspace: string, options: Common) => {
    const { workspaces } = await openWorkspaces(options);
    process.stdout.write(
      `created ${workspace} at ${(await workspaces.create(workspace, { author: author(options) })).slice(0, 12)}\n`,
    );
  });

  common(ws.command("ls [workspace]").description("List workspaces, or the files of one")).action(
    async (workspace: string | undefined, options: Common) => {
      const { workspaces } = await openWorkspaces(options);
      if (!workspace) {
        for await (const id of workspaces.list()) process.stdout.write(`${id}\n`);
        return;
      }
      for (const file of await workspaces.listFiles(workspace))
        process.stdout.write(
          `${String(file.size).padStart(10)}  ${file.sha256.slice(0, 12)}  ${file.path}\n`,
        );
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
      const { workspaces } = await openWorkspaces(options);
      await workspaces.delete(workspace);
      process.stdout.write(`deleted ${workspace}\n`);
    });

  for (const [name, run, describe] of [
    ["push", pushDirectory, "Make the workspace equal to a local directory"],
    ["pull", pullDirectory, "Make a local directory equal to the workspace"],
    ["sync", syncDirectory, "Two-way sync against the last synced state"],
  ] as const) {
    common(ws.command(`${name} <workspace> <dir>`).description(describe))
      .option("--dry-run", "show what would change, change nothing")
      .option("--max-delete <n>", "refuse to delete more files than this", "100")
      .option(
        "--strategy <strategy>",
        "sync: on a file changed on both sides: fail|ours|theirs|keep-both",
        "fail",
      )
      .option("-m, --message <text>", "commit message")
      .action(
        async (
          workspace: string,
          dir: string,
          options: Common & { dryRun?: boolean; maxDelete?: string; strategy: string; message?: string },
        ) => {
          if (!["fail", "ours", "theirs", "keep-both"].includes(options.strategy)) {
            throw new InvalidArgumentError(
              "--strategy",
              `expected fail, ours, theirs or keep-both, got '${options.strategy}'`,
            );
          }
          const { workspaces } = await openWorkspaces(options);
          const maxDelete = maxDeleteOf(options.maxDelete);
          const result = await run(workspaces, workspace, dir, {
            author: author(options),
            dryRun: Boolean(options.dryRun),
            strategy: options.strategy as ConflictStrategy,
            onProgress: progress(),
            ...(maxDelete === undefined ? {} : { maxDelete }),
            ...(options.message ? { message: options.message } : {}),
          });
          printPlan(result.plan, Boolean(options.dryRun));
        },
      );
  }

  common(ws.command("log <workspace>"))
    .option("-n, --limit <n>", "at most this many", "20")
    .action(async (workspace: string, options: Common & { limit: string }) => {
      const { workspaces } = await openWorkspaces(options);
      for await (const entry of workspaces.log(workspace, { limit: Number(options.limit) })) {
        process.stdout.write(`${entry.id.slice(0, 12)}  ${entry.time}  ${entry.author}  ${entry.message}\n`);
      }
    });

  common(
    ws
      .command("restore <workspace> <commit-or-snapshot>")
      .description("Restore a commit (as a new commit) or a snapshot"),
  )
    .option("--snapshot", "the second argument is a snapshot id")
    .action(async (workspace: string, target: string, options: Common & { snapshot?: boolean }) => {
      const { workspaces, backupBucket } = await openWorkspaces(options);
      if (options.snapshot) {
        const count = await restoreSnapshot(objectStoreFromEnv(), { backupBucket, id: target });
        process.stdout.write(`restored ${count} object(s) of ${workspace} from snapshot ${target}\n`);
        return;
      }
      let commit = target;
      // A full id needs no lookup in the log, which cannot be read when HEAD itself is refused.
      if (!/^[0-9a-f]{64}$/.test(target))
        for await (const entry of workspaces.log(workspace))
          if (entry.id.startsWith(target)) commit = entry.id;
      const result = await workspaces.restore(workspace, commit, { author: author(options) });
      process.stdout.write(`restored ${commit.slice(0, 12)} as ${result.commit.slice(0, 12)}\n`);
    });

  common(
    ws.command("snapshot <workspace>").description("Copy the workspace to the backup bucket with checksums"),
  ).action(async (workspace: string, options: Common) => {
    const { workspaces } = await openWorkspaces(options);
    const snapshot = await workspaces.snapshot(workspace);
    process.stdout.write(`snapshot ${snapshot.id}: ${snapshot.entries.length} object(s)\n`);
  });
}
