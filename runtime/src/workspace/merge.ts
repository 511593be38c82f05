import { ConflictError } from "./errors.ts";
import {
  applyChanges,
  type Changes,
  changedPaths,
  conflictCopyPath,
  type Manifest,
  pathsOf,
} from "./manifest.ts";

/**
 * What a commit or sync does when both sides changed the same path: `fail` with
 * {@link ConflictError}, keep `ours` or `theirs`, or `keep-both` (theirs under a conflict-copy name).
 */
export type ConflictStrategy = "fail" | "ours" | "theirs" | "keep-both";

export interface MergeResult {
  readonly manifest: Manifest;
  /** Paths both sides changed; empty when the merge was automatic. */
  readonly conflicts: readonly string[];
}

/**
 * Rebases `ours` (changes made on `base`) onto `head`. Paths changed on one side only merge by
 * themselves; paths changed on both sides follow the strategy.
 */
export function mergeChanges(options: {
  readonly workspace: string;
  readonly base: Manifest;
  readonly head: Manifest;
  readonly headCommit: string;
  readonly ours: Changes;
  readonly ourCommitHint: string;
  readonly strategy: ConflictStrategy;
}): MergeResult {
  const theirs = changedPaths(options.base, options.head);
  const ourPaths = pathsOf(options.ours);
  // A path both sides set to the same content is not a conflict.
  const conflicts = [...ourPaths]
    .filter((path) => theirs.has(path) && options.ours.put?.[path]?.sha256 !== options.head[path]?.sha256)
    .sort();
  if (conflicts.length === 0) return { manifest: applyChanges(options.head, options.ours), conflicts };
  switch (options.strategy) {
    case "fail":
      throw new ConflictError(options.workspace, conflicts, options.headCommit);
    case "ours":
      return { manifest: applyChanges(options.head, options.ours), conflicts };
    case "theirs": {
      const keep = new Set(conflicts);
      const put = Object.fromEntries(
        Object.entries(options.ours.put ?? {}).filter(([path]) => !keep.has(path)),
      );
      const remove = (options.ours.delete ?? []).filter((path) => !keep.has(path));
      return { manifest: applyChanges(options.head, { put, delete: remove }), conflicts };
    }
    case "keep-both": {
      const keep = new Set(conflicts);
      const put: Record<string, Manifest[string] & object> = {};
      for (const [path, entry] of Object.entries(options.ours.put ?? {})) {
        put[keep.has(path) ? conflictCopyPath(path, options.ourCommitHint) : path] = entry;
      }
      // Their version stays; our deletion of a file they changed is dropped.
      const remove = (options.ours.delete ?? []).filter((path) => !keep.has(path));
      return { manifest: applyChanges(options.head, { put, delete: remove }), conflicts };
    }
  }
}
