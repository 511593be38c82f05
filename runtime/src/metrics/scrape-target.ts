import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Where and under which name {@link registerScrapeTarget} announces a metrics endpoint to Prometheus.
 */
export interface ScrapeTargetOptions {
  /** Prometheus' file_sd directory (AIOS_PROMETHEUS_TARGETS_DIR from scripts/services.sh env). */
  readonly dir: string;
  /** File name stem, unique per process, e.g. `planner-12345`. */
  readonly name: string;
  /** host:port of the /metrics endpoint. */
  readonly target: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Registers a /metrics endpoint with the local Prometheus through file-based service discovery.
 * Written to a temporary file and renamed, so Prometheus never reads half a file. Returns a
 * function that removes the registration.
 */
export async function registerScrapeTarget(options: ScrapeTargetOptions): Promise<() => Promise<void>> {
  await mkdir(options.dir, { recursive: true });
  const file = join(options.dir, `${options.name}.json`);
  const temporary = join(options.dir, `.${options.name}.${randomUUID()}.tmp`);
  await writeFile(
    temporary,
    JSON.stringify([{ targets: [options.target], labels: { ...options.labels } }], null, 2),
  );
  await rename(temporary, file);
  return () => rm(file, { force: true });
}
