import type { ConsumedMessage, HandlerContext, MessageHandler } from "./consumer.ts";

/**
 * Remembers which message ids were handled, so {@link withIdempotency} can skip redeliveries.
 * Swap the in-memory default for Redis or a database to share it between consumers.
 */
export interface IdempotencyStore {
  /** Whether `id` was marked and has not expired. */
  has(id: string): Promise<boolean> | boolean;
  /** Records `id` as handled for `ttlMs` milliseconds. */
  mark(id: string, ttlMs: number): Promise<void> | void;
}

/** Bounded: forgets ids after `ttlMs` and the oldest ones beyond `maxEntries`. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(options: { readonly maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** Whether `id` was marked and has not expired. */
  has(id: string): boolean {
    const expires = this.#seen.get(id);
    if (expires === undefined) return false;
    if (expires > Date.now()) return true;
    this.#seen.delete(id);
    return false;
  }

  /**
   * Records `id` as handled for `ttlMs` milliseconds (evicting the oldest ids beyond `maxEntries`).
   */
  mark(id: string, ttlMs: number): void {
    this.#seen.delete(id);
    this.#seen.set(id, Date.now() + ttlMs);
    // Maps keep insertion order, so the first key is the oldest.
    while (this.#seen.size > this.#maxEntries) this.#seen.delete(this.#seen.keys().next().value as string);
  }
}

/**
 * Wraps a handler so a message whose id was already handled is acknowledged without running it
 * again: redeliveries after a crash or a reconnect then have no second effect. The id is marked
 * only after the handler succeeded, so a failed attempt still gets retried.
 */
export function withIdempotency<T>(
  handler: MessageHandler<T>,
  options: { readonly store?: IdempotencyStore; readonly ttlMs?: number } = {},
): MessageHandler<T> {
  const store = options.store ?? new InMemoryIdempotencyStore();
  const ttlMs = options.ttlMs ?? 24 * 3_600_000;
  return async (message: ConsumedMessage<T>, context: HandlerContext) => {
    const id = message.envelope.id;
    if (await store.has(id)) return;
    await handler(message, context);
    await store.mark(id, ttlMs);
  };
}
