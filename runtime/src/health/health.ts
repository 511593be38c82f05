import type { Registry } from "prom-client";
import { type CheckResult, CheckRunner, type HealthCheck } from "./check.ts";
import { InvalidHealthCheckError } from "./errors.ts";
import { type HealthDocument, healthDocument, type ServiceDescription } from "./format.ts";
import { healthCheckStatusGauge, recordCheckResult } from "./metrics.ts";

/** Options of {@link Health}. */
export interface HealthOptions extends ServiceDescription {
  readonly checks?: readonly HealthCheck[];
  /**
   * Where `aios_health_check_status` is recorded. Default: the process registry (prom-client's
   * global one); `false` records nothing.
   */
  readonly registry?: Registry | false;
  /**
   * `checks` (default): startup passes once every critical check has passed once.
   * `manual`: it also waits for {@link Health.markStarted} (e.g. after caches are warm).
   */
  readonly startup?: "checks" | "manual";
}

/**
 * The health of one process: its dependency checks and the three probes built on them.
 * Liveness never runs a check (a dead dependency is no reason to restart this process);
 * readiness runs every check (cached, single flight) and fails while shutting down; startup
 * runs them until they pass once, then stays passed.
 *
 * @example
 * ```ts
 * const health = new Health({ checks: [rabbitmqCheck(connection), s3BucketCheck(store, "artifacts")] });
 * const server = await startHealthServer({ health, port: 9464 });
 * // later, in a shutdown hook:
 * health.markShuttingDown(); // /health/ready answers 503 from now on
 * ```
 */
export class Health {
  readonly #runners = new Map<string, CheckRunner>();
  readonly #options: HealthOptions;
  readonly #record: ((result: CheckResult) => void) | undefined;
  readonly #startedAt = Date.now();
  #shuttingDown = false;
  #started = false;
  #markedStarted = false;
  #lastReady:
    | {
        readonly results: readonly CheckResult[];
        readonly shuttingDown: boolean;
        readonly document: HealthDocument;
      }
    | undefined;

  /** @throws InvalidHealthCheckError for a check that cannot work or a name used twice. */
  constructor(options: HealthOptions = {}) {
    this.#options = options;
    if (options.registry !== false) {
      const gauge = healthCheckStatusGauge(options.registry);
      this.#record = (result) => recordCheckResult(gauge, result);
    }
    for (const check of options.checks ?? []) this.add(check);
  }

  /**
   * Adds a check; probes include it from now on.
   * @throws InvalidHealthCheckError when the name is taken or the definition cannot work.
   */
  add(check: HealthCheck): this {
    if (this.#runners.has(check.name))
      throw new InvalidHealthCheckError(check.name, "another check already has this name");
    this.#runners.set(check.name, new CheckRunner(check, this.#record));
    return this;
  }

  /** The checks' names, in the order they were added. */
  get checkNames(): readonly string[] {
    return [...this.#runners.keys()];
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Readiness fails from now on, whatever the checks say; load balancers stop sending work. */
  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  /** For `startup: "manual"`: the process finished starting (startup then needs the checks too). */
  markStarted(): void {
    this.#markedStarted = true;
  }

  /** Runs every check (each cached and single-flight) and returns their results. Never rejects. */
  runChecks(): Promise<CheckResult[]> {
    return Promise.all([...this.#runners.values()].map((runner) => runner.run()));
  }

  /** Liveness: the process answers. No dependency is checked. */
  live(): HealthDocument {
    return healthDocument(
      [
        {
          name: "process",
          component: "process",
          measurement: "uptime",
          componentType: "system",
          critical: true,
          status: "pass",
          observedValue: Math.round((Date.now() - this.#startedAt) / 1000),
          observedUnit: "s",
          time: new Date().toISOString(),
          durationMs: 0,
        },
      ],
      this.#options,
    );
  }

  /** Readiness: every check; `fail` when a critical one fails or the process is shutting down. */
  async ready(): Promise<HealthDocument> {
    const results = await this.runChecks();
    // While every result comes from the cache, the document is the same one: build it once.
    const last = this.#lastReady;
    if (
      last &&
      last.shuttingDown === this.#shuttingDown &&
      last.results.length === results.length &&
      last.results.every((result, i) => result === results[i])
    )
      return last.document;
    const document = this.#shuttingDown
      ? healthDocument(results, { ...this.#options, status: "fail", output: "shutting down" })
      : healthDocument(results, this.#options);
    this.#lastReady = { results, shuttingDown: this.#shuttingDown, document };
    return document;
  }

  /** Startup: `fail` until the critical checks pass once (and markStarted() for `manual`); then `pass` for good. */
  async startup(): Promise<HealthDocument> {
    if (this.#started) return healthDocument([], { ...this.#options, status: "pass" });
    const results = await this.runChecks();
    const document = healthDocument(results, this.#options);
    const waitingForMark = this.#options.startup === "manual" && !this.#markedStarted;
    if (document.status !== "fail" && !waitingForMark) {
      this.#started = true;
      return document;
    }
    return waitingForMark
      ? healthDocument(results, { ...this.#options, status: "fail", output: "still starting" })
      : document;
  }
}
