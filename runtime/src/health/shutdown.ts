import { InvalidArgumentError } from "../errors.ts";
import { createLogger, type Logger } from "../logging.ts";

/** The order resources stop in: nothing new is taken before anything is flushed or closed. */
export const SHUTDOWN_PHASES = ["consumers", "publishers", "connections", "servers"] as const;
/** One of {@link SHUTDOWN_PHASES}. */
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

/** A step of a phase: given how long it may take (ms) and a signal aborted when the whole budget is spent. */
export type ShutdownStep = (budget: {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}) => Promise<void> | void;

/** Options of {@link createShutdown}. */
export interface ShutdownOptions {
  /** Fails readiness first (a {@link Health} or a HealthServer). */
  readonly health?:
    | {
        /** Fails readiness from now on ({@link Health}). */
        markShuttingDown(): void;
      }
    | {
        /** Fails readiness from now on (a HealthServer). */
        markNotReady(): void;
      };
  /** Between failing readiness and stopping anything, so load balancers notice. Default 5000 ms. */
  readonly drainDelayMs?: number;
  /** The whole sequence, delay included; past it the process exits with `forcedExitCode`. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** Kept back from consumers' and publishers' grace, for the phases after them. Default min(5 s, 20 % of timeoutMs). */
  readonly reserveMs?: number;
  /** Signals that start the shutdown (a second one forces the exit). Default SIGTERM and SIGINT; `false` none. */
  readonly signals?: readonly NodeJS.Signals[] | false;
  /** How the process ends. Default `process.exit`; `false` leaves the process running (tests, embedding). */
  readonly exit?: ((code: number) => void) | false;
  /** Default 1. */
  readonly forcedExitCode?: number;
  readonly logger?: Logger;
}

/** What a shutdown did. */
export interface ShutdownOutcome {
  readonly reason: string;
  /** The budget ran out (or a second signal came) before every step finished. */
  readonly forced: boolean;
  /** Steps that threw, by name, with their error message. */
  readonly failures: readonly { readonly step: string; readonly error: string }[];
  /** 0 after a clean shutdown, 1 when a step failed, `forcedExitCode` when forced. */
  readonly exitCode: number;
}

interface Step {
  readonly phase: ShutdownPhase;
  readonly name: string;
  readonly run: ShutdownStep;
}

/**
 * Graceful shutdown of a process: readiness fails first, a delay lets load balancers notice,
 * consumers stop taking messages and finish (or requeue) the ones they hold, publishers wait for
 * their confirms, connections close, servers close last; a forced exit bounds it all.
 *
 * @example
 * ```ts
 * const shutdown = createShutdown({ health: server, drainDelayMs: 5000, timeoutMs: 30_000 })
 *   .addConsumer(consumer)
 *   .addPublisher(publisher)
 *   .addConnection(connection)
 *   .addServer(server);
 * // SIGTERM or SIGINT now runs the sequence and exits 0 (or non-zero when forced).
 * ```
 */
export interface Shutdown {
  /** Stops taking messages and waits for handlers (their messages are requeued if the grace runs out). */
  addConsumer(consumer: { stop(options?: { timeoutMs?: number }): Promise<void> }, name?: string): this;
  /** Waits for outstanding confirms, then closes. */
  addPublisher(publisher: { close(options?: { timeoutMs?: number }): Promise<void> }, name?: string): this;
  /** Closes a broker connection, after the consumers and publishers have stopped. */
  addConnection(connection: { close(): Promise<void> }, name?: string): this;
  /** Closes an HTTP server, in the last phase (probes keep answering while the rest drains). */
  addServer(server: { close(): Promise<void> }, name?: string): this;
  /** Any step, in a phase; steps of one phase run at once, phases one after the other. */
  onShutdown(phase: ShutdownPhase, name: string, step: ShutdownStep): this;
  /** Starts the sequence (what a signal does); later calls return the same outcome. */
  run(reason?: string): Promise<ShutdownOutcome>;
  readonly shuttingDown: boolean;
  /** Removes the signal listeners. */
  dispose(): void;
}

/**
 * Creates the process' shutdown sequence and listens for its signals.
 * @throws InvalidArgumentError for a negative or non-finite delay or timeout.
 */
