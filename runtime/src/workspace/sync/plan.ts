import type { Manifest } from "../manifest.ts";

/** What a sync does, path by path: uploads, downloads, deletions on each side, and conflicts. */
export interface SyncPlan {
  /** Local files to send to the workspace. */
  readonly upload: readonly string[];
  /** Workspace files to remove. */
  readonly deleteRemote: readonly string[];
  /** Workspace files to write locally. */
  readonly download: readonly string[];
  /** Local files to remove. */
  readonly deleteLocal: readonly string[];
  /** Paths changed on both sides since the last sync, differently. */
  readonly conflicts: readonly string[];
}

// Own entries only: a file named `constructor` or `toString` is not in a manifest that lacks it.
const has = (manifest: Manifest, path: string) => Object.hasOwn(manifest, path);
const hashOf = (manifest: Manifest, path: string) =>
  has(manifest, path) ? manifest[path]?.sha256 : undefined;
const differs = (a: Manifest, b: Manifest, path: string) => hashOf(a, path) !== hashOf(b, path);

/** Make the workspace equal to the directory. */
export function planPush(local: Manifest, remote: Manifest): SyncPlan {
  const upload = Object.keys(local)
    .filter((p) => differs(local, remote, p))
    .sort();
  const deleteRemote = Object.keys(remote)
    .filter((p) => !has(local, p))
    .sort();
  return { upload, deleteRemote, download: [], deleteLocal: [], conflicts: [] };
}

/** Make the directory equal to the workspace. */
export function planPull(local: Manifest, remote: Manifest): SyncPlan {
  const download = Object.keys(remote)
    .filter((p) => differs(local, remote, p))
    .sort();
  const deleteLocal = Object.keys(local)
    .filter((p) => !has(remote, p))
    .sort();
  return { upload: [], deleteRemote: [], download, deleteLocal, conflicts: [] };
}

/** Two-way: each side's changes since `base` (the last sync) go to the other side. */
export function planTwoWay(base: Manifest, local: Manifest, remote: Manifest): SyncPlan {
  const all = new Set([...Object.keys(base), ...Object.keys(local), ...Object.keys(remote)]);
  const upload: string[] = [];
  const deleteRemote: string[] = [];
  const download: string[] = [];
  const deleteLocal: string[] = [];
  const conflicts: string[] = [];
  for (const path of [...all].sort()) {
    const localChanged = differs(base, local, path);
    const remoteChanged = differs(base, remote, path);
    if (localChanged && remoteChanged) {
      if (differs(local, remote, path)) conflicts.push(path);
    } else if (localChanged) {
      (has(local, path) ? upload : deleteRemote).push(path);
    } else if (remoteChanged) {
      (has(remote, path) ? download : deleteLocal).push(path);
    }
  }
  return { upload, deleteRemote, download, deleteLocal, conflicts };
}
