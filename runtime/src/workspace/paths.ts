/**
 * The one set of rules for workspace paths. Every path is checked here: paths a caller commits,
 * paths a sync finds in a directory, and every path read back from storage (manifests, the sync
 * state), because a path that comes back from the bucket is as untrusted as one typed by a user —
 * anyone with write access to the bucket can plant one.
 *
 * A workspace path is:
 * - relative and '/'-separated: no leading '/', no drive letter (`C:`), no backslash;
 * - made of segments that are not empty, '.' or '..', nor whitespace only (`" "`, `"\u3000"`);
 * - free of characters that cannot be seen or that change how a name is displayed: control
 *   characters (Unicode Cc, C0/C1/DEL), format characters (Unicode Cf: zero-width spaces and
 *   joiners, bidi overrides and isolates, soft hyphen, BOM…), line and paragraph separators;
 * - well-formed Unicode (no lone surrogate, which has no UTF-8 encoding and so no S3 key);
 * - at most MAX_PATH_BYTES bytes of UTF-8, and not `__proto__` (a manifest is a JSON object).
 *
 * Paths are stored as given (a file named in NFD on disk keeps its NFD name), but two paths are
 * the same file when their NFC forms are equal (macOS and Windows treat them so). A set of paths
 * clashes when it holds two such twins, or a file and a folder of the same name (`a` and `a/b`):
 * no directory can hold both, so a commit that would create such a set is refused (see
 * findClashes), rather than found out half-way through a pull.
 */
import { InvalidPathError } from "./errors.ts";

/** Keys are `workspaces/<id>/...` plus a content hash; keep paths well inside S3's 1024-byte limit. */
export const MAX_PATH_BYTES = 800;

const CONTROL = /\p{Cc}/u;
/** Invisible formatting (zero-width, bidi controls, BOM, soft hyphen…) and line/paragraph separators. */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;
const LONE_SURROGATE = /\p{Cs}/u;
const BLANK = /^\p{White_Space}+$/u;

/**
 * Checks a workspace path against the rules above and returns it unchanged.
 *
 * @throws {@link InvalidPathError} (`WORKSPACE_INVALID_PATH`) naming the path and the rule it breaks.
 * @example validatePath("notes/plan.md") // "notes/plan.md"; validatePath("../x") throws
 */
export function validatePath(path: unknown): string {
  if (typeof path !== "string")
    throw new InvalidPathError(String(path), `a path is a string, not ${typeof path}`);
  if (path.length === 0) throw new InvalidPathError(path, "the path is empty");
  if (path.startsWith("/")) throw new InvalidPathError(path, "absolute paths are not allowed");
  if (/^[A-Za-z]:/.test(path)) throw new InvalidPathError(path, "drive letters are not allowed");
  if (path.includes("\\")) throw new InvalidPathError(path, "use '/' as the separator, not '\\\\'");
  if (LONE_SURROGATE.test(path)) throw new InvalidPathError(path, "contains a lone UTF-16 surrogate");
  if (CONTROL.test(path)) throw new InvalidPathError(path, "contains a control character");
  if (INVISIBLE.test(path))
    throw new InvalidPathError(
      path,
      "contains an invisible character (zero-width, bidi control or line separator)",
    );
  if (path === "__proto__") throw new InvalidPathError(path, "'__proto__' is reserved");
  for (const segment of path.split("/")) {
    if (segment === "") throw new InvalidPathError(path, "has an empty segment");
    if (segment === "." || segment === "..") throw new InvalidPathError(path, `has a '${segment}' segment`);
    if (BLANK.test(segment)) throw new InvalidPathError(path, "has a segment made only of whitespace");
  }
  if (Buffer.byteLength(path, "utf8") > MAX_PATH_BYTES)
    throw new InvalidPathError(path, `longer than ${MAX_PATH_BYTES} bytes`);
  return path;
}

/**
 * Checks a workspace id (the S3 prefix `workspaces/<id>/`).
 *
 * @throws {@link InvalidPathError} unless it is 1-63 lower-case letters, digits, '.', '_' or '-'.
 */
export function validateWorkspaceId(id: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(id)) {
    throw new InvalidPathError(id, "a workspace id is 1-63 lower-case letters, digits, '.', '_' or '-'");
  }
  return id;
}

// ASCII needs no normalisation: skipping it keeps the clash check cheap on large manifests.
// eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
const ASCII = /^[\u0000-\u007f]*$/;

/** The identity of a path on a normalisation-insensitive file system: its NFC form. */
export function pathIdentity(path: string): string {
  return ASCII.test(path) ? path : path.normalize("NFC");
}

/** Two paths that cannot both exist in one directory tree. */
export interface PathClash {
  /** `twins`: the same name in two Unicode normal forms; `file-and-folder`: `a` and `a/b`. */
  readonly kind: "twins" | "file-and-folder";
  readonly paths: readonly [string, string];
}

/**
 * The clashes in a set of paths (twins, or a file that is also a folder's name), sorted; empty
 * when the set can be written to a directory as it is.
 */
export function findClashes(paths: Iterable<string>): PathClash[] {
  const byIdentity = new Map<string, string>();
  const clashes: PathClash[] = [];
  for (const path of paths) {
    const id = pathIdentity(path);
    const twin = byIdentity.get(id);
    if (twin === undefined) byIdentity.set(id, path);
    else if (twin !== path) clashes.push({ kind: "twins", paths: ordered(twin, path) });
  }
  for (const [id, path] of byIdentity) {
    for (let slash = id.indexOf("/"); slash !== -1; slash = id.indexOf("/", slash + 1)) {
      const file = byIdentity.get(id.slice(0, slash));
      if (file !== undefined) clashes.push({ kind: "file-and-folder", paths: [file, path] });
    }
  }
  return clashes.sort((a, b) => compare(a.paths.join("\0"), b.paths.join("\0")));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ordered = (a: string, b: string): [string, string] => (compare(a, b) <= 0 ? [a, b] : [b, a]);
