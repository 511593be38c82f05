/**
 * Each workspace's HEAD: the one mutable object, in the unversioned ref bucket, holding the id of
 * the current commit and moved only by compare-and-swap on its etag.
 */
import { NotFoundError, type ObjectStore, PreconditionFailedError } from "../storage/index.ts";
import { WorkspaceExistsError, WorkspaceNotFoundError } from "./errors.ts";
import { headKey, workspaceOfHeadKey, workspacePrefix } from "./layout.ts";
import { parseHead } from "./remote-state.ts";

export class HeadRefs {
  readonly #store: ObjectStore;
  readonly #bucket: string;

  constructor(store: ObjectStore, refBucket: string) {
    this.#store = store;
    this.#bucket = refBucket;
  }

  /**
   * The current commit and the etag of the very bytes read, so a later move is against this commit.
   *
   * @throws {@link WorkspaceNotFoundError} when the workspace has no HEAD.
   * @throws {@link InvalidRemoteStateError} when HEAD does not hold a commit id.
   */
  async read(workspace: string): Promise<{ commit: string; etag: string }> {
    const key = headKey(workspace);
    const { body, etag } = await this.#readRaw(workspace, key);
    return { commit: parseHead(body, { workspace, key }), etag };
  }

  /** HEAD's etag without parsing its content (which may be what was refused). */
  async etag(workspace: string): Promise<string> {
    return (await this.#readRaw(workspace, headKey(workspace))).etag;
  }

  /**
   * Creates HEAD pointing at `commit`, only if there is none.
   *
   * @throws {@link WorkspaceExistsError} when the workspace already has a HEAD.
   */
  async create(workspace: string, commit: string): Promise<void> {
    try {
      await this.#store.putObject(this.#bucket, headKey(workspace), commit, {
        ifNoneMatch: "*",
        contentType: "text/plain",
      });
    } catch (error) {
      if (error instanceof PreconditionFailedError) throw new WorkspaceExistsError(workspace);
      throw error;
    }
  }

  /** Moves HEAD to `commit` if it still has the etag `expected`; false when another writer moved it. */
  async move(workspace: string, commit: string, expected: string): Promise<boolean> {
    try {
      await this.#store.putObject(this.#bucket, headKey(workspace), commit, {
        ifMatch: expected,
        contentType: "text/plain",
      });
      return true;
    } catch (error) {
      if (error instanceof PreconditionFailedError) return false;
      throw error;
    }
  }

  async exists(workspace: string): Promise<boolean> {
    return this.#store.exists(this.#bucket, headKey(workspace));
  }

  /** The id of every workspace that has a HEAD. */
  async *workspaces(): AsyncGenerator<string> {
    for await (const object of this.#store.listObjects(this.#bucket, { prefix: "workspaces/" })) {
      const workspace = workspaceOfHeadKey(object.key);
      if (workspace) yield workspace; // a key no workspace id could make is not a workspace
    }
  }

  /** Deletes HEAD and every version of anything under the workspace's prefix in the ref bucket. */
  async remove(workspace: string): Promise<void> {
    await this.#store.deleteObject(this.#bucket, headKey(workspace));
    const versions = [];
    for await (const version of this.#store.listObjectVersions(this.#bucket, {
      prefix: workspacePrefix(workspace),
    }))
      versions.push(version);
    await this.#store.deleteObjectVersions(this.#bucket, versions);
  }

  async #readRaw(workspace: string, key: string): Promise<{ body: Buffer; etag: string }> {
    try {
      return await this.#store.getObjectWithEtag(this.#bucket, key);
    } catch (error) {
      if (error instanceof NotFoundError) throw new WorkspaceNotFoundError(workspace);
      throw error;
    }
  }
}
