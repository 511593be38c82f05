// The API report: one `api/<entry>.api.md` per entry point in package.json's `exports`, written by
// @microsoft/api-extractor from the built declarations (`npm run build` first). `--check` (CI)
// fails when the public surface differs from the committed reports or a TSDoc comment is malformed;
// without it the reports are rewritten, to be reviewed and committed with the change.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const packageJsonFullPath = join(root, "package.json");
const pkg = JSON.parse(readFileSync(packageJsonFullPath, "utf8"));
const check = process.argv.includes("--check");

let failed = false;
for (const [entry, conditions] of Object.entries(pkg.exports)) {
  if (typeof conditions !== "object" || !conditions.types) continue;
  const name = entry === "." ? "runtime" : `runtime.${entry.slice(2).replaceAll("/", ".")}`;
  const config = ExtractorConfig.prepare({
    configObjectFullPath: join(root, "api-extractor.json"),
    packageJsonFullPath,
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: join(root, conditions.types),
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: "ES2023",
            lib: ["ES2023"],
            module: "NodeNext",
            moduleResolution: "NodeNext",
            allowImportingTsExtensions: true,
            strict: true,
            skipLibCheck: true,
            noEmit: true,
            types: ["node"],
          },
          include: [join(root, "dist")],
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: join(root, "api"),
        // Outside dist/, which the package ships.
        reportTempFolder: join(tmpdir(), "aios-api-report"),
        reportFileName: name,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        extractorMessageReporting: {
          default: { logLevel: "warning", addToApiReportFile: false },
          "ae-missing-release-tag": { logLevel: "none" },
          // A type the surface uses but no entry exports (a zod schema behind `z.infer`, another
          // room's type seen from a subpath entry): recorded in the report, so review sees it.
          "ae-forgotten-export": { logLevel: "none", addToApiReportFile: true },
          // A subpath entry is one room: a {@link} to another room's export (InvalidArgumentError from
          // the root) cannot resolve there; the root report, which has every export, checks links.
          "ae-unresolved-link": { logLevel: entry === "." ? "warning" : "none", addToApiReportFile: false },
          // Undocumented exports are checked by typedoc (`npm run docs:check`), per declaration.
          "ae-undocumented": { logLevel: "none", addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: "warning" } },
      },
    },
  });
  const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false });
  const problems = result.errorCount + result.warningCount;
  console.log(
    `api: ${entry} -> api/${name}.api.md: ${result.apiReportChanged ? "CHANGED" : "unchanged"}, ${problems} problem(s)`,
  );
  // Updating, a changed or new report is the point (api-extractor warns about it); checking, it is
  // the failure, as is any other message (a malformed TSDoc comment).
  if (!result.succeeded || (check && (problems > 0 || result.apiReportChanged))) failed = true;
}
if (failed) {
  console.error(
    check
      ? "api: the public API differs from runtime/api/*.api.md or has problems above; run `npm run api:update`, review and commit the reports"
      : "api: fix the problems above",
  );
  process.exit(1);
}
