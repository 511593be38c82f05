// `npm run observability -w @aios/infra`: writes observability/prometheus/prometheus.yml and
// retention.flags from config/observability.yaml. The files are committed (scripts/services.sh
// reads them); a test fails when they are stale.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repositoryPath } from "../config.ts";
import { localPrometheusFiles } from "./local-prometheus.ts";
import { loadObservabilitySettings } from "./settings.ts";

const settings = await loadObservabilitySettings(repositoryPath("config/observability.yaml"));
const dir = repositoryPath("observability/prometheus");
for (const [name, content] of Object.entries(localPrometheusFiles(settings))) {
  await writeFile(join(dir, name), content);
  console.log(`observability: wrote ${join(dir, name)}`);
}
