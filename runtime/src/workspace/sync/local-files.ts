import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { setImmediate as nextTurn } from "node:timers/promises";
import { dirname, join, relative, sep } from "node:path";
import type { FileEntry, Manifest } from "../manifest.ts";
import { inParallel } from "../parallel.ts";
import { InvalidSyncStateError } from "../errors.ts";
import { validatePath, validateWorkspaceId } from "../paths.ts";
import { isId, validateManifest } from "../remote-state.ts";

export const STATE_FILE = ".aios-sync.json";

/** What the last sync saw, kept in the directory: the base of a two-way sync and a hash cache. */
export interface SyncState {
  readonly workspace: string;
  readonly commit: string;
  readonly manifest: Manifest;
  readonly cache: Readonly<
    Record<string, { readonly mtimeMs: number; readonly size: number; readonly sha256: string }>
  >;
}

/**
 * The state the last sync left in `dir`, checked like remote state (its manifest becomes the
 * base of a two-way sync, so its paths reach the plan); undefined when there is none.
 *
 * @throws {@link InvalidSyncStateError} when the file exists but is malformed or names an unsafe path.
 */
export async function readState(dir: string): Promise<SyncState | undefined> {
  const file = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return parseState(text, file);
  } catch (error) {
    if (error instanceof InvalidSyncStateError) throw error;
    throw new InvalidSyncStateError(file, (error as Error).message);
  }
}

function parseState(text: string, file: string): SyncState {
  const refuse = (reason: string): never => {
    throw new InvalidSyncStateError(file, reason);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return refuse(`is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return refuse("is not a JSON object");
  const { workspace, commit, manifest, cache } = value as Record<string, unknown>;
  if (typeof workspace !== "string") return refuse("has no workspace");
  validateWorkspaceId(workspace);
  if (!isId(commit)) return refuse("has a commit that is not a commit id");
  const checked = validateManifest(manifest, { workspace, key: file, commit });
  if (typeof cache !== "object" || cache === null || Array.isArray(cache))
    return refuse("has no cache object");
  const hashes: Record<string, SyncState["cache"][string]> = {};
  for (const [path, entry] of Object.entries(cache)) {
    validatePath(path);
    const { mtimeMs, size, sha256 } = (entry ?? {}) as Record<string, unknown>;
    if (typeof mtimeMs !== "number" || !Number.isSafeInteger(size) || !isId(sha256))
      return refuse(`has a malformed cache entry for ${JSON.stringify(path)}`);
    hashes[path] = { mtimeMs, size: size as number, sha256 };
  }
  return { workspace, commit, manifest: checked, cache: hashes };
}

export async function writeState(dir: string, state: SyncState): Promise<void> {
  await writeAtomically(join(dir, STATE_FILE), JSON.stringify(state));
}

async function hashFile(path: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  // Small files in one read: a stream per file costs more than the hashing.
  if (size <= 1024 * 1024) return hash.update(await readFile(path)).digest("hex");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The directory as a manifest. A file whose size and mtime match the cache keeps its cached
 * hash, so a re-sync reads only what changed.
 */
export async function scanDirectory(
  dir: string,
  cache: SyncState["cache"] = {},
): Promise<{ manifest: Manifest; cache: SyncState["cache"] }> {
  const manifest: Record<string, FileEntry> = {};
  const nextCache: Record<string, SyncState["cache"][string]> = {};
  const files: { full: string; path: string }[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full).split(sep).join("/");
    if (path === STATE_FILE || path.includes("/.aios-tmp-") || path.startsWith(".aios-tmp-")) continue;
    validatePath(path);
    files.push({ full, path });
  }
  // stat() through the thread pool costs ~30 µs a file, statSync ~2 µs; a pause every 1,000
  // files keeps the event loop responsive in large trees.
  const toHash: { full: string; path: string; mtimeMs: number; size: number }[] = [];
  for (let i = 0; i < files.length; i++) {
    if (i > 0 && i % 1000 === 0) await nextTurn();
    const { full, path } = files[i] as { full: string; path: string };
    const info = statSync(full, { throwIfNoEntry: false });
    if (!info) continue; // removed while we looked
    const cached = cache[path];
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) {
      manifest[path] = { sha256: cached.sha256, size: info.size };
      nextCache[path] = cached;
    } else {
      toHash.push({ full, path, mtimeMs: info.mtimeMs, size: info.size });
    }
  }
  await inParallel(toHash, 16, async ({ full, path, mtimeMs, size }) => {
    let sha256: string;
    try {
      sha256 = await hashFile(full, size);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // removed while we looked
      throw error;
    }
    manifest[path] = { sha256, size };
    nextCache[path] = { mtimeMs, size, sha256 };
  });
  return { manifest, cache: nextCache };
}

/** Writes through a temporary file and a rename: a reader never sees half a file. */
export async function writeAtomically(
  path: string,
  content: Buffer | string | NodeJS.ReadableStream,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.aios-tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    await writeFile(temporary, content as Buffer);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
