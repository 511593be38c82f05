import { createHash } from "node:crypto";

/** One file of a workspace commit: its content hash and size (and where its bytes are stored). */
export interface FileEntry {
  readonly sha256: string;
  readonly size: number;
  /** Set when the content sits in a pack (see packs.ts): the pack's id… */
  readonly pack?: string;
  /** …and where the content starts in it. */
  readonly offset?: number;
}

/** Path → content. Sorted keys, so equal manifests serialize (and hash) equally. */
export type Manifest = Readonly<Record<string, FileEntry>>;

/** A workspace commit: its parent, the manifest it points to, author, message and time. */
export interface Commit {
  readonly parent: string | null;
  readonly manifest: string;
  readonly author: string;
  readonly message: string;
  readonly time: string;
}

/** Files to write (path to entry) and paths to delete in one commit. */
export interface Changes {
  readonly put?: Readonly<Record<string, FileEntry>>;
  readonly delete?: readonly string[];
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function serialize(value: Manifest | Commit): string {
  if ("manifest" in value && "parent" in value) return JSON.stringify(value);
  return JSON.stringify(
    Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

export function applyChanges(base: Manifest, changes: Changes): Manifest {
  const next: Record<string, FileEntry> = { ...base };
  for (const path of changes.delete ?? []) delete next[path];
  for (const [path, entry] of Object.entries(changes.put ?? {})) next[path] = entry;
  return next;
}

/** Paths whose content differs between two manifests (added, changed or removed). */
export function changedPaths(from: Manifest, to: Manifest): Set<string> {
  const changed = new Set<string>();
  for (const path of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (from[path]?.sha256 !== to[path]?.sha256) changed.add(path);
  }
  return changed;
}

export function pathsOf(changes: Changes): Set<string> {
  return new Set([...Object.keys(changes.put ?? {}), ...(changes.delete ?? [])]);
}

/** `notes/plan.md` → `notes/plan.conflict-1a2b3c4d.md` */
export function conflictCopyPath(path: string, commit: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  const tag = `conflict-${commit.slice(0, 8)}`;
  return dot > slash + 1 ? `${path.slice(0, dot)}.${tag}${path.slice(dot)}` : `${path}.${tag}`;
}
