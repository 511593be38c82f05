/**
 * Reading workspace state back from the bucket. Nothing read from storage is trusted: anyone with
 * write access to the bucket (or a bug, or bit rot) can put any bytes there. HEAD, commits and
 * manifests are parsed here into checked values or refused with an InvalidRemoteStateError, before
 * any of it reaches a file system or a new commit:
 * - ids (HEAD's content, a commit's parent and manifest, pack ids, content hashes) are 64
 *   lower-case hex digits, because they become object keys;
 * - commits and manifests hash to the id they are stored under (they are content-addressed);
 * - every manifest path passes validatePath, every entry has a hex sha256, a size and offset that
 *   are whole numbers >= 0.
 */
import { InvalidArgumentError } from "../errors.ts";
import { InvalidPathError, InvalidRemoteStateError } from "./errors.ts";
import { type Commit, type FileEntry, type Manifest, sha256 } from "./manifest.ts";
import { validatePath } from "./paths.ts";

/** Where the state came from, for the error. */
export interface StateSource {
  readonly workspace: string;
  readonly key: string;
  readonly commit?: string | undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** True for a commit, manifest, pack or content id: 64 lower-case hex digits. */
export const isId = (value: unknown): value is string => typeof value === "string" && HEX64.test(value);

/**
 * Checks a commit id a caller passed (e.g. `readFile(..., { commit })`).
 *
 * @throws {@link InvalidArgumentError} unless it is 64 lower-case hex digits.
 */
export function validateCommitId(id: string, where = "commit"): string {
  if (!isId(id))
    throw new InvalidArgumentError(
      where,
      `a commit id is 64 lower-case hex digits, got ${JSON.stringify(String(id).slice(0, 80))}`,
    );
  return id;
}

function refuse(source: StateSource, reason: string, path?: string): never {
  throw new InvalidRemoteStateError({ ...source, reason, ...(path === undefined ? {} : { path }) });
}

function decodeJson(bytes: Buffer, source: StateSource): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    refuse(source, "is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    refuse(source, `is not valid JSON (${(error as Error).message})`);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

/** The id in HEAD: a commit id, nothing else (it becomes part of an object key). */
export function parseHead(bytes: Buffer, source: StateSource): string {
  const text = bytes.toString("latin1");
  if (!HEX64.test(text)) refuse(source, `holds ${JSON.stringify(text.slice(0, 80))}, not a commit id`);
  return text;
}

/**
 * A commit object as stored under `commits/<id>`.
 *
 * @throws {@link InvalidRemoteStateError} when the bytes do not hash to `id` or are not a commit.
 */
export function parseCommit(bytes: Buffer, id: string, source: StateSource): Commit {
  const actual = sha256(bytes);
  if (actual !== id) refuse(source, `hashes to ${actual.slice(0, 12)}…, not to its id`);
  const value = decodeJson(bytes, source);
  if (!isRecord(value)) refuse(source, "is not a JSON object");
  const { parent, manifest, author, message, time } = value;
  if (parent !== null && !isId(parent)) refuse(source, "has a parent that is not a commit id");
  if (!isId(manifest)) refuse(source, "has a manifest that is not a manifest id");
  for (const [field, text] of Object.entries({ author, message, time }))
    if (typeof text !== "string") refuse(source, `has a ${field} that is not a string`);
  return {
    parent,
    manifest,
    author: author as string,
    message: message as string,
    time: time as string,
  };
}

/**
 * A manifest as stored under `manifests/<id>`: checked as a whole before any of it is used.
 *
 * @throws {@link InvalidRemoteStateError} naming the offending path, or what else is wrong.
 */
export function parseManifest(bytes: Buffer, id: string, source: StateSource): Manifest {
  const actual = sha256(bytes);
  if (actual !== id) refuse(source, `hashes to ${actual.slice(0, 12)}…, not to its id`);
  return validateManifest(decodeJson(bytes, source), source);
}

/**
 * A manifest from untrusted JSON (a stored manifest, the sync state's base): every path valid,
 * every entry well-formed. Unknown entry fields are dropped, not carried on.
 *
 * @throws {@link InvalidRemoteStateError} naming the offending path, or what else is wrong.
 */
export function validateManifest(value: unknown, source: StateSource): Manifest {
  if (!isRecord(value)) refuse(source, "is not a JSON object of path → entry");
  const manifest: Record<string, FileEntry> = {};
  for (const [path, entry] of Object.entries(value)) {
    try {
      validatePath(path);
    } catch (error) {
      if (error instanceof InvalidPathError) refuse(source, `breaks the path rules: ${error.reason}`, path);
      throw error;
    }
    manifest[path] = validateEntry(entry, source, path);
  }
  return manifest;
}

function validateEntry(entry: unknown, source: StateSource, path: string): FileEntry {
  if (!isRecord(entry)) refuse(source, "has an entry that is not an object", path);
  const { sha256: hash, size, pack, offset } = entry;
  if (!isId(hash)) refuse(source, "has a sha256 that is not 64 hex digits", path);
  if (!isCount(size)) refuse(source, "has a size that is not a whole number >= 0", path);
  if (pack === undefined) {
    if (offset !== undefined) refuse(source, "has an offset but no pack", path);
    return { sha256: hash, size };
  }
  if (!isId(pack)) refuse(source, "has a pack that is not a pack id", path);
  if (offset !== undefined && !isCount(offset))
    refuse(source, "has an offset that is not a whole number >= 0", path);
  return { sha256: hash, size, pack, offset: offset ?? 0 };
}
