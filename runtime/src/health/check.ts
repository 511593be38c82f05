/**
 * The process's health: `ok`; `degraded` (a non-critical check failed); `down` (a critical one did).
 */
export type HealthStatus = "ok" | "degraded" | "down";

/** One dependency to probe (the broker, S3, an HTTP service), by name. */
export interface HealthCheck {
  readonly name: string;
  /** A failing critical check makes the process not ready ("down"); others make it "degraded". Default true. */
  readonly critical?: boolean;
  /** Default 2 s: a hung dependency must not hang the probe. */
  readonly timeoutMs?: number;
  /**
   * Probes the dependency: resolve (optionally with details to report) when healthy, throw when
   * not. Abandon the work when `signal` aborts (the check's timeout).
   */
  check(signal: AbortSignal): Promise<Readonly<Record<string, unknown>> | void>;
}

/** The outcome of one check: passed or failed, how long it took, the error, and its details. */
export interface CheckResult {
  readonly status: "ok" | "failed";
  readonly critical: boolean;
  readonly durationMs: number;
  readonly error?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The folded status and every check's result, as `/health` serves them. */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** Runs every check at once, each under its own timeout, and folds them into one status. */
export async function runHealthChecks(checks: readonly HealthCheck[]): Promise<HealthReport> {
  const results = await Promise.all(checks.map(async (check) => [check.name, await runOne(check)] as const));
  const failed = results.filter(([, result]) => result.status === "failed");
  const status: HealthStatus = failed.some(([, r]) => r.critical)
    ? "down"
    : failed.length > 0
      ? "degraded"
      : "ok";
  return { status, checks: Object.fromEntries(results) };
}

async function runOne(check: HealthCheck): Promise<CheckResult> {
  const critical = check.critical ?? true;
  const timeoutMs = check.timeoutMs ?? 2000;
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      check.check(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
    return {
      status: "ok",
      critical,
      durationMs: Math.round(performance.now() - started),
      ...(details ? { details } : {}),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: "failed",
      critical,
      durationMs: Math.round(performance.now() - started),
      error: message,
    };
  } finally {
    clearTimeout(timer);
  }
}
