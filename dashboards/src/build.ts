// `npm run build -w @aios/dashboards`: writes dashboards/generated/<uid>.json from the builders.
// The files are committed so reviewers see dashboard changes as JSON diffs; a test fails when
// they are stale.
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dashboardFiles } from "./index.ts";

const generatedDir = fileURLToPath(new URL("../generated/", import.meta.url));
const files = dashboardFiles();
await mkdir(generatedDir, { recursive: true });
for (const existing of await readdir(generatedDir)) {
  if (existing.endsWith(".json") && !(existing in files)) await rm(join(generatedDir, existing));
}
for (const [name, content] of Object.entries(files)) await writeFile(join(generatedDir, name), content);
console.log(`dashboards: wrote ${Object.keys(files).length} files to ${generatedDir}`);
