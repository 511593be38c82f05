import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { Registry } from "prom-client";
import type { ObjectStore, SnapshotManifest } from "../storage/index.ts";
import {
  CommitRetriesExhaustedError,
  FileNotFoundError,
  InvalidRemoteStateError,
  NoBackupBucketError,
  PathClashError,
} from "./errors.ts";
import { applyChanges, type Changes, type Commit, type FileEntry, type Manifest } from "./manifest.ts";
import { type ConflictStrategy, mergeChanges } from "./merge.ts";
import { recordOperation, type WorkspaceMetrics, workspaceMetrics } from "./metrics.ts";
import { ObjectDatabase } from "./object-database.ts";
import { findClashes, validatePath } from "./paths.ts";
import { HeadRefs } from "./refs.ts";

/**
 * Where a {@link WorkspaceStore} keeps its objects: the store, and its blob, ref and backup buckets.
 */
export interface WorkspaceStoreOptions {
  readonly store: ObjectStore;
  /** Versioned: blobs, manifests and commits, all immutable and content-addressed. */
  readonly blobBucket: string;
  /** Unversioned: the mutable HEAD of each workspace, moved only by compare-and-swap. */
  readonly refBucket: string;
  readonly backupBucket?: string;
  /** Blobs and packs uploaded at once by a commit. Default 16. */
  readonly concurrency?: number;
  /** Where operations are counted and timed (`aios_workspace_*`); false turns that off. Default: the process registry. */
  readonly metrics?: Registry | false;
}

/** Who commits, why, on which parent, and what to do about conflicting concurrent commits. */
export interface CommitOptions {
  readonly author: string;
  readonly message: string;
  /** The commit these changes were made on; default: the head when the commit starts. */
  readonly parent?: string;
  /** What to do when another commit changed the same paths since `parent`. Default "fail". */
  readonly strategy?: ConflictStrategy;
}

/** The commit made, its parent, and whether it was rebased onto commits that landed meanwhile. */
export interface CommitResult {
  readonly commit: string;
  readonly parent: string | null;
  /** True when other commits landed since `parent` and these changes were rebased onto them. */
  readonly rebased: boolean;
  readonly conflicts: readonly string[];
}

/** A commit of a workspace's history, with its id. */
export interface LogEntry extends Commit {
  readonly id: string;
}

/** The content of a file to write: bytes, or a string written as UTF-8. */
export type FileContent = Buffer | string;

const EMPTY: Manifest = {};

/**
 * Agent workspaces on plain S3 with lakeFS-like safety: a commit uploads its blobs, writes an
 * immutable manifest and commit object, then moves the workspace HEAD with a conditional write.
 * Readers resolve HEAD → commit → manifest → blobs, so they see all of a commit or none of it.
 *
 * @example
 * ```ts
 * const workspaces = new WorkspaceStore({ store, blobBucket: "aios-workspaces", refBucket: "aios-workspace-refs" });
 * await workspaces.create("task-42", { author: "planner" });
 * await workspaces.writeFile("task-42", "notes/plan.md", "# Plan\n", {
 *   author: "planner",
 *   message: "first plan",
 * });
 * const plan = await workspaces.readFile("task-42", "notes/plan.md"); // Buffer
 * ```
 */
export class WorkspaceStore {
  // The user operations. Where objects live and how they are read back checked is the object
  // database's job (object-database.ts); HEAD and its compare-and-swap are the refs' (refs.ts).
  readonly #objects: ObjectDatabase;
  readonly #refs: HeadRefs;
  readonly #options: WorkspaceStoreOptions;
  readonly #metrics: WorkspaceMetrics | undefined;

