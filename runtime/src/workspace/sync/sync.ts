import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { ConflictError, IntegrityError, PathClashError, TooManyDeletesError } from "../errors.ts";
import { conflictCopyPath, type FileEntry, type Manifest, sha256 } from "../manifest.ts";
import type { ConflictStrategy } from "../merge.ts";
import { planUploads } from "../packs.ts";
import { recordOperation, recordSyncPlan } from "../metrics.ts";
import { inParallel } from "../parallel.ts";
import { findClashes } from "../paths.ts";
import { type WorkspaceStore, workspaceInternals } from "../workspace-store.ts";
import type { ProgressListener } from "../../storage/index.ts";
import { ByteMeter } from "./byte-meter.ts";
import { readState, scanDirectory, type SyncState, writeState } from "./local-files.ts";
import { LocalTree } from "./local-tree.ts";
import { planPull, planPush, planTwoWay, type SyncPlan } from "./plan.ts";

/**
 * How a directory is synced: commit author and message, a dry run, a limit on deletions, the
 * concurrency, the conflict strategy (two-way only) and progress.
 */
export interface SyncOptions {
  readonly author?: string;
  readonly message?: string;
  /** Compute and return the plan; change nothing. */
  readonly dryRun?: boolean;
  /** Refuse a sync that would delete more files than this (either side). Default 100. */
  readonly maxDelete?: number;
  /** Files transferred at once. Default 16. */
  readonly concurrency?: number;
  /** Two-way only: what to do with a path changed on both sides. Default "fail". */
  readonly strategy?: ConflictStrategy;
  /** Called after each file is transferred, with the count done, the total and the file's path. */
  readonly onProgress?: (event: {
    readonly done: number;
    readonly total: number;
    readonly path: string;
  }) => void;
  /**
   * Called as bytes move (at most every 100 ms while they do, and once at the end): the bytes of
   * the files to upload and download transferred so far, their total, and the average rate.
   */
  readonly onBytes?: ProgressListener;
}

/** The plan that was (or, with `dryRun`, would be) carried out, and the commit made, if any. */
export interface SyncResult {
  readonly plan: SyncPlan;
  readonly commit: string | undefined;
}

function guardDeletes(plan: SyncPlan, maxDelete: number): void {
  const deletes = Math.max(plan.deleteRemote.length, plan.deleteLocal.length);
  if (deletes > maxDelete) throw new TooManyDeletesError(deletes, maxDelete);
}

/**
 * Refuses, before anything moves, a plan whose outcome no directory can hold: a file and a folder
 * of one name, or Unicode twins (e.g. a remote `a/b` while the directory keeps a file `a`).
 */
function guardClashes(
  workspace: string,
  plan: SyncPlan,
  local: Manifest,
  remote: Manifest,
  renamed: Iterable<string> = [],
): void {
  const gone = new Set([...plan.deleteLocal, ...plan.deleteRemote]);
  const after = new Set([...Object.keys(local), ...Object.keys(remote), ...renamed]);
  for (const path of gone) after.delete(path);
  const clashes = findClashes(after);
  if (clashes.length > 0) throw new PathClashError(workspace, clashes);
}

/** What a sync wrote into or removed from the directory, with the entry of each written file. */
interface LocalWrites {
  readonly written: Map<string, FileEntry>;
  readonly removed: string[];
}

