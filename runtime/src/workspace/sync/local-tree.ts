import { createHash, type Hash } from "node:crypto";
import { lstat, mkdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { LocalPathError } from "../errors.ts";
import { validatePath } from "../paths.ts";

/**
 * A sync's only way to write into or remove from a local directory. The last line of defence
 * after the checks on remote state: every path is validated again, resolved, and must stay inside
 * the directory; no symbolic link on the way to it is followed (a link planted in the directory
 * that points elsewhere would otherwise carry the write outside); a link at the file's own name
 * is replaced by the file, never written through (a write is a rename of a fresh temporary file).
 *
 * It guards against what is in the directory when the sync looks, not against another process
 * swapping folders for links while the sync runs (Node has no openat/O_NOFOLLOW for folders).
 */
export class LocalTree {
  readonly root: string;
  /** Folders checked (or created) during this sync, by their path inside root. */
  readonly #folders = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = root;
  }

  /**
   * The absolute path of a workspace path, checked to stay inside root.
   *
   * @throws {@link InvalidPathError} when the path breaks the rules of paths.ts.
   * @throws {@link LocalPathError} when it would resolve outside root.
   */
  resolve(path: string): string {
    const full = join(this.root, ...validatePath(path).split("/"));
    const inside = relative(this.root, full);
    if (inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside))
      throw new LocalPathError(this.root, path, "it resolves outside the directory");
    return full;
  }

  /**
   * Writes a file through a temporary file and a rename: a reader never sees half a file. With
   * `expect`, the bytes are hashed as they are written and a mismatch removes the temporary file
   * before it ever gets the file's name.
   *
   * @throws {@link LocalPathError} when the path cannot be written safely (a link or a file on the way).
   * @throws what `expect.mismatch` returns when the content does not hash to `expect.sha256`.
   */
  async write(
    path: string,
    content: Buffer | string | NodeJS.ReadableStream,
    expect?: { readonly sha256: string; readonly mismatch: (actual: string) => Error },
  ): Promise<void> {
    const full = this.resolve(path);
    const segments = path.split("/");
    await this.#folder(path, segments.slice(0, -1), { create: true });
    const existing = await lstat(full).catch(() => undefined);
    if (existing?.isDirectory()) {
      // An empty folder (left behind by removed files) gives way to the file; a full one does not.
      await rmdir(full).catch(() => {
        throw new LocalPathError(this.root, path, "a folder that is not empty has the file's name");
      });
    }
    const parent = join(full, "..");
    const temporary = join(parent, `.aios-tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      // "wx": never through something planted under the temporary name.
      const hash = createHash("sha256");
      await writeFile(temporary, expect ? hashing(content, hash) : (content as Buffer), { flag: "wx" });
      const actual = expect ? hash.digest("hex") : undefined;
      if (expect && actual !== expect.sha256) throw expect.mismatch(actual as string);
      await rename(temporary, full);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Removes a file (a link at its name is removed, not followed), then the folders it leaves empty. */
  async remove(path: string): Promise<void> {
    const full = this.resolve(path);
    const folders = path.split("/").slice(0, -1);
    if (!(await this.#folder(path, folders, { create: false }))) return; // its folder is gone: so is it
    await rm(full, { force: true });
    for (let depth = folders.length; depth > 0; depth--) {
      const folder = folders.slice(0, depth).join("/");
      try {
        await rmdir(join(this.root, ...folders.slice(0, depth)));
      } catch {
        break; // not empty (or already gone): its parents are not empty either
      }
      this.#folders.delete(folder);
    }
  }

  /**
   * Checks (and with `create`, makes) each folder on the way to `path`: a real folder, not a link
   * and not a file. Returns false when one is missing and `create` is off.
   */
  async #folder(path: string, folders: readonly string[], options: { create: boolean }): Promise<boolean> {
    for (let depth = 1; depth <= folders.length; depth++) {
      const folder = folders.slice(0, depth).join("/");
      let checked = this.#folders.get(folder);
      if (!checked) {
        checked = this.#check(path, folder, options.create);
        this.#folders.set(folder, checked);
        // A missing folder not created is not remembered: a later write may create it.
        checked.catch(() => this.#folders.delete(folder));
      }
      try {
        await checked;
      } catch (error) {
        if (error === MISSING) return false;
        throw error;
      }
    }
    return true;
  }

  async #check(path: string, folder: string, create: boolean): Promise<void> {
    const full = join(this.root, ...folder.split("/"));
    let info = await lstat(full).catch(() => undefined);
    if (!info) {
      if (!create) throw MISSING;
      await mkdir(full).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
      info = await lstat(full);
    }
    if (info.isSymbolicLink())
      throw new LocalPathError(this.root, path, `'${folder}' is a symbolic link; it is not followed`);
    if (!info.isDirectory())
      throw new LocalPathError(this.root, path, `'${folder}' is a file where a folder must be`);
  }
}

const MISSING = Symbol("missing folder");

async function* hashing(
  content: Buffer | string | NodeJS.ReadableStream,
  hash: Hash,
): AsyncGenerator<Buffer> {
  const chunks = typeof content === "string" || Buffer.isBuffer(content) ? [Buffer.from(content)] : content;
  for await (const chunk of chunks as AsyncIterable<Buffer>) {
    hash.update(chunk);
    yield chunk;
  }
}