export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  const drainDelayMs = options.drainDelayMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  for (const [name, value] of [
    ["drainDelayMs", drainDelayMs],
    ["timeoutMs", timeoutMs],
  ] as const) {
    if (!(Number.isFinite(value) && value >= 0))
      throw new InvalidArgumentError(
        `createShutdown ${name}`,
        `must be a finite number >= 0, got ${String(value)}`,
      );
  }
  const reserveMs = options.reserveMs ?? Math.min(5000, timeoutMs * 0.2);
  const forcedExitCode = options.forcedExitCode ?? 1;
  const exit = options.exit === false ? undefined : (options.exit ?? ((code: number) => process.exit(code)));
  const logger = options.logger ?? createLogger({ name: "aios.shutdown" });
  const steps: Step[] = [];
  let running: Promise<ShutdownOutcome> | undefined;
  let force: ((reason: string) => void) | undefined;

  const signals = options.signals === false ? [] : (options.signals ?? ["SIGTERM", "SIGINT"]);
  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      logger.warn({ signal }, "second signal during shutdown: forcing the exit");
      force?.(`second ${signal}`);
      return;
    }
    void shutdown.run(signal);
  };
  for (const signal of signals) process.on(signal, onSignal);

  const add = (phase: ShutdownPhase, name: string, run: ShutdownStep) => {
    steps.push({ phase, name, run });
    return shutdown;
  };
  let count = 0;
  const nameOf = (kind: string, name?: string) => name ?? `${kind}-${++count}`;

  async function sequence(reason: string, deadline: number, abort: AbortSignal): Promise<ShutdownOutcome> {
    const failures: { step: string; error: string }[] = [];
    logger.info({ reason, drainDelayMs, timeoutMs }, "shutting down: readiness fails from now on");
    const health = options.health;
    if (health) {
      if ("markShuttingDown" in health) health.markShuttingDown();
      else health.markNotReady();
    }
    if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
    for (const phase of SHUTDOWN_PHASES) {
      const ofPhase = steps.filter((step) => step.phase === phase);
      if (ofPhase.length === 0) continue;
      const keep = phase === "consumers" || phase === "publishers" ? reserveMs : 0;
      const budget = { timeoutMs: Math.max(0, deadline - Date.now() - keep), signal: abort };
      logger.info(
        { phase, steps: ofPhase.map((step) => step.name), timeoutMs: budget.timeoutMs },
        "stopping",
      );
      await Promise.all(
        ofPhase.map(async (step) => {
          try {
            await step.run(budget);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            failures.push({ step: step.name, error: message });
            logger.error({ step: step.name, err: message }, "a shutdown step failed");
          }
        }),
      );
    }
    const exitCode = failures.length > 0 ? 1 : 0;
    logger.info({ reason, exitCode }, "shut down");
    return { reason, forced: false, failures, exitCode };
  }

  const shutdown: Shutdown = {
    addConsumer: (consumer, name) =>
      add("consumers", nameOf("consumer", name), ({ timeoutMs: grace }) =>
        consumer.stop({ timeoutMs: grace }),
      ),
    addPublisher: (publisher, name) =>
      add("publishers", nameOf("publisher", name), ({ timeoutMs: grace }) =>
        publisher.close({ timeoutMs: grace }),
      ),
    addConnection: (connection, name) =>
      add("connections", nameOf("connection", name), () => connection.close()),
    addServer: (server, name) => add("servers", nameOf("server", name), () => server.close()),
    onShutdown: (phase, name, step) => add(phase, name, step),
    get shuttingDown() {
      return running !== undefined;
    },
    run(reason = "requested") {
      running ??= (async () => {
        const deadline = Date.now() + timeoutMs;
        const abort = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<ShutdownOutcome>((resolve) => {
          force = (why) => {
            abort.abort(new Error(`shutdown forced: ${why}`));
            logger.error({ reason, why, timeoutMs }, "shutdown forced before every step finished");
            resolve({
              reason,
              forced: true,
              failures: [{ step: "shutdown", error: why }],
              exitCode: forcedExitCode,
            });
          };
          timer = setTimeout(() => force?.(`did not finish within ${timeoutMs} ms`), timeoutMs);
          // Embedded (exit: false), the timer must not keep the process alive by itself.
          if (!exit) timer.unref();
        });
        const outcome = await Promise.race([sequence(reason, deadline, abort.signal), forced]);
        clearTimeout(timer);
        shutdown.dispose();
        exit?.(outcome.exitCode);
        return outcome;
      })();
      return running;
    },
    dispose() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
  return shutdown;
}
