import { InvalidPathError } from "./errors.ts";

/** Keys are `workspaces/<id>/...` plus a content hash; keep paths well inside S3's 1024-byte limit. */
export const MAX_PATH_BYTES = 800;

/**
 * A workspace path is relative, '/'-separated, with no empty, '.' or '..' segment, no control
 * characters and no backslash (which would mean a different file on Windows).
 */
export function validatePath(path: string): string {
  if (path.length === 0) throw new InvalidPathError(path, "the path is empty");
  if (path.startsWith("/")) throw new InvalidPathError(path, "absolute paths are not allowed");
  if (/^[A-Za-z]:/.test(path)) throw new InvalidPathError(path, "drive letters are not allowed");
  if (path.includes("\\")) throw new InvalidPathError(path, "use '/' as the separator, not '\\\\'");
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  if (/[\u0000-\u001f\u007f]/.test(path)) throw new InvalidPathError(path, "contains a control character");
  for (const segment of path.split("/")) {
    if (segment === "") throw new InvalidPathError(path, "has an empty segment");
    if (segment === "." || segment === "..") throw new InvalidPathError(path, `has a '${segment}' segment`);
  }
  if (Buffer.byteLength(path, "utf8") > MAX_PATH_BYTES)
    throw new InvalidPathError(path, `longer than ${MAX_PATH_BYTES} bytes`);
  return path;
}

export function validateWorkspaceId(id: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(id)) {
    throw new InvalidPathError(id, "a workspace id is 1-63 lower-case letters, digits, '.', '_' or '-'");
  }
  return id;
}
