import { HealthCheckTimeoutError, InvalidHealthCheckError } from "./errors.ts";

/** The three statuses of the health+json draft: `warn` is healthy with a concern, `fail` is unhealthy. */
export type HealthStatus = "pass" | "warn" | "fail";

/** What a check may report besides "it returned": a value, its unit, a `warn`, a note. */
export interface Observation {
  readonly observedValue?: unknown;
  readonly observedUnit?: string;
  /** A check that answered but is worried (e.g. the broker blocks publishers) reports `warn`. */
  readonly status?: "pass" | "warn";
  readonly output?: string;
}

/**
 * One dependency check. It throws (or rejects) to fail; it returns to pass, optionally with an
 * {@link Observation}. Without one, the observed value is the check's response time in ms.
 */
export interface HealthCheck {
  /** Unique within a process: the entry's `componentId` and the gauge's `check` label. */
  readonly name: string;
  /** What is checked, e.g. `rabbitmq`, `s3`: the first half of the `component:measurement` key. */
  readonly component: string;
  /** The second half of the key. Default `responseTime`. */
  readonly measurement?: string;
  /** The draft's `componentType`: `datastore`, `component`, `system`… Default `component`. */
  readonly componentType?: string;
  /** A failing critical check fails readiness; a failing non-critical one only makes it `warn`. Default true. */
  readonly critical?: boolean;
  /** A check still running after this fails with "timed out after N ms" and its signal is aborted. Default 2000. */
  readonly timeoutMs?: number;
  /** A result is reused for this long, so a probe storm costs one run per window. Default 1000; 0 never reuses. */
  readonly cacheMs?: number;
  /**
   * Probes the dependency: resolve (optionally with an observed value) when healthy, throw when
   * not. Stop work when `signal` aborts (the timeout ran out).
   */
  check(signal: AbortSignal): Promise<Observation | void>;
}

/** The outcome of one run of a check, as one entry of the health+json `checks` object. */
export interface CheckResult {
  readonly name: string;
  readonly component: string;
  readonly measurement: string;
  readonly componentType: string;
  readonly critical: boolean;
  readonly status: HealthStatus;
  readonly observedValue: unknown;
  readonly observedUnit: string;
  /** ISO 8601: when this result was observed (a cached result keeps its time). */
  readonly time: string;
  readonly output?: string;
  readonly durationMs: number;
}

/** A check's timeout unless it sets one. */
export const DEFAULT_TIMEOUT_MS = 2000;
/** How long a check's result is reused unless it says otherwise. */
export const DEFAULT_CACHE_MS = 1000;

/** Rejects a definition that cannot work, with the check's name in the error. */
export function validateCheck(check: HealthCheck): void {
  const name = typeof check.name === "string" && check.name !== "" ? check.name : "<unnamed>";
  if (name === "<unnamed>") throw new InvalidHealthCheckError(name, "needs a non-empty name");
  if (typeof check.component !== "string" || check.component === "")
    throw new InvalidHealthCheckError(name, "needs a non-empty component (e.g. 'rabbitmq')");
  if (/[:]/.test(check.component) || /[:]/.test(check.measurement ?? ""))
    throw new InvalidHealthCheckError(name, "component and measurement may not contain ':' (it joins them)");
  for (const [option, value] of [
    ["timeoutMs", check.timeoutMs],
    ["cacheMs", check.cacheMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw new InvalidHealthCheckError(name, `${option} must be a finite number >= 0, got ${String(value)}`);
  }
  if (typeof check.check !== "function") throw new InvalidHealthCheckError(name, "check must be a function");
}

/**
 * Runs one check with single flight, a cache and a timeout: callers that arrive while a run is
 * under way share it, and its result is reused for `cacheMs`, so N concurrent probes cost one
 * run of the dependency check.
 */
export class CheckRunner {
  readonly check: HealthCheck;
  readonly #onResult: ((result: CheckResult) => void) | undefined;
  #cached: { readonly result: CheckResult; readonly at: number } | undefined;
  #inFlight: Promise<CheckResult> | undefined;

  /** @throws InvalidHealthCheckError when the definition cannot work. */
  constructor(check: HealthCheck, onResult?: (result: CheckResult) => void) {
    validateCheck(check);
    this.check = check;
    this.#onResult = onResult;
  }

  /** The fresh cached result, the run under way, or a new run. Never rejects. */
  run(): Promise<CheckResult> {
    const cached = this.#cached;
    if (cached && performance.now() - cached.at < (this.check.cacheMs ?? DEFAULT_CACHE_MS)) {
      return Promise.resolve(cached.result);
    }
    this.#inFlight ??= this.#execute().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #execute(): Promise<CheckResult> {
    const check = this.check;
    const timeoutMs = check.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const controller = new AbortController();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let status: HealthStatus;
    let observation: Observation | void = undefined;
    let output: string | undefined;
    try {
      const running = check.check(controller.signal);
      // A check that ignores its signal may still settle later; nobody waits for it.
      running.catch(() => {});
      observation = await Promise.race([
        running,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new HealthCheckTimeoutError(check.name, timeoutMs);
            controller.abort(error);
            reject(error);
          }, timeoutMs);
        }),
      ]);
      status = observation?.status ?? "pass";
      output = observation?.output;
    } catch (error) {
      status = "fail";
      output = error instanceof Error ? error.message || error.name : String(error);
    } finally {
      clearTimeout(timer);
    }
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    const hasValue = observation !== undefined && observation.observedValue !== undefined;
    const result: CheckResult = {
      name: check.name,
      component: check.component,
      measurement: check.measurement ?? "responseTime",
      componentType: check.componentType ?? "component",
      critical: check.critical ?? true,
      status,
      observedValue: hasValue ? observation!.observedValue : durationMs,
      observedUnit: hasValue ? (observation!.observedUnit ?? "") : "ms",
      time: new Date().toISOString(),
      ...(output === undefined ? {} : { output }),
      durationMs,
    };
    this.#cached = { result, at: performance.now() };
    this.#onResult?.(result);
    return result;
  }
}