  constructor(options: WorkspaceStoreOptions) {
    this.#options = options;
    this.#objects = new ObjectDatabase({
      store: options.store,
      blobBucket: options.blobBucket,
      concurrency: options.concurrency,
    });
    this.#refs = new HeadRefs(options.store, options.refBucket);
    this.#metrics = options.metrics === false ? undefined : workspaceMetrics(options.metrics);
    internals.set(this, { objects: this.#objects, refs: this.#refs, metrics: this.#metrics });
  }

  /**
   * Creates an empty workspace and returns its root commit.
   *
   * @throws {@link WorkspaceExistsError} when the workspace already exists.
   * @throws {@link InvalidPathError} when `workspace` is not a valid workspace id.
   */
  async create(workspace: string, options: { author: string }): Promise<string> {
    const root = await this.#objects.writeCommit(workspace, EMPTY, {
      parent: null,
      author: options.author,
      message: "create workspace",
      time: new Date().toISOString(),
    });
    await this.#refs.create(workspace, root);
    return root;
  }

  /** Whether the workspace exists. */
  async exists(workspace: string): Promise<boolean> {
    return this.#refs.exists(workspace);
  }

  /** Yields the id of every workspace in the ref bucket. */
  list(): AsyncGenerator<string> {
    return this.#refs.workspaces();
  }

  /** Deletes the workspace with every version of its objects. */
  async delete(workspace: string): Promise<void> {
    await this.#refs.remove(workspace);
    await this.#objects.deleteAll(workspace);
  }

  /**
   * The workspace's current commit, and the ETag of its HEAD (for compare-and-swap).
   *
   * @throws {@link WorkspaceNotFoundError} when the workspace does not exist.
   */
  async head(workspace: string): Promise<{ commit: string; etag: string }> {
    return this.#refs.read(workspace);
  }

  /**
   * A commit, checked as it is read (see remote-state.ts).
   *
   * @throws {@link InvalidArgumentError} when `id` is not a commit id.
   * @throws {@link InvalidRemoteStateError} when the stored commit is malformed or does not hash to `id`.
   */
  async readCommit(workspace: string, id: string): Promise<Commit> {
    return this.#objects.readCommit(workspace, id);
  }

  /**
   * The files of a commit (default: HEAD), every path and entry checked before it is returned.
   *
   * @throws {@link InvalidRemoteStateError} naming the workspace, commit and offending path when the
   *   stored manifest (or commit, or HEAD) is malformed or names a path the rules of paths.ts refuse.
   */
  async manifest(workspace: string, commit?: string): Promise<Manifest> {
    const id = commit ?? (await this.head(workspace)).commit;
    return this.#objects.manifestOf(workspace, id);
  }

  /**
   * Reads a file at the head (or at `options.commit`).
   *
   * @throws {@link WorkspaceNotFoundError} when the workspace does not exist.
   * @throws {@link FileNotFoundError} when the commit has no such file.
   * @throws {@link IntegrityError} when the stored bytes do not match the recorded hash.
   * @throws {@link InvalidPathError} when `path` breaks the path rules.
   */
  async readFile(workspace: string, path: string, options: { commit?: string } = {}): Promise<Buffer> {
    validatePath(path);
    const commit = options.commit ?? (await this.head(workspace)).commit;
    const manifest = await this.manifest(workspace, commit);
    const entry = Object.hasOwn(manifest, path) ? manifest[path] : undefined;
    if (!entry) throw new FileNotFoundError(workspace, path, commit);
    return this.#objects.readFile(workspace, path, entry);
  }

  /** A stream of one file's content (for large files); its hash is the entry's `sha256`, for the reader to check. */
  async openFile(workspace: string, entry: FileEntry): Promise<Readable> {
    return this.#objects.openFile(workspace, entry);
  }

  /**
   * Lists the files at the head (or at `options.commit`), optionally under a prefix.
   *
   * @throws {@link WorkspaceNotFoundError} when the workspace does not exist.
   */
  async listFiles(
    workspace: string,
    options: { commit?: string; prefix?: string } = {},
  ): Promise<{ path: string; size: number; sha256: string }[]> {
    const manifest = await this.manifest(workspace, options.commit);
    return Object.entries(manifest)
      .filter(([path]) => !options.prefix || path.startsWith(options.prefix))
      .map(([path, entry]) => ({ path, ...entry }));
  }

  /**
   * Writes one file in a new commit (see {@link WorkspaceStore.commit}).
   *
   * @throws {@link ConflictError} when a concurrent commit changed the same path and the strategy is `fail`.
   * @throws {@link CommitRetriesExhaustedError} when the head kept moving while committing.
   * @throws {@link InvalidPathError} when `path` breaks the path rules.
   */
  async writeFile(
    workspace: string,
    path: string,
    content: FileContent,
    options: CommitOptions,
  ): Promise<CommitResult> {
    return this.commit(workspace, { put: { [path]: content } }, options);
  }

  /**
   * Deletes one file in a new commit (see {@link WorkspaceStore.commit}).
   *
   * @throws {@link ConflictError} when a concurrent commit changed the same path and the strategy is `fail`.
   * @throws {@link CommitRetriesExhaustedError} when the head kept moving while committing.
   */
  async deleteFile(workspace: string, path: string, options: CommitOptions): Promise<CommitResult> {
    return this.commit(workspace, { delete: [path] }, options);
  }

  /**
   * Commits several changes atomically. Paths are validated before anything is written. If other
   * commits landed since the parent, non-overlapping changes are rebased onto them; overlapping
   * ones follow `strategy` (default: ConflictError naming the paths).
   *
   * @throws {@link InvalidPathError} when a path breaks the rules of paths.ts (nothing uploaded).
   * @throws {@link PathClashError} when the files after the commit would include a file and a folder of
   *   one name, or Unicode twins (before any upload; or, after a rebase, before HEAD moves).
   * @throws {@link ConflictError} with strategy "fail" when another commit changed the same paths.
   * @throws {@link InvalidRemoteStateError} when the parent's or head's stored state is refused.
   */
  async commit(
    workspace: string,
    changes: {
      readonly put?: Readonly<Record<string, FileContent | FileEntry>>;
      readonly delete?: readonly string[];
    },
    options: CommitOptions,
  ): Promise<CommitResult> {
    return recordOperation(this.#metrics, "commit", () => this.#commit(workspace, changes, options));
  }

  async #commit(
    workspace: string,
    changes: {
      readonly put?: Readonly<Record<string, FileContent | FileEntry>>;
      readonly delete?: readonly string[];
    },
    options: CommitOptions,
  ): Promise<CommitResult> {
    for (const path of [...Object.keys(changes.put ?? {}), ...(changes.delete ?? [])]) validatePath(path);
    const start = await this.head(workspace);
    const parent = options.parent ?? start.commit;

    const base = await this.manifest(workspace, parent);
    // Refused before any upload: a file and a folder of one name, or Unicode twins, would commit
    // fine and then fail half-way through every pull.
    const removed = new Set(changes.delete ?? []);
    refuseClashes(workspace, [
      ...Object.keys(base).filter((path) => !removed.has(path)),
      ...Object.keys(changes.put ?? {}),
    ]);
    const put = await this.#upload(workspace, changes.put ?? {}, base);
    const ours: Changes = { put, delete: changes.delete ?? [] };
    const hint = randomUUID().replace(/-/g, "");

    let head = start;
    for (let attempt = 1; attempt <= 25; attempt++) {
      const merged =
        head.commit === parent
          ? { manifest: applyChanges(base, ours), conflicts: [] as readonly string[] }
          : mergeChanges({
              workspace,
              base,
              head: await this.manifest(workspace, head.commit),
              headCommit: head.commit,
              ours,
              ourCommitHint: hint,
              strategy: options.strategy ?? "fail",
            });
      // Rebased onto other commits: together they may clash where neither did alone.
      if (head.commit !== parent) refuseClashes(workspace, Object.keys(merged.manifest));
      const id = await this.#objects.writeCommit(workspace, merged.manifest, {
        parent: head.commit,
        author: options.author,
        message: options.message,
        time: new Date().toISOString(),
      });
      if (await this.#refs.move(workspace, id, head.etag)) {
        return {
          commit: id,
          parent: head.commit,
          rebased: head.commit !== parent,
          conflicts: merged.conflicts,
        };
      }
      head = await this.head(workspace);
    }
    throw new CommitRetriesExhaustedError(workspace, 25);
  }

  /** The commits from HEAD (or `from`) back to the first, newest first. */
  async *log(workspace: string, options: { from?: string; limit?: number } = {}): AsyncGenerator<LogEntry> {
    let id: string | null = options.from ?? (await this.head(workspace)).commit;
    for (let n = 0; id && n < (options.limit ?? Number.POSITIVE_INFINITY); n++) {
      const commit = await this.readCommit(workspace, id);
      yield { id, ...commit };
      id = commit.parent;
    }
  }

  /**
   * A new commit whose files are those of `commit`: history is kept, nothing is rewritten. When
   * HEAD's own state is refused (an InvalidRemoteStateError: tampered with or corrupt), this is
   * the way out: the new commit's parent is then `commit` itself, so the refused commits drop out
   * of the history, and HEAD moves only if it still holds what was refused.
   *
   * @throws {@link InvalidRemoteStateError} when the state of `commit` itself is refused.
   */
  async restore(workspace: string, commit: string, options: { author: string }): Promise<CommitResult> {
    const target = await this.manifest(workspace, commit);
    let current: Manifest;
    try {
      current = await this.manifest(workspace);
    } catch (error) {
      if (!(error instanceof InvalidRemoteStateError)) throw error;
      return this.#replaceRefusedHead(workspace, commit, target, options.author, error);
    }
    const remove = Object.keys(current).filter((path) => !Object.hasOwn(target, path));
    return this.commit(
      workspace,
      { put: { ...target }, delete: remove },
      { author: options.author, message: `restore ${commit.slice(0, 12)}`, strategy: "ours" },
    );
  }

  /**
   * Copies the workspace's objects into the backup bucket as a snapshot and returns its manifest.
   *
   * @throws {@link NoBackupBucketError} when the store was created without a `backupBucket`.
   */
  async snapshot(workspace: string, options: { id?: string } = {}): Promise<SnapshotManifest> {
    if (!this.#options.backupBucket) throw new NoBackupBucketError(workspace);
    return this.#objects.snapshot(workspace, this.#options.backupBucket, options.id);
  }

  /** Stores what a commit puts: entries are taken as they are, contents go to the object database. */
  async #upload(
    workspace: string,
    changes: Readonly<Record<string, FileContent | FileEntry>>,
    base: Manifest,
  ): Promise<Record<string, FileEntry>> {
    const put: Record<string, FileEntry> = {};
    const contents: Record<string, FileContent> = {};
    for (const [path, content] of Object.entries(changes)) {
      if (isEntry(content)) put[path] = content;
      else contents[path] = content;
    }
    return { ...put, ...(await this.#objects.putContents(workspace, contents, base)) };
  }

  async #replaceRefusedHead(
    workspace: string,
    commit: string,
    manifest: Manifest,
    author: string,
    refused: InvalidRemoteStateError,
  ): Promise<CommitResult> {
    refuseClashes(workspace, Object.keys(manifest));
    // The etag of the raw HEAD, unparsed (it may be what was refused): the swap is conditional on it.
    const etag = await this.#refs.etag(workspace);
    const id = await this.#objects.writeCommit(workspace, manifest, {
      parent: commit,
      author,
      message: `restore ${commit.slice(0, 12)} (the head was refused: ${refused.reason})`,
      time: new Date().toISOString(),
    });
    if (!(await this.#refs.move(workspace, id, etag))) throw new CommitRetriesExhaustedError(workspace, 1);
    return { commit: id, parent: commit, rebased: false, conflicts: [] };
  }
}

/** What this room's directory sync works with: the store's object database, refs and metrics. */
export interface WorkspaceInternals {
  readonly objects: ObjectDatabase;
  readonly refs: HeadRefs;
  readonly metrics: WorkspaceMetrics | undefined;
}

// Reachable by relative import inside the workspace room (sync), never from the package.
const internals = new WeakMap<WorkspaceStore, WorkspaceInternals>();

/** The object database, refs and metrics behind `workspaces` (workspace-room internal). */
export function workspaceInternals(workspaces: WorkspaceStore): WorkspaceInternals {
  return internals.get(workspaces) as WorkspaceInternals;
}

function refuseClashes(workspace: string, paths: Iterable<string>): void {
  const clashes = findClashes(new Set(paths));
  if (clashes.length > 0) throw new PathClashError(workspace, clashes);
}

function isEntry(value: unknown): value is FileEntry {
  return (
    typeof value === "object" &&
    value !== null &&
    !Buffer.isBuffer(value) &&
    "sha256" in value &&
    "size" in value
  );
}