async function execute(
  workspaces: WorkspaceStore,
  workspace: string,
  tree: LocalTree,
  writes: LocalWrites,
  plan: SyncPlan,
  local: Manifest,
  remote: Manifest,
  head: string,
  options: SyncOptions,
  bytes: ByteMeter,
  renames: Readonly<Record<string, string>> = {},
): Promise<string | undefined> {
  // Blobs and packs go to (and come from) the object database directly; the commit is a user
  // operation of the store (merge, compare-and-swap on HEAD).
  const { objects } = workspaceInternals(workspaces);
  const concurrency = options.concurrency ?? 16;
  const total = plan.upload.length + plan.download.length;
  let done = 0;
  const tick = (path: string) => options.onProgress?.({ done: ++done, total, path });

  const put: Record<string, FileEntry> = {};
  const target = (path: string) => renames[path] ?? path;
  const uploads = planUploads(
    plan.upload.map((path) => ({ path, ...(local[path] as FileEntry) })),
    remote,
    concurrency,
  );
  for (const [{ path }, entry] of uploads.reused) {
    put[target(path)] = entry;
    bytes.add(entry.size);
    tick(path);
  }
  const large = uploads.alone.map(({ path }) => path);
  await inParallel(uploads.packs, concurrency, async (pack) => {
    // Hashed again as read: a file changed since the scan is committed as it was uploaded.
    const files = await Promise.all(
      pack.map(async ({ path }) => {
        const body = await readFile(tree.resolve(path));
        return { path, body, sha256: sha256(body) };
      }),
    );
    const entries = await objects.putPack(workspace, files);
    for (const file of files) {
      put[target(file.path)] = entries.get(file.sha256) as FileEntry;
      bytes.add(file.body.length);
      tick(file.path);
    }
  });
  const present = large.length > 0 ? await objects.blobIndex(workspace) : new Set<string>();
  await inParallel(large, concurrency, async (path) => {
    const entry = local[path] as FileEntry;
    const file = bytes.counting(createReadStream(tree.resolve(path)));
    put[target(path)] = await objects.putBlob(workspace, file.stream, entry, {
      present: present.has(entry.sha256),
    });
    file.settle(entry.size);
    tick(path);
  });

  // Removals first: a file `a` removed here may be where a download's folder `a/` goes.
  for (const path of plan.deleteLocal) {
    await tree.remove(path);
    writes.removed.push(path);
  }

  // Files of one pack come down with one ranged read; other files as streams.
  const byPack = new Map<string, { path: string; entry: FileEntry }[]>();
  const streamed: string[] = [];
  for (const path of plan.download) {
    const entry = remote[path] as FileEntry;
    if (entry.pack === undefined) streamed.push(path);
    else byPack.set(entry.pack, [...(byPack.get(entry.pack) ?? []), { path, entry }]);
  }
  await inParallel([...byPack], concurrency, async ([pack, files]) => {
    const contents = await objects.readPacked(workspace, pack, files);
    for (const [path, content] of contents) {
      await tree.write(path, content);
      writes.written.set(path, remote[path] as FileEntry);
      bytes.add(content.length);
      tick(path);
    }
  });
  await inParallel(streamed, concurrency, async (path) => {
    const entry = remote[path] as FileEntry;
    const file = bytes.counting(await objects.openFile(workspace, entry));
    await tree.write(path, file.stream, {
      sha256: entry.sha256,
      mismatch: (actual) => new IntegrityError(workspace, path, entry.sha256, actual),
    });
    file.settle(entry.size);
    writes.written.set(path, remote[path] as FileEntry);
    tick(path);
  });
  if (plan.upload.length === 0 && plan.deleteRemote.length === 0) return undefined;
  const result = await workspaces.commit(
    workspace,
    { put, delete: [...plan.deleteRemote] },
    {
      author: options.author ?? "aios-sync",
      message: options.message ?? `sync ${plan.upload.length} changed, ${plan.deleteRemote.length} deleted`,
      parent: head,
    },
  );
  return result.commit;
}

/** Counts the bytes of every file the plan uploads or downloads, for `options.onBytes`. */
function byteMeter(plan: SyncPlan, local: Manifest, remote: Manifest, options: SyncOptions): ByteMeter {
  const sizeOf = (entries: Manifest, paths: readonly string[]) =>
    paths.reduce((sum, path) => sum + (entries[path]?.size ?? 0), 0);
  return new ByteMeter(options.onBytes, sizeOf(local, plan.upload) + sizeOf(remote, plan.download));
}

/**
 * Records what was synced: the commit the sync made, or the head it found when it had nothing to
 * commit (not the head read again: another writer's later commit is not what this directory
 * holds, and reading it is one more round trip); as the base of the next two-way sync, what the
 * directory now holds (its scan, with the files the sync wrote or removed) — not the head's
 * manifest, which may hold files another writer committed meanwhile that this directory never
 * received (taken as the base, they would look deleted here and be deleted there next time);
 * and, as the hash cache, the scan updated the same way (no second walk of the directory).
 */
async function finish(
  workspace: string,
  commit: string,
  tree: LocalTree,
  scanned: { readonly manifest: Manifest; readonly cache: SyncState["cache"] },
  writes: LocalWrites,
): Promise<void> {
  const manifest: Record<string, FileEntry> = { ...scanned.manifest };
  const cache = { ...scanned.cache };
  for (const path of writes.removed) {
    delete manifest[path];
    delete cache[path];
  }
  await inParallel([...writes.written], 16, async ([path, entry]) => {
    const info = await stat(tree.resolve(path));
    manifest[path] = { sha256: entry.sha256, size: entry.size };
    cache[path] = { mtimeMs: info.mtimeMs, size: info.size, sha256: entry.sha256 };
  });
  await writeState(tree.root, { workspace, commit, manifest, cache });
}

/** Both sides as they are now: the directory (hashes cached), the workspace head and its files. */
async function bothSides(workspaces: WorkspaceStore, workspace: string, dir: string) {
  const state = await readState(dir);
  const { manifest: local, cache } = await scanDirectory(dir, state?.cache);
  const { objects, refs } = workspaceInternals(workspaces);
  const { commit: head } = await refs.read(workspace);
  const remote = await objects.manifestOf(workspace, head);
  return { state, local, cache, head, remote };
}

