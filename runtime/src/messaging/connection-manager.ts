import { EventEmitter } from "node:events";
import type { ChannelModel } from "amqplib";
import { classifyHandshakeRefusal, connectAmqp } from "../amqp-handshake.ts";
import { createLogger, type Logger, redactUrl } from "../logging.ts";
import type { ResolvedTopology } from "../topology/index.ts";
import { type BackoffOptions, backoffDelay, sleep } from "../backoff.ts";
import {
  AuthenticationError,
  ConnectionError,
  VhostAccessRefusedError,
  VhostNotFoundError,
} from "./errors.ts";
import { declareAvailableTopology, onlyQueues, type UndeclaredQueue } from "./topology-declare.ts";

/**
 * How a {@link ConnectionManager} connects: broker URLs, heartbeat, reconnection backoff and the
 * topology to declare on every connect.
 */
export interface ConnectionManagerOptions {
  /** One URL, or several nodes of a cluster tried in turn. */
  readonly urls: readonly string[] | string;
  /** Heartbeat in seconds; a dead peer is noticed within about twice this. Default 15. */
  readonly heartbeatSeconds?: number;
  /** Declared on every (re)connect, before publishers and consumers resume. */
  readonly topology?: ResolvedTopology;
  readonly reconnect?: BackoffOptions & {
    /** Attempts (each tries every URL) before the first connection fails with ConnectionError. Default 5. */
    readonly initialAttempts?: number;
  };
  /**
   * Backoff between attempts to declare queues set aside because their cluster node is down (see
   * {@link ConnectionManager.undeclaredQueues}), on the live connection. Default 1 s doubling to 30 s.
   */
  readonly undeclaredRetry?: BackoffOptions;
  /** Shown in the management UI's connection list. */
  readonly connectionName?: string;
  readonly logger?: Logger;
}

/** The events a {@link ConnectionManager} emits, with their arguments. */
export interface ConnectionEvents {
  connected: [url: string];
  disconnected: [error: Error];
  blocked: [reason: string];
  unblocked: [];
  error: [error: Error];
  /** close() was called: nothing will connect again. */
  closed: [];
  /** connect() gave up (ConnectionError/AuthenticationError); nothing reconnects until connect() is called again. */
  failed: [error: Error];
  /**
   * Connected, but queues of the topology could not be declared because their home node is down;
   * everything else was, and they are retried. Each carries the broker's refusal.
   */
  topologyIncomplete: [undeclared: readonly UndeclaredQueue[]];
  /** Every queue that had been set aside is declared now. */
  topologyComplete: [];
}

type ConnectListener = (connection: ChannelModel) => Promise<void> | void;

/**
 * One per process. Owns the AMQP connection: connects (trying each cluster node in turn),
 * reconnects with exponential backoff and full jitter, re-declares the topology, then lets
 * publishers and consumers re-create their channels through `onConnected` listeners.
 *
 * In a cluster, a classic queue lives on one node: while that node is down the broker refuses to
 * declare it (404, "home node … is down or inaccessible"). Such a queue does not keep the
 * connection down: the rest of the topology is declared, the queue and its bindings are listed in
 * {@link ConnectionManager.undeclaredQueues} (a `topologyIncomplete` event, a warning in the log,
 * `warn` from the rabbitmq health check) and retried on the live connection and on every
 * reconnect, until `topologyComplete`.
 *
 * @throws {@link ConnectionError} from the constructor when no URL is given.
 * @example
 * ```ts
 * const topology = await loadTopologySpec("config/messaging.yaml");
 * const connection = new ConnectionManager({ urls: readEnv().AIOS_AMQP_URL, topology });
 * connection.on("disconnected", (error) => logger.warn({ err: error }, "broker connection lost"));
 * await connection.connect(); // declares the topology, then publishers and consumers attach
 * // … create Publisher / Consumer / RpcClient instances on `connection` …
 * await connection.close();
 * ```
 */
export class ConnectionManager extends EventEmitter<ConnectionEvents> {
  readonly #urls: readonly string[];
  readonly #options: ConnectionManagerOptions;
  readonly #logger: Logger;
  readonly #listeners = new Set<ConnectListener>();
  readonly #giveUpListeners = new Set<(error: Error) => void>();
  #connection: ChannelModel | undefined;
  #connecting: Promise<ChannelModel> | undefined;
  #closing = false;
  #failure: Error | undefined;
  #blocked = false;
  #unblockWaiters: (() => void)[] = [];
  #connectWaiters: (() => void)[] = [];
  #undeclared: readonly UndeclaredQueue[] = [];
  readonly #closed = new AbortController();

