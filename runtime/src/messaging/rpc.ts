import { randomUUID } from "node:crypto";
import type { ConfirmChannel, ConsumeMessage } from "amqplib";
import type { z } from "zod";
import type { WorkQueuePlan } from "../topology/index.ts";
import type { ConnectionManager } from "./connection-manager.ts";
import { Consumer, type HandlerContext } from "./consumer.ts";
import { decodeEnvelope, ENVELOPE_CONTENT_TYPE, encodeEnvelope } from "./envelope.ts";
import { ConnectionError, RpcRemoteError, RpcTimeoutError, UnroutableError } from "./errors.ts";
import { Publisher } from "./publisher.ts";

const REPLY_TO = "amq.rabbitmq.reply-to";

type Reply<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly error: { code: string; message: string } };

/** Per-request options: a timeout, an abort signal, and the message type. */
export interface RpcRequestOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly type?: string;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Request/reply over RabbitMQ's direct reply-to: no reply queue to declare or clean up. Replies
 * are matched by correlation id; a request without a reply in time fails with RpcTimeoutError.
 *
 * @example
 * ```ts
 * const rpc = new RpcClient({ connection, timeoutMs: 30_000 });
 * const answer = await rpc.request<{ sum: number }>("aios.rpc", "calculator.add", { a: 1, b: 2 });
 * await rpc.close();
 *
 * // The other side:
 * const server = await serveRpc<{ a: number; b: number }, { sum: number }>({
 *   connection,
 *   queue: findWorkQueue(topology, "calculator")!,
 *   handler: ({ a, b }) => ({ sum: a + b }),
 * });
 * await server.stop();
 * ```
 */
export class RpcClient {
  readonly #connection: ConnectionManager;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<string, Waiting>();
  #channel: Promise<ConfirmChannel> | undefined;

  constructor(options: { readonly connection: ConnectionManager; readonly timeoutMs?: number }) {
    this.#connection = options.connection;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * Sends a request and waits for its reply.
   *
   * @throws {@link RpcTimeoutError} when no reply arrives within the timeout.
   * @throws {@link RpcRemoteError} when the responder's handler failed (its message is kept).
   * @throws {@link UnroutableError} when no queue is bound for the routing key.
   * @throws {@link ConnectionError} when the request was not confirmed, the reply channel closed,
  or the client was closed while waiting.
   */
  async request<TResponse = unknown, TRequest = unknown>(
    exchange: string,
    routingKey: string,
    data: TRequest,
    options: RpcRequestOptions = {},
  ): Promise<TResponse> {
    const { body, envelope } = encodeEnvelope(data, { type: options.type ?? routingKey });
    const channel = await this.#replyChannel();
    const correlationId = randomUUID();
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    options.signal?.throwIfAborted();
    const reply = new Promise<TResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(correlationId);
        reject(new RpcTimeoutError(routingKey, timeoutMs));
      }, timeoutMs);
      this.#waiting.set(correlationId, { resolve: resolve as (value: unknown) => void, reject, timer });
      options.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          this.#waiting.delete(correlationId);
          reject(options.signal?.reason);
        },
        { once: true },
      );
    });
    // The reply-to pseudo-queue only works on the channel that consumes it, so the request is
    // published on that same channel.
    channel.publish(
      exchange,
      routingKey,
      body,
      {
        correlationId,
        replyTo: REPLY_TO,
        messageId: envelope.id,
        contentType: ENVELOPE_CONTENT_TYPE,
        type: envelope.type,
        mandatory: true,
        expiration: String(timeoutMs),
      },
      (err) => {
        if (err)
          this.#fail(correlationId, new ConnectionError(`request to '${routingKey}' was not confirmed`));
      },
    );
    return reply;
  }

  /** Stops waiting: pending requests fail, and the reply channel closes. */
  async close(): Promise<void> {
    for (const [id, waiting] of this.#waiting)
      this.#fail(id, new ConnectionError("the RPC client is closed"), waiting);
    const channel = await this.#channel?.catch(() => undefined);
    this.#channel = undefined;
    await channel?.close().catch(() => {});
  }

  #replyChannel(): Promise<ConfirmChannel> {
    this.#channel ??= (async () => {
      const model = await this.#connection.connect();
      const channel = await model.createConfirmChannel();
      channel.on("error", () => {});
      channel.on("close", () => {
        this.#channel = undefined;
        for (const [id] of this.#waiting)
          this.#fail(id, new ConnectionError("the reply channel closed before the reply"));
      });
      channel.on("return", (message: ConsumeMessage) => {
        const id = message.properties.correlationId as string;
        this.#fail(id, new UnroutableError(message.fields.exchange, message.fields.routingKey, "NO_ROUTE"));
      });
      await channel.consume(REPLY_TO, (message) => message && this.#onReply(message), { noAck: true });
      return channel;
    })();
    return this.#channel;
  }

  #onReply(message: ConsumeMessage): void {
    const id = message.properties.correlationId as string | undefined;
    const waiting = id === undefined ? undefined : this.#waiting.get(id);
    if (!id || !waiting) return; // a reply that arrived after its timeout
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    const decoded = decodeEnvelope<Reply<unknown>>(message.content);
    if (!decoded.ok) return waiting.reject(new RpcRemoteError(`unreadable reply: ${decoded.error}`));
    const reply = decoded.envelope.data;
    if (reply.ok) waiting.resolve(reply.data);
    else waiting.reject(new RpcRemoteError(`${reply.error.code}: ${reply.error.message}`));
  }

  #fail(id: string, error: Error, waiting = this.#waiting.get(id)): void {
    if (!waiting) return;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.reject(error);
  }
}

