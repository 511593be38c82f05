/**
 * The workspaces' object database: content-addressed blobs, packs, manifests and commits in the
 * blob bucket (keys in layout.ts), every read checked against its hash, immutable commits and
 * manifests cached. It knows nothing of HEAD, merging or history: WorkspaceStore and directory
 * sync build those on it.
 */
import { Readable } from "node:stream";
import { createSnapshot, type ObjectStore, type SnapshotManifest } from "../storage/index.ts";
import { IntegrityError } from "./errors.ts";
import {
  blobKey,
  blobsPrefix,
  commitKey,
  hashOfBlobKey,
  manifestKey,
  packKey,
  workspacePrefix,
} from "./layout.ts";
import { LruCache } from "./lru-cache.ts";
import { type Commit, type FileEntry, type Manifest, serialize, sha256 } from "./manifest.ts";
import { coveringRange, encodePack, planUploads } from "./packs.ts";
import { inParallel } from "./parallel.ts";
import { parseCommit, parseManifest, validateCommitId } from "./remote-state.ts";

/** Content to store: bytes, or a string stored as UTF-8. */
export type Content = Buffer | string;

export class ObjectDatabase {
  readonly #store: ObjectStore;
  readonly #bucket: string;
  readonly #concurrency: number;
  // Commits and manifests are immutable and named by their hash, so a copy read (or written)
  // once stays right as long as the workspace exists: later reads of HEAD's manifest cost no request.
  readonly #commits = new LruCache<string, Commit>(256);
  readonly #manifests = new LruCache<string, Manifest>(16);

  constructor(options: { store: ObjectStore; blobBucket: string; concurrency?: number | undefined }) {
    this.#store = options.store;
    this.#bucket = options.blobBucket;
    this.#concurrency = options.concurrency ?? 16;
  }

  /**
   * A commit, checked as it is read (see remote-state.ts).
   *
   * @throws {@link InvalidArgumentError} when `id` is not a commit id.
   * @throws {@link InvalidRemoteStateError} when the stored commit is malformed or does not hash to `id`.
   */
  async readCommit(workspace: string, id: string): Promise<Commit> {
    const key = commitKey(workspace, validateCommitId(id));
    const cached = this.#commits.get(key);
    if (cached) return cached;
    const bytes = await this.#store.getObjectBuffer(this.#bucket, key);
    const commit = parseCommit(bytes, id, { workspace, key, commit: id });
    this.#commits.set(key, commit);
    return commit;
  }

  /** The files of commit `id`, every path and entry checked before they are returned. */
  async manifestOf(workspace: string, id: string): Promise<Manifest> {
    const { manifest } = await this.readCommit(workspace, id);
    const key = manifestKey(workspace, manifest);
    const cached = this.#manifests.get(key);
    if (cached) return cached;
    const bytes = await this.#store.getObjectBuffer(this.#bucket, key);
    const parsed = parseManifest(bytes, manifest, { workspace, key, commit: id });
    this.#manifests.set(key, parsed);
    return parsed;
  }

  /**
   * Writes a manifest and the commit naming it side by side: both are immutable and named by
   * their hash, and nothing refers to them until HEAD moves, after both landed. The manifest is
   * written even when this process saw it before (another may have deleted the workspace since).
   */
  async writeCommit(workspace: string, manifest: Manifest, meta: Omit<Commit, "manifest">): Promise<string> {
    const manifestText = serialize(manifest);
    const manifestId = sha256(manifestText);
    // Field order is part of the commit's bytes, hence of its id.
    const commit: Commit = {
      parent: meta.parent,
      manifest: manifestId,
      author: meta.author,
      message: meta.message,
      time: meta.time,
    };
    const text = serialize(commit);
    const id = sha256(text);
    const mKey = manifestKey(workspace, manifestId);
    const cKey = commitKey(workspace, id);
    await Promise.all([
      this.#store.putObject(this.#bucket, mKey, manifestText, { contentType: "application/json" }),
      this.#store.putObject(this.#bucket, cKey, text, { contentType: "application/json" }),
    ]);
    this.#manifests.set(mKey, manifest);
    this.#commits.set(cKey, commit);
    return id;
  }

