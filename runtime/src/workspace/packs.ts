/**
 * Small files travel in packs: many files concatenated into one immutable object, each manifest
 * entry naming its pack and offset (as git packfiles and restic do). A push of thousands of small
 * files then costs a few dozen requests instead of thousands, and an object store charges (in
 * time and in money) per request far more than per byte at these sizes. Large files stay single
 * objects, uploaded in parallel parts.
 */

import type { FileEntry, Manifest } from "./manifest.ts";

/** Files up to this size go into packs; larger ones are objects of their own. */
export const PACK_FILE_MAX_BYTES = 256 * 1024;
/** A pack never grows past this (unless one file alone is larger, which PACK_FILE_MAX_BYTES forbids). */
export const PACK_MAX_BYTES = 4 * 1024 * 1024;
/** Packs smaller than this are not worth splitting further for parallelism. */
const PACK_MIN_BYTES = 64 * 1024;

export interface Sized {
  readonly size: number;
}

/**
 * Splits `items` into packs: as many as `parallelism` when there is enough to share (so uploads
 * run side by side), each at most PACK_MAX_BYTES, in the order given (a folder's files stay
 * together, which keeps a later pull of that folder to few range reads).
 */
export function groupIntoPacks<T extends Sized>(items: readonly T[], parallelism: number): T[][] {
  const total = items.reduce((sum, item) => sum + item.size, 0);
  const target = Math.min(
    PACK_MAX_BYTES,
    Math.max(PACK_MIN_BYTES, Math.ceil(total / Math.max(1, parallelism))),
  );
  const packs: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && bytes + item.size > target) {
      packs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) packs.push(current);
  return packs;
}

export interface UploadPlan<T> {
  /** Content the workspace already holds: referenced again, not uploaded. */
  readonly reused: readonly (readonly [T, FileEntry])[];
  /** Small files, grouped into packs. */
  readonly packs: readonly T[][];
  /** Large files, each an object of its own. */
  readonly alone: readonly T[];
}

/** How a commit stores what it puts: reuse what `existing` holds, pack small files, large ones alone. */
export function planUploads<T extends { readonly sha256: string; readonly size: number }>(
  items: readonly T[],
  existing: Manifest,
  parallelism: number,
): UploadPlan<T> {
  const known = new Map(Object.values(existing).map((entry) => [entry.sha256, entry]));
  const reused: (readonly [T, FileEntry])[] = [];
  const small: T[] = [];
  const alone: T[] = [];
  for (const item of items) {
    const entry = known.get(item.sha256);
    if (entry) reused.push([item, entry]);
    else if (item.size <= PACK_FILE_MAX_BYTES) small.push(item);
    else alone.push(item);
  }
  return { reused, packs: groupIntoPacks(small, parallelism), alone };
}

/** The pack's bytes and where each distinct content starts in it (same content stored once). */
export function encodePack(contents: readonly { readonly sha256: string; readonly body: Buffer }[]): {
  readonly body: Buffer;
  readonly offsets: ReadonlyMap<string, number>;
} {
  const offsets = new Map<string, number>();
  const parts: Buffer[] = [];
  let offset = 0;
  for (const { sha256, body } of contents) {
    if (offsets.has(sha256)) continue;
    offsets.set(sha256, offset);
    parts.push(body);
    offset += body.length;
  }
  return { body: Buffer.concat(parts, offset), offsets };
}

/**
 * The byte range of `pack` that covers all of `entries` (offsets into it), for reading several
 * files of one pack with a single request.
 */
export function coveringRange(entries: readonly { readonly offset: number; readonly size: number }[]): {
  readonly offset: number;
  readonly length: number;
} {
  const start = Math.min(...entries.map((e) => e.offset));
  const end = Math.max(...entries.map((e) => e.offset + e.size));
  return { offset: start, length: end - start };
}
