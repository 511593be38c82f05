import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// A room (a folder of runtime/src) is entered through its index.ts (the public entry) or its
// internal.ts (what the runtime's other rooms need beyond it). Tests and the testing helpers may
// reach further: they are not part of the shipped rooms.

const SRC = new URL(".", import.meta.url).pathname;
const ENTRIES = new Set(["index.ts", "internal.ts"]);

/** The cross-room imports of one module that skip the target room's entries. */
export function strayImports(file: string, source: string): string[] {
  const room = file.split("/")[0];
  const stray: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)[^;]*?from "(\.{1,2}\/[^"]+)"/gms)) {
    const target = join(file, "..", match[1]!);
    const [targetRoom, ...rest] = target.split("/");
    if (rest.length === 0 || targetRoom === room) continue; // a top-level module, or the same room
    if (rest.length === 1 && ENTRIES.has(rest[0]!)) continue;
    stray.push(`${file} imports ${target}`);
  }
  return stray;
}

async function shippedModules(): Promise<string[]> {
  const entries = await readdir(SRC, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => relative(SRC, join(entry.parentPath, entry.name)))
    .filter((file) => file.includes("/") && !file.startsWith("testing/"));
}

describe("rooms are entered through their index.ts or internal.ts", () => {
  it("holds for every shipped module of runtime/src", async () => {
    const modules = await shippedModules();
    expect(modules.length).toBeGreaterThan(50);
    const stray = (
      await Promise.all(
        modules.map(async (file) => strayImports(file, await readFile(join(SRC, file), "utf8"))),
      )
    ).flat();
    expect(stray).toEqual([]);
  });

  it("flags an import of another room's module, and only that", () => {
    const source = [
      'import { a } from "../../health/environment.ts";',
      'import { b } from "../../health/internal.ts";',
      'import type { c } from "../status/collect.ts";',
      'import { d } from "../../env.ts";',
      'export { e } from "../../storage/index.ts";',
    ].join("\n");
    expect(strayImports("cli/commands/health.ts", source)).toEqual([
      "cli/commands/health.ts imports health/environment.ts",
    ]);
  });
});