  /**
   * One file's bytes, checked against its hash: bytes that do not match are an IntegrityError
   * naming `path`, never wrong content.
   */
  async readFile(workspace: string, path: string, entry: FileEntry): Promise<Buffer> {
    if (entry.pack !== undefined) {
      const files = await this.readPacked(workspace, entry.pack, [{ path, entry }]);
      return files.get(path) as Buffer;
    }
    const body = await this.#store.getObjectBuffer(this.#bucket, blobKey(workspace, entry.sha256));
    const actual = sha256(body);
    if (actual !== entry.sha256) throw new IntegrityError(workspace, path, entry.sha256, actual);
    return body;
  }

  /** A stream of one file's content (for large files); the reader checks its hash. */
  async openFile(workspace: string, entry: FileEntry): Promise<Readable> {
    if (entry.pack === undefined)
      return this.#store.getObject(this.#bucket, blobKey(workspace, entry.sha256));
    if (entry.size === 0) return Readable.from([]);
    return this.#store.getObject(this.#bucket, packKey(workspace, entry.pack), {
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
        : await this.#store.getObjectBuffer(this.#bucket, packKey(workspace, pack), { range });
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
    await this.#store.putObject(this.#bucket, packKey(workspace, pack), body, {
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
   * Uploads a blob if absent (content-addressed, so a present one is the same bytes). `present`
   * says what the caller already knows (see blobIndex), saving a HEAD request per file.
   */
  async putBlob(
    workspace: string,
    content: Content | Readable,
    known?: FileEntry,
    options: { present?: boolean } = {},
  ): Promise<FileEntry> {
    const upload = async (entry: FileEntry, body: Content | Readable) => {
      const key = blobKey(workspace, entry.sha256);
      const present = options.present ?? (await this.#store.exists(this.#bucket, key));
      if (!present) await this.#store.putObject(this.#bucket, key, body);
      return entry;
    };
    if (known) return upload(known, content);
    const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content as string);
    return upload({ sha256: sha256(buffer), size: buffer.length }, buffer);
  }

  /**
   * Stores contents for a commit: what `base` already holds is referenced again, small files go
   * up in packs, large ones as blobs of their own. Returns the entry of each path.
   */
  async putContents(
    workspace: string,
    contents: Readonly<Record<string, Content>>,
    base: Manifest,
  ): Promise<Record<string, FileEntry>> {
    const files = Object.entries(contents).map(([path, content]) => {
      const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
      return { path, sha256: sha256(body), size: body.length, body };
    });
    const put: Record<string, FileEntry> = {};
    const plan = planUploads(files, base, this.#concurrency);
    for (const [file, entry] of plan.reused) put[file.path] = entry;
    await inParallel(plan.packs, this.#concurrency, async (pack) => {
      const entries = await this.putPack(workspace, pack);
      for (const file of pack) put[file.path] = entries.get(file.sha256) as FileEntry;
    });
    await inParallel(plan.alone, this.#concurrency, async (file) => {
      put[file.path] = await this.putBlob(workspace, file.body, { sha256: file.sha256, size: file.size });
    });
    return put;
  }

  /** The hashes of every blob the workspace already has: one listing instead of a HEAD per file. */
  async blobIndex(workspace: string): Promise<Set<string>> {
    const hashes = new Set<string>();
    for await (const object of this.#store.listObjects(this.#bucket, { prefix: blobsPrefix(workspace) }))
      hashes.add(hashOfBlobKey(object.key));
    return hashes;
  }

  /** Copies every object of the workspace into `backupBucket` as a snapshot. */
  snapshot(workspace: string, backupBucket: string, id?: string): Promise<SnapshotManifest> {
    return createSnapshot(this.#store, {
      bucket: this.#bucket,
      prefix: workspacePrefix(workspace),
      backupBucket,
      ...(id ? { id } : {}),
    });
  }

  /**
   * Deletes every version of every object of the workspace, and forgets what was cached of it:
   * a commit of a deleted workspace is gone, even to this process.
   */
  async deleteAll(workspace: string): Promise<void> {
    const prefix = workspacePrefix(workspace);
    this.#commits.deleteWhere((key) => key.startsWith(prefix));
    this.#manifests.deleteWhere((key) => key.startsWith(prefix));
    const versions = [];
    for await (const version of this.#store.listObjectVersions(this.#bucket, { prefix }))
      versions.push(version);
    await this.#store.deleteObjectVersions(this.#bucket, versions);
  }
}
