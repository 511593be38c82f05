import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FileEntry, Manifest } from "../manifest.ts";
import { LocalTree } from "./local-tree.ts";
import { planPull, planPush, planTwoWay, type SyncPlan } from "./plan.ts";

/**
 * Properties of sync plans, for every local, remote and base state: a two-way plan never deletes
 * or overwrites a file that changed on the side it acts on, both sides agree afterwards on every
 * path but the conflicts, no plan names a path outside its inputs (so none outside the directory),
 * and the plan depends only on the states, not on the order their files were listed in.
 */

// Few paths and hashes, so the same path often differs, matches or is missing across states.
// Names of Object.prototype members are in: a manifest without `constructor` does not hold it.
const path = fc.constantFrom("a", "b.txt", "c/d", "c/e", "f/g/h", "constructor", "toString", "caf\u00e9");
const entry = fc.constantFrom<FileEntry>(
  ...["1", "2", "3"].map((n) => ({ sha256: n.repeat(64), size: Number(n) })),
);
const manifest = fc.dictionary(path, entry, { maxKeys: 8 });

const hash = (m: Manifest, p: string) => (Object.hasOwn(m, p) ? m[p]?.sha256 : undefined);
const changed = (from: Manifest, to: Manifest, p: string) => hash(from, p) !== hash(to, p);
const shuffled = (m: Manifest, seed: number): Manifest =>
  Object.fromEntries(
    Object.entries(m)
      .map((e, i) => [e, (i * 7919 + seed) % 97] as const)
      .sort((x, y) => x[1] - y[1])
      .map(([e]) => e),
  );

/** The two sides after the plan ran (conflicts left as they were). */
function apply(plan: SyncPlan, local: Manifest, remote: Manifest) {
  const l: Record<string, FileEntry> = { ...local };
  const r: Record<string, FileEntry> = { ...remote };
  for (const p of plan.upload) r[p] = local[p] as FileEntry;
  for (const p of plan.download) l[p] = remote[p] as FileEntry;
  for (const p of plan.deleteRemote) delete r[p];
  for (const p of plan.deleteLocal) delete l[p];
  return { l, r };
}

const everyPath = (plan: SyncPlan) => [
  ...plan.upload,
  ...plan.deleteRemote,
  ...plan.download,
  ...plan.deleteLocal,
  ...plan.conflicts,
];
const tree = new LocalTree("/srv/target");

describe("two-way sync plans, for all base, local and remote states", () => {
  it("never deletes or overwrites, on either side, a file that changed on that side since the base", () => {
    fc.assert(
      fc.property(manifest, manifest, manifest, (base, local, remote) => {
        const plan = planTwoWay(base, local, remote);
        for (const p of [...plan.deleteLocal, ...plan.download]) expect(changed(base, local, p)).toBe(false);
        for (const p of [...plan.deleteRemote, ...plan.upload]) expect(changed(base, remote, p)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it("leaves both sides equal on every path but the conflicts, which are exactly the paths changed on both sides differently", () => {
    fc.assert(
      fc.property(manifest, manifest, manifest, (base, local, remote) => {
        const plan = planTwoWay(base, local, remote);
        const { l, r } = apply(plan, local, remote);
        const paths = new Set([...Object.keys(base), ...Object.keys(local), ...Object.keys(remote)]);
        for (const p of paths) {
          const conflict = changed(base, local, p) && changed(base, remote, p) && changed(local, remote, p);
          expect(plan.conflicts.includes(p)).toBe(conflict);
          if (!conflict) expect(hash(l, p)).toBe(hash(r, p));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("names only paths of its inputs, each once, each inside the target directory", () => {
    fc.assert(
      fc.property(manifest, manifest, manifest, (base, local, remote) => {
        const named = everyPath(planTwoWay(base, local, remote));
        const inputs = new Set([...Object.keys(base), ...Object.keys(local), ...Object.keys(remote)]);
        expect(new Set(named).size).toBe(named.length);
        for (const p of named) {
          expect(inputs.has(p)).toBe(true);
          expect(tree.resolve(p).startsWith("/srv/target/")).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("is deterministic: the same states listed in any order give the same plan, every list sorted", () => {
    fc.assert(
      fc.property(manifest, manifest, manifest, fc.nat(), (base, local, remote, seed) => {
        const plan = planTwoWay(base, local, remote);
        expect(
          planTwoWay(shuffled(base, seed), shuffled(local, seed + 1), shuffled(remote, seed + 2)),
        ).toEqual(plan);
        for (const list of Object.values(plan)) expect([...list]).toEqual([...list].sort());
      }),
      { numRuns: 500 },
    );
  });
});

describe("one-way sync plans, for all local and remote states", () => {
  it("a pull makes the directory equal to the workspace and never changes the workspace; a push the reverse", () => {
    fc.assert(
      fc.property(manifest, manifest, fc.nat(), (local, remote, seed) => {
        const pull = planPull(local, remote);
        expect(pull).toMatchObject({ upload: [], deleteRemote: [], conflicts: [] });
        const pulled = apply(pull, local, remote);
        for (const p of new Set([...Object.keys(local), ...Object.keys(remote)]))
          expect(hash(pulled.l, p)).toBe(hash(remote, p));
        expect(planPull(shuffled(local, seed), shuffled(remote, seed + 1))).toEqual(pull);

        const push = planPush(local, remote);
        expect(push).toMatchObject({ download: [], deleteLocal: [], conflicts: [] });
        const pushed = apply(push, local, remote);
        for (const p of new Set([...Object.keys(local), ...Object.keys(remote)]))
          expect(hash(pushed.r, p)).toBe(hash(local, p));
        expect(planPush(shuffled(local, seed), shuffled(remote, seed + 1))).toEqual(push);
      }),
      { numRuns: 500 },
    );
  });
});