/** What {@link serveRpc} serves: the work queue, the request schema and the handler. */
export interface RpcServerOptions<TRequest, TResponse> {
  readonly connection: ConnectionManager;
  readonly queue: WorkQueuePlan;
  readonly schema?: z.ZodType<TRequest>;
  /**
   * Computes the reply; what it throws is sent back, and the caller gets an {@link RpcRemoteError}.
   */
  readonly handler: (request: TRequest, context: HandlerContext) => Promise<TResponse> | TResponse;
  readonly prefetch?: number;
}

/**
 * Answers requests arriving on a work queue. A failing handler replies with the error instead
 * of retrying: the caller is waiting, and it decides whether to ask again.
 */
export async function serveRpc<TRequest, TResponse>(
  options: RpcServerOptions<TRequest, TResponse>,
): Promise<{
  /** Stops taking requests, lets those in progress reply, and closes the reply publisher. */
  stop(): Promise<void>;
}> {
  const replies = new Publisher({ connection: options.connection, metrics: false, timeoutMs: 10_000 });
  const consumer = new Consumer<TRequest>({
    connection: options.connection,
    queue: options.queue,
    prefetch: options.prefetch ?? 20,
    ...(options.schema ? { schema: options.schema } : {}),
    handler: async (message, context) => {
      const replyTo = message.properties.replyTo as string | undefined;
      let reply: Reply<TResponse>;
      try {
        const data = await options.handler(message.data, context);
        // A void handler's reply leaves `data` out (undefined is not JSON: the encoder refuses it).
        reply = data === undefined ? ({ ok: true } as Reply<TResponse>) : { ok: true, data };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        reply = {
          ok: false,
          error: {
            code: typeof code === "string" ? code : "HANDLER_FAILED",
            message: (error as Error).message,
          },
        };
      }
      if (!replyTo) return;
      await replies
        .publish("", replyTo, reply, {
          type: "rpc.reply",
          correlationId: message.properties.correlationId as string,
          persistent: false,
        })
        // The caller may have given up and gone: its reply-to address no longer routes.
        .catch((error: unknown) => {
          if (!(error instanceof UnroutableError)) throw error;
        });
    },
  });
  await consumer.start();
  return {
    async stop() {
      await consumer.stop();
      await replies.close();
    },
  };
}
