import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { Registry } from "prom-client";
import {
  createSnapshot,
  type ObjectStore,
  PreconditionFailedError,
  type SnapshotManifest,
} from "../storage/index.ts";
import {
  CommitRetriesExhaustedError,
  FileNotFoundError,
  IntegrityError,
  InvalidRemoteStateError,
  NoBackupBucketError,
  PathClashError,
  WorkspaceExistsError,
  WorkspaceNotFoundError,
} from "./errors.ts";
import {
  applyChanges,
  type Changes,
  type Commit,
  type FileEntry,
  type Manifest,
  serialize,
  sha256,
} from "./manifest.ts";
import { type ConflictStrategy, mergeChanges } from "./merge.ts";
import { coveringRange, encodePack, planUploads } from "./packs.ts";
import { LruCache } from "./lru-cache.ts";
import { recordOperation, type WorkspaceMetrics, workspaceMetrics } from "./metrics.ts";
import { inParallel } from "./parallel.ts";
import { findClashes, validatePath, validateWorkspaceId } from "./paths.ts";
import { parseCommit, parseHead, parseManifest, validateCommitId } from "./remote-state.ts";

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
  readonly #store: ObjectStore;
  readonly #options: WorkspaceStoreOptions;
  /** @internal Read by this room's sync functions, so they record into the same registry. */
  readonly metrics: WorkspaceMetrics | undefined;

  // Commits and manifests are immutable and named by their hash, so a copy read (or written)
  // once stays right forever: later reads of HEAD's manifest cost no request.
  readonly #commits = new LruCache<string, Commit>(256);
  readonly #manifests = new LruCache<string, Manifest>(16);

  constructor(options: WorkspaceStoreOptions) {
    this.#store = options.store;
    this.#options = options;
    this.metrics = options.metrics === false ? undefined : workspaceMetrics(options.metrics);
  }

  #prefix(workspace: string): string {
    return `workspaces/${validateWorkspaceId(workspace)}/`;
  }

  #headKey(workspace: string): string {
    return `${this.#prefix(workspace)}HEAD`;
  }

  /**
   * Creates an empty workspace and returns its root commit.
   *
   * @throws {@link WorkspaceExistsError} when the workspace already exists.
   * @throws {@link InvalidPathError} when `workspace` is not a valid workspace id.
   */
  async create(workspace: string, options: { author: string }): Promise<string> {
    const root = await this.#writeCommit(workspace, EMPTY, {
      parent: null,
      author: options.author,
      message: "create workspace",
      time: new Date().toISOString(),
    });
    try {
      await this.#store.putObject(this.#options.refBucket, this.#headKey(workspace), root, {
        ifNoneMatch: "*",
        contentType: "text/plain",
      });
    } catch (error) {
      if (error instanceof PreconditionFailedError) throw new WorkspaceExistsError(workspace);
      throw error;
    }
    return root;
  }

  /** Whether the workspace exists. */
  async exists(workspace: string): Promise<boolean> {
    return this.#store.exists(this.#options.refBucket, this.#headKey(workspace));
  }

  /** Yields the id of every workspace in the ref bucket. */
  async *list(): AsyncGenerator<string> {
    for await (const object of this.#store.listObjects(this.#options.refBucket, { prefix: "workspaces/" })) {
      const match = /^workspaces\/([a-z0-9][a-z0-9._-]{0,62})\/HEAD$/.exec(object.key);
      if (match?.[1]) yield match[1]; // a key no workspace id could make is not a workspace
    }
  }

  /** Deletes the workspace with every version of its objects. */
  async delete(workspace: string): Promise<void> {
    const prefix = this.#prefix(workspace);
    await this.#store.deleteObject(this.#options.refBucket, this.#headKey(workspace));
    for (const bucket of [this.#options.blobBucket, this.#options.refBucket]) {
      const versions = [];
      for await (const version of this.#store.listObjectVersions(bucket, { prefix })) versions.push(version);
      await this.#store.deleteObjectVersions(bucket, versions);
    }
  }

  /**
   * The workspace's current commit, and the ETag of its HEAD (for compare-and-swap).
   *
   * @throws {@link WorkspaceNotFoundError} when the workspace does not exist.
   */
  async head(workspace: string): Promise<{ commit: string; etag: string }> {
    try {
      // The etag of the very bytes read, so the later compare-and-swap is against this commit.
      const key = this.#headKey(workspace);
      const { body, etag } = await this.#store.getObjectWithEtag(this.#options.refBucket, key);
      return { commit: parseHead(body, { workspace, key }), etag };
    } catch (error) {
      if ((error as { code?: string }).code === "STORAGE_NOT_FOUND")
        throw new WorkspaceNotFoundError(workspace);
      throw error;
    }
  }

  /**
   * A commit, checked as it is read (see remote-state.ts).
   *
   * @throws {@link InvalidArgumentError} when `id` is not a commit id.
   * @throws {@link InvalidRemoteStateError} when the stored commit is malformed or does not hash to `id`.
   */
  async readCommit(workspace: string, id: string): Promise<Commit> {
    const key = `${this.#prefix(workspace)}commits/${validateCommitId(id)}`;
    const cached = this.#commits.get(key);
    if (cached) return cached;
    const bytes = await this.#store.getObjectBuffer(this.#options.blobBucket, key);
    const commit = parseCommit(bytes, id, { workspace, key, commit: id });
    this.#commits.set(key, commit);
    return commit;
  }

  /**
   * The files of a commit (default: HEAD), every path and entry checked before it is returned.
   *
   * @throws {@link InvalidRemoteStateError} naming the workspace, commit and offending path when the
   *   stored manifest (or commit, or HEAD) is malformed or names a path the rules of paths.ts refuse.
   */
  async manifest(workspace: string, commit?: string): Promise<Manifest> {
    const id = commit ?? (await this.head(workspace)).commit;
    const { manifest } = await this.readCommit(workspace, id);
    return this.#readManifest(workspace, manifest, id);
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
    if (entry.pack === undefined) {
      const body = await this.#store.getObjectBuffer(
        this.#options.blobBucket,
        this.#blobKey(workspace, entry.sha256),
      );
      const actual = sha256(body);
      if (actual !== entry.sha256) throw new IntegrityError(workspace, path, entry.sha256, actual);
      return body;
    }
    const files = await this.readPacked(workspace, entry.pack, [{ path, entry }]);
    return files.get(path) as Buffer;
  }

  /** A stream of one file's content (for large files). */
  async openFile(workspace: string, entry: FileEntry): Promise<Readable> {
    if (entry.pack === undefined)
      return this.#store.getObject(this.#options.blobBucket, this.#blobKey(workspace, entry.sha256));
    if (entry.size === 0) return Readable.from([]);
    return this.#store.getObject(this.#options.blobBucket, this.#packKey(workspace, entry.pack), {
      range: { offset: entry.offset ?? 0, length: entry.size },
    });
  }

  /**
   * Several files of one pack with a single ranged read, each checked against its hash: a path
   * whose bytes do not match its entry is an IntegrityError, never wrong content.
   */
  async readPacked(
    workspace: string,
    pack: string,
    files: readonly { readonly path: string; readonly entry: FileEntry }[],
  ): Promise<Map<string, Buffer>> {
    const located = files.map(({ path, entry }) => ({ path, entry, offset: entry.offset ?? 0 }));
    const range = coveringRange(located.map(({ offset, entry }) => ({ offset, size: entry.size })));
    const bytes =
      range.length === 0
        ? Buffer.alloc(0)
        : await this.#store.getObjectBuffer(this.#options.blobBucket, this.#packKey(workspace, pack), {
            range,
          });
    const contents = new Map<string, Buffer>();
    for (const { path, entry, offset } of located) {
      const content = bytes.subarray(offset - range.offset, offset - range.offset + entry.size);
      const actual = sha256(content);
      if (actual !== entry.sha256) throw new IntegrityError(workspace, path, entry.sha256, actual);
      contents.set(path, content);
    }
    return contents;
  }

  /**
   * Uploads small files as one pack object and returns, for each content hash, its entry in the
   * pack. The pack is content-addressed, so writing it twice writes the same bytes.
   */
  async putPack(
    workspace: string,
    files: readonly { readonly sha256: string; readonly body: Buffer }[],
  ): Promise<Map<string, FileEntry>> {
    const { body, offsets } = encodePack(files);
    const pack = sha256(body);
    await this.#store.putObject(this.#options.blobBucket, this.#packKey(workspace, pack), body, {
      contentType: "application/octet-stream",
    });
    const entries = new Map<string, FileEntry>();
    for (const file of files) {
      entries.set(file.sha256, {
        sha256: file.sha256,
        size: file.body.length,
        pack,
        offset: offsets.get(file.sha256) as number,
      });
    }
    return entries;
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
   * Uploads a blob if absent (content-addressed, so a present one is the same bytes). `present`
   * says what the caller already knows (see blobIndex), saving a HEAD request per file.
   */
  async putBlob(
    workspace: string,
    content: FileContent | Readable,
    known?: FileEntry,
    options: { present?: boolean } = {},
  ): Promise<FileEntry> {
    const upload = async (entry: FileEntry, body: FileContent | Readable) => {
      const key = this.#blobKey(workspace, entry.sha256);
      const present = options.present ?? (await this.#store.exists(this.#options.blobBucket, key));
      if (!present) await this.#store.putObject(this.#options.blobBucket, key, body);
      return entry;
    };
    if (known) return upload(known, content);
    const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content as string);
    return upload({ sha256: sha256(buffer), size: buffer.length }, buffer);
  }

  /** The hashes of every blob the workspace already has: one listing instead of a HEAD per file. */
  async blobIndex(workspace: string): Promise<Set<string>> {
    const hashes = new Set<string>();
    for await (const object of this.#store.listObjects(this.#options.blobBucket, {
      prefix: `${this.#prefix(workspace)}blobs/`,
    })) {
      hashes.add(object.key.slice(object.key.lastIndexOf("/") + 1));
    }
    return hashes;
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
    return recordOperation(this.metrics, "commit", () => this.#commit(workspace, changes, options));
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
    this.#refuseClashes(workspace, [
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
      if (head.commit !== parent) this.#refuseClashes(workspace, Object.keys(merged.manifest));
      const id = await this.#writeCommit(workspace, merged.manifest, {
        parent: head.commit,
        author: options.author,
        message: options.message,
        time: new Date().toISOString(),
      });
      try {
        await this.#store.putObject(this.#options.refBucket, this.#headKey(workspace), id, {
          ifMatch: head.etag,
          contentType: "text/plain",
        });
        return {
          commit: id,
          parent: head.commit,
          rebased: head.commit !== parent,
          conflicts: merged.conflicts,
        };
      } catch (error) {
        if (!(error instanceof PreconditionFailedError)) throw error;
        head = await this.head(workspace);
      }
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

  /** A new commit whose files are those of `commit`: history is kept, nothing is rewritten. */
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
    return createSnapshot(this.#store, {
      bucket: this.#options.blobBucket,
      prefix: this.#prefix(workspace),
      backupBucket: this.#options.backupBucket,
      ...(options.id ? { id: options.id } : {}),
    });
  }

  /**
   * Stores what a commit puts: content already in `base` is referenced again, small files go up
   * in packs, large ones as blobs of their own.
   */
  async #upload(
    workspace: string,
    changes: Readonly<Record<string, FileContent | FileEntry>>,
    base: Manifest,
  ): Promise<Record<string, FileEntry>> {
    const put: Record<string, FileEntry> = {};
    const contents: { path: string; sha256: string; size: number; body: Buffer }[] = [];
    for (const [path, content] of Object.entries(changes)) {
      if (isEntry(content)) {
        put[path] = content;
        continue;
      }
      const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
      contents.push({ path, sha256: sha256(body), size: body.length, body });
    }
    const concurrency = this.#options.concurrency ?? 16;
    const plan = planUploads(contents, base, concurrency);
    for (const [file, entry] of plan.reused) put[file.path] = entry;
    await inParallel(plan.packs, concurrency, async (files) => {
      const entries = await this.putPack(workspace, files);
      for (const file of files) put[file.path] = entries.get(file.sha256) as FileEntry;
    });
    await inParallel(plan.alone, concurrency, async (file) => {
      put[file.path] = await this.putBlob(workspace, file.body, { sha256: file.sha256, size: file.size });
    });
    return put;
  }

  async #replaceRefusedHead(
    workspace: string,
    commit: string,
    manifest: Manifest,
    author: string,
    refused: InvalidRemoteStateError,
  ): Promise<CommitResult> {
    this.#refuseClashes(workspace, Object.keys(manifest));
    const key = this.#headKey(workspace);
    // The raw HEAD, unparsed: it may be what was refused. Its etag makes the swap conditional.
    const { etag } = await this.#store.getObjectWithEtag(this.#options.refBucket, key);
    const id = await this.#writeCommit(workspace, manifest, {
      parent: commit,
      author,
      message: `restore ${commit.slice(0, 12)} (the head was refused: ${refused.reason})`,
      time: new Date().toISOString(),
    });
    try {
      await this.#store.putObject(this.#options.refBucket, key, id, {
        ifMatch: etag,
        contentType: "text/plain",
      });
    } catch (error) {
      if (error instanceof PreconditionFailedError) throw new CommitRetriesExhaustedError(workspace, 1);
      throw error;
    }
    return { commit: id, parent: commit, rebased: false, conflicts: [] };
  }

  #refuseClashes(workspace: string, paths: Iterable<string>): void {
    const clashes = findClashes(new Set(paths));
    if (clashes.length > 0) throw new PathClashError(workspace, clashes);
  }

  #packKey(workspace: string, pack: string): string {
    return `${this.#prefix(workspace)}packs/${pack}`;
  }

  #blobKey(workspace: string, hash: string): string {
    return `${this.#prefix(workspace)}blobs/${hash.slice(0, 2)}/${hash}`;
  }

  async #readManifest(workspace: string, id: string, commit: string): Promise<Manifest> {
    const key = `${this.#prefix(workspace)}manifests/${id}`;
    const cached = this.#manifests.get(key);
    if (cached) return cached;
    const bytes = await this.#store.getObjectBuffer(this.#options.blobBucket, key);
    const manifest = parseManifest(bytes, id, { workspace, key, commit });
    this.#manifests.set(key, manifest);
    return manifest;
  }

  /**
   * Writes a manifest and the commit naming it side by side: both are immutable and named by
   * their hash, and nothing refers to them until HEAD moves, after both landed. The manifest is
   * written even when this process saw it before (another may have deleted the workspace since).
   */
  async #writeCommit(workspace: string, manifest: Manifest, meta: Omit<Commit, "manifest">): Promise<string> {
    const manifestText = serialize(manifest);
    const manifestKey = `${this.#prefix(workspace)}manifests/${sha256(manifestText)}`;
    // Field order is part of the commit's bytes, hence of its id.
    const commit: Commit = {
      parent: meta.parent,
      manifest: sha256(manifestText),
      author: meta.author,
      message: meta.message,
      time: meta.time,
    };
    const text = serialize(commit);
    const id = sha256(text);
    const key = `${this.#prefix(workspace)}commits/${id}`;
    await Promise.all([
      this.#store.putObject(this.#options.blobBucket, manifestKey, manifestText, {
        contentType: "application/json",
      }),
      this.#store.putObject(this.#options.blobBucket, key, text, { contentType: "application/json" }),
    ]);
    this.#manifests.set(manifestKey, manifest);
    this.#commits.set(key, commit);
    return id;
  }
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