  constructor(options: ConnectionManagerOptions) {
    super();
    this.#urls = typeof options.urls === "string" ? [options.urls] : [...options.urls];
    if (this.#urls.length === 0) throw new ConnectionError("ConnectionManager needs at least one broker URL");
    this.#options = options;
    this.#logger = options.logger ?? createLogger({ name: "aios.messaging" });
    // Nobody may be listening for 'error'; an unhandled 'error' event would crash the process.
    this.on("error", () => {});
  }

  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /**
   * The live connection, or undefined between connections. Work bound to one connection (a
   * consumer's resubscribe, a channel's reopening) compares against it: amqplib closes a
   * connection's channels before the connection itself reports closed, so `connected` can
   * still be true while a channel of a dying connection closes.
   */
  get current(): ChannelModel | undefined {
    return this.#connection;
  }

  /** true once close() was called: publishing fails at once with ConnectionClosedError. */
  get closed(): boolean {
    return this.#closing;
  }

  /**
   * Why the last connect() gave up, while nothing is connected or trying to connect; undefined
   * otherwise. Publishers fail at once instead of waiting for a connection nobody makes.
   */
  get connectFailure(): Error | undefined {
    return this.#connection || this.#connecting ? undefined : this.#failure;
  }

  get blocked(): boolean {
    return this.#blocked;
  }

  /**
   * Queues of the topology that are not declared on the current connection because their home
   * node is down (the rest is); retried until declared. Empty when the whole topology is declared.
   */
  get undeclaredQueues(): readonly UndeclaredQueue[] {
    return this.#undeclared;
  }

  /** The topology declared on every connect, if one was given. */
  get topology(): ResolvedTopology | undefined {
    return this.#options.topology;
  }

  /**
   * Connects (once); later calls return the same connection.
   *
   * @throws {@link AuthenticationError} when the broker refuses the login (retrying cannot help).
   * @throws {@link VhostNotFoundError} or {@link VhostAccessRefusedError} when the vhost is missing or not permitted.
   * @throws {@link ConnectionError} when the manager is closed or no node can be reached.
   */
  async connect(): Promise<ChannelModel> {
    if (this.#connection) return this.#connection;
    if (this.#closing) throw new ConnectionError("the connection manager is closed");
    this.#failure = undefined;
    this.#connecting ??= this.#connectWithRetries(this.#options.reconnect?.initialAttempts ?? 5)
      .catch((error: unknown) => {
        this.#failure = error as Error;
        throw error;
      })
      .finally(() => {
        this.#connecting = undefined;
        if (this.#failure && !this.#connection && !this.#closing) {
          this.emit("failed", this.#failure);
          this.#gaveUp(this.#failure);
        }
      });
    return this.#connecting;
  }

  /**
   * Runs `listener` on every (re)connect, after the topology was declared; at once if connected.
   * Returns a function that removes it.
   */
  onConnected(listener: ConnectListener): () => void {
    this.#listeners.add(listener);
    if (this.#connection) void this.#runListener(listener, this.#connection);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs `listener` when nothing will connect without the caller acting: close() was called, or
   * connect() gave up. Publishers use it to fail waiting messages at once. A Set, not an event:
   * any number of publishers may share one manager without tripping Node's listener warning.
   * Returns a function that removes it.
   */
  onGiveUp(listener: (error: Error) => void): () => void {
    this.#giveUpListeners.add(listener);
    return () => this.#giveUpListeners.delete(listener);
  }

  #gaveUp(error: Error): void {
    for (const listener of [...this.#giveUpListeners]) {
      try {
        listener(error);
      } catch (failure) {
        this.emit("error", failure as Error);
      }
    }
  }

  /** Resolves when connected (and not blocked by the broker's flow control). */
  async ready(signal?: AbortSignal): Promise<ChannelModel> {
    while (!this.#connection || this.#blocked) {
      if (this.#closing) throw new ConnectionError("the connection manager is closed");
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        if (!this.#connection) this.#connectWaiters.push(resolve);
        else this.#unblockWaiters.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    return this.#connection;
  }

  /** A real round trip: opens a channel and declares a server-named exclusive queue. */
  async healthProbe(timeoutMs = 2000): Promise<void> {
    const connection = this.#connection;
    if (!connection) throw new ConnectionError("not connected to the broker");
    const probe = (async () => {
      const channel = await connection.createChannel();
      channel.on("error", () => {});
      await channel.assertQueue("", { exclusive: true, autoDelete: true });
      await channel.close();
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ConnectionError(`broker did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection and stops reconnecting; publishers and consumers on it stop working. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#closed.abort(new ConnectionError("the connection manager is closed"));
    this.emit("closed");
    this.#gaveUp(new ConnectionError("the connection manager is closed"));
    for (const wake of this.#connectWaiters.splice(0)) wake();
    for (const wake of this.#unblockWaiters.splice(0)) wake();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close().catch(() => {});
  }

  async #connectWithRetries(attempts: number): Promise<ChannelModel> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts && !this.#closing; attempt++) {
      for (const url of this.#urls) {
        try {
          return await this.#open(url);
        } catch (error) {
          // A refused login or vhost stays refused: fail at once instead of retrying.
          if (isRefusal(error)) throw error;
          lastError = error as Error;
          this.#logger.warn(
            { url: redactUrl(url), attempt, err: lastError.message },
            "broker connection failed",
          );
        }
      }
      if (attempt < attempts) {
        await sleep(backoffDelay(attempt, this.#options.reconnect), this.#closed.signal).catch(() => {});
      }
    }
    throw new ConnectionError(
      `cannot connect to ${this.#urls.map(redactUrl).join(", ")} after ${attempts} attempts: ${lastError?.message ?? "closed"}`,
      { cause: lastError },
    );
  }

  async #open(url: string): Promise<ChannelModel> {
    let connection: ChannelModel;
    try {
      connection = await connectAmqp(withHeartbeat(url, this.#options.heartbeatSeconds ?? 15), {
        noDelay: true,
        clientProperties: { connection_name: this.#options.connectionName ?? "aios-runtime" },
        timeout: 10_000,
      });
    } catch (error) {
      throw refusalError(url, error) ?? error;
    }
    connection.on("error", (error: Error) => this.emit("error", error));
    connection.on("blocked", (reason: string) => {
      this.#blocked = true;
      this.emit("blocked", reason);
    });
    connection.on("unblocked", () => {
      this.#blocked = false;
      for (const wake of this.#unblockWaiters.splice(0)) wake();
      this.emit("unblocked");
    });
    connection.on("close", (error?: Error) => this.#onClose(connection, error));
    let undeclared: UndeclaredQueue[] = [];
    if (this.#options.topology) {
      try {
        undeclared = await declareAvailableTopology(this.#options.topology, connection);
      } catch (error) {
        await connection.close().catch(() => {});
        throw error;
      }
    }
    this.#connection = connection;
    this.#setUndeclared(undeclared);
    if (undeclared.length > 0) void this.#retryUndeclared(connection);
    this.#blocked = false;
    this.#logger.info({ url: redactUrl(url) }, "connected to the broker");
    this.emit("connected", url);
    for (const wake of this.#connectWaiters.splice(0)) wake();
    for (const listener of this.#listeners) await this.#runListener(listener, connection);
    return connection;
  }

  /** Records what is not declared, and says so when that changes. */
  #setUndeclared(undeclared: readonly UndeclaredQueue[]): void {
    const before = this.#undeclared;
    this.#undeclared = undeclared;
    if (undeclared.length > 0) {
      const same =
        before.length === undeclared.length && before.every((u, i) => u.queue === undeclared[i]?.queue);
      if (same) return;
      this.#logger.warn(
        { queues: undeclared.map((u) => u.queue), err: undeclared[0]?.error.message },
        "queues not declared: their cluster node is down; the rest of the topology is, and they are retried",
      );
      this.emit("topologyIncomplete", undeclared);
    } else if (before.length > 0) {
      this.#logger.info(
        { queues: before.map((u) => u.queue) },
        "declared the queues that had been set aside",
      );
      this.emit("topologyComplete");
    }
  }

  /** Declares the set-aside queues on `connection` with backoff, until done or the connection is gone. */
  async #retryUndeclared(connection: ChannelModel): Promise<void> {
    const topology = this.#options.topology;
    if (!topology) return;
    const retry = { initialDelayMs: 1000, maxDelayMs: 30_000, ...this.#options.undeclaredRetry };
    for (let attempt = 1; ; attempt++) {
      // Half the cap at least: full jitter alone could retry at once, again and again.
      const cap = Math.min(retry.maxDelayMs, retry.initialDelayMs * (retry.factor ?? 2) ** (attempt - 1));
      await sleep(cap / 2 + backoffDelay(attempt, retry) / 2, this.#closed.signal).catch(() => {});
      if (this.#closing || this.#connection !== connection || this.#undeclared.length === 0) return;
      try {
        const names = new Set(this.#undeclared.map((u) => u.queue));
        this.#setUndeclared(await declareAvailableTopology(onlyQueues(topology, names), connection));
      } catch (error) {
        // The connection dropped (its reconnect declares everything again) or another refusal.
        if (this.#connection !== connection) return;
        this.#logger.warn({ err: (error as Error).message }, "declaring the set-aside queues failed");
      }
      if (this.#undeclared.length === 0) return;
    }
  }

  async #runListener(listener: ConnectListener, connection: ChannelModel): Promise<void> {
    try {
      await listener(connection);
    } catch (error) {
      this.#logger.error({ err: error }, "a connect listener failed");
      this.emit("error", error as Error);
    }
  }

  #onClose(connection: ChannelModel, error?: Error): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    if (this.#closing) return;
    const reason = error ?? new ConnectionError("the broker closed the connection");
    this.#logger.warn({ err: reason }, "lost the broker connection; reconnecting");
    this.emit("disconnected", reason);
    void this.#reconnectForever();
  }

  async #reconnectForever(): Promise<void> {
    for (let attempt = 1; !this.#closing && !this.#connection; attempt++) {
      await sleep(backoffDelay(attempt, this.#options.reconnect), this.#closed.signal).catch(() => {});
      if (this.#closing || this.#connection) return;
      for (const url of this.#urls) {
        try {
          await this.#open(url);
          return;
        } catch (error) {
          this.#logger.warn(
            { url: redactUrl(url), attempt, err: (error as Error).message },
            "reconnect failed",
          );
        }
      }
    }
  }
}

/** amqplib takes the heartbeat from the URL; a URL that sets its own keeps it. */
function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has("heartbeat")) parsed.searchParams.set("heartbeat", String(seconds));
  return parsed.toString();
}

type Refusal = AuthenticationError | VhostNotFoundError | VhostAccessRefusedError;

function isRefusal(error: unknown): error is Refusal {
  return (
    error instanceof AuthenticationError ||
    error instanceof VhostNotFoundError ||
    error instanceof VhostAccessRefusedError
  );
}

/**
 * The typed error for a connection the broker refused, by its AMQP reply code (403: the login;
 * 530: the vhost); undefined for failures worth a retry (network, timeouts, connection limits, a vhost that is down).
 */
function refusalError(url: string, error: unknown): Refusal | undefined {
  const refusal = classifyHandshakeRefusal(error);
  if (!refusal || refusal.kind === "transient") return undefined;
  const where = redactUrl(url);
  const vhost = vhostOf(url);
  const reply = { cause: error, replyCode: refusal.reply?.replyCode, replyText: refusal.reply?.replyText };
  const said = refusal.reply
    ? `${refusal.reply.replyCode} ${refusal.reply.replyText}`
    : (error as Error).message;
  switch (refusal.kind) {
    case "credentials":
      return new AuthenticationError(`the broker at ${where} refused the credentials: ${said}`, reply);
    case "vhost-not-found":
      return new VhostNotFoundError(
        vhost,
        `vhost '${vhost}' does not exist on the broker at ${where}: ${said}`,
        reply,
      );
    case "vhost-access-refused":
      return new VhostAccessRefusedError(
        vhost,
        `the broker at ${where} refused access to vhost '${vhost}': ${said}`,
        reply,
      );
    case "vhost-refused":
      return new VhostAccessRefusedError(
        vhost,
        `the broker at ${where} refused to open vhost '${vhost}' (it does not exist, or the user may not use it): ${said}`,
        reply,
      );
  }
}

/** The vhost amqplib opens for a URL: its path, or the default vhost `/`. */
function vhostOf(url: string): string {
  const path = new URL(url).pathname;
  return path === "" || path === "/" ? "/" : decodeURIComponent(path.slice(1));
}
