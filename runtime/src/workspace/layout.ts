/**
 * Where a workspace's objects live. Blob bucket (versioned, immutable, content-addressed):
 * `workspaces/<id>/blobs/<aa>/<sha256>`, `packs/<sha256>`, `manifests/<sha256>`, `commits/<sha256>`.
 * Ref bucket (unversioned): `workspaces/<id>/HEAD`, the only mutable object.
 */
import { InvalidPathError } from "./errors.ts";
import { validateWorkspaceId } from "./paths.ts";

/** Every object of the workspace, in either bucket, is under this prefix. */
export function workspacePrefix(workspace: string): string {
  return `workspaces/${validateWorkspaceId(workspace)}/`;
}

export function headKey(workspace: string): string {
  return `${workspacePrefix(workspace)}HEAD`;
}

export function blobsPrefix(workspace: string): string {
  return `${workspacePrefix(workspace)}blobs/`;
}

export function blobKey(workspace: string, hash: string): string {
  return `${blobsPrefix(workspace)}${hash.slice(0, 2)}/${hash}`;
}

export function packKey(workspace: string, pack: string): string {
  return `${workspacePrefix(workspace)}packs/${pack}`;
}

export function manifestKey(workspace: string, id: string): string {
  return `${workspacePrefix(workspace)}manifests/${id}`;
}

export function commitKey(workspace: string, id: string): string {
  return `${workspacePrefix(workspace)}commits/${id}`;
}

/** The content hash a blob key ends with. */
export function hashOfBlobKey(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

/** The workspace a HEAD key belongs to; undefined for a key no workspace id could make. */
export function workspaceOfHeadKey(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length !== 3 || parts[0] !== "workspaces" || parts[2] !== "HEAD") return undefined;
  try {
    return validateWorkspaceId(parts[1] as string);
  } catch (error) {
    if (error instanceof InvalidPathError) return undefined;
    throw error;
  }
}