/** One-way: plan with `planner`, guard deletes, then (unless dry run) transfer and record the state. */
async function oneWay(
  workspaces: WorkspaceStore,
  workspace: string,
  dir: string,
  options: SyncOptions,
  planner: typeof planPush,
): Promise<SyncResult> {
  const { local, cache, head, remote } = await bothSides(workspaces, workspace, dir);
  const plan = planner(local, remote);
  guardDeletes(plan, options.maxDelete ?? 100);
  guardClashes(workspace, plan, local, remote);
  if (options.dryRun) return { plan, commit: undefined };
  const writes: LocalWrites = { written: new Map(), removed: [] };
  const tree = new LocalTree(dir);
  const bytes = byteMeter(plan, local, remote, options);
  const commit = await execute(
    workspaces,
    workspace,
    tree,
    writes,
    plan,
    local,
    remote,
    head,
    options,
    bytes,
  );
  bytes.finish();
  await finish(workspace, commit ?? head, tree, { manifest: local, cache }, writes);
  recordSyncPlan(workspaceInternals(workspaces).metrics, plan);
  return { plan, commit };
}

/**
 * Makes the workspace equal to the directory, sending only files whose content changed.
 *
 * @throws {@link TooManyDeletesError} when the plan deletes more than `maxDelete` files.
 * @throws {@link PathClashError} when local names clash (case or Unicode form).
 * @throws {@link CommitRetriesExhaustedError} when the head kept moving while committing.
 */
export function pushDirectory(
  workspaces: WorkspaceStore,
  workspace: string,
  dir: string,
  options: SyncOptions = {},
): Promise<SyncResult> {
  return recordOperation(workspaceInternals(workspaces).metrics, "push", () =>
    oneWay(workspaces, workspace, dir, options, planPush),
  );
}

/**
 * Makes the directory equal to the workspace (files written atomically).
 *
 * @throws {@link TooManyDeletesError} when the plan deletes more than `maxDelete` files.
 * @throws {@link LocalPathError} when a file cannot be written in the directory.
 * @throws {@link IntegrityError} when a downloaded file does not match its recorded hash.
 */
export function pullDirectory(
  workspaces: WorkspaceStore,
  workspace: string,
  dir: string,
  options: SyncOptions = {},
): Promise<SyncResult> {
  return recordOperation(workspaceInternals(workspaces).metrics, "pull", () =>
    oneWay(workspaces, workspace, dir, options, planPull),
  );
}

/**
 * Two-way sync against the last synced state: each side gets the other's changes.
 *
 * @throws {@link ConflictError} when both sides changed a path and the strategy is `fail`.
 * @throws {@link TooManyDeletesError} when the plan deletes more than `maxDelete` files.
 * @throws {@link InvalidSyncStateError} when the local sync state file is unreadable.
 */
export function syncDirectory(
  workspaces: WorkspaceStore,
  workspace: string,
  dir: string,
  options: SyncOptions = {},
): Promise<SyncResult> {
  return recordOperation(workspaceInternals(workspaces).metrics, "sync", () =>
    twoWay(workspaces, workspace, dir, options),
  );
}

async function twoWay(
  workspaces: WorkspaceStore,
  workspace: string,
  dir: string,
  options: SyncOptions,
): Promise<SyncResult> {
  const { state, local, cache, head, remote } = await bothSides(workspaces, workspace, dir);
  const base = state?.workspace === workspace ? state.manifest : {};
  let plan = planTwoWay(base, local, remote);
  const renames: Record<string, string> = {};
  if (plan.conflicts.length > 0) {
    const strategy = options.strategy ?? "fail";
    if (strategy === "fail") throw new ConflictError(workspace, plan.conflicts, head);
    workspaceInternals(workspaces).metrics?.conflicts.inc(plan.conflicts.length);
    const upload = [...plan.upload];
    const download = [...plan.download];
    for (const path of plan.conflicts) {
      if (strategy === "ours") upload.push(path);
      else if (strategy === "theirs") download.push(path);
      else {
        // keep-both: theirs keeps the name, ours is uploaded under a conflict copy name.
        upload.push(path);
        renames[path] = conflictCopyPath(path, head);
        download.push(path);
      }
    }
    plan = { ...plan, upload, download };
  }
  guardDeletes(plan, options.maxDelete ?? 100);
  guardClashes(workspace, plan, local, remote, Object.values(renames));
  if (options.dryRun) return { plan, commit: undefined };
  const tree = new LocalTree(dir);
  // Uploads read the local files before downloads replace them (keep-both needs both versions).
  const writes: LocalWrites = { written: new Map(), removed: [] };
  const bytes = byteMeter(plan, local, remote, options);
  const commit = await execute(
    workspaces,
    workspace,
    tree,
    writes,
    { ...plan, download: [], deleteLocal: [] },
    local,
    remote,
    head,
    options,
    bytes,
    renames,
  );
  await execute(
    workspaces,
    workspace,
    tree,
    writes,
    { ...plan, upload: [], deleteRemote: [] },
    local,
    remote,
    head,
    options,
    bytes,
  );
  bytes.finish();
  await finish(workspace, commit ?? head, tree, { manifest: local, cache }, writes);
  recordSyncPlan(workspaceInternals(workspaces).metrics, plan);
  return { plan, commit };
}
