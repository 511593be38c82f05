import type { PendingPublish } from "./pending-publish.ts";

/**
 * The messages waiting to be sent, in order: new ones at the back, retries at the front. An
 * array with a head index, so taking the next message is O(1); settled messages (aborted, timed
 * out) stay in place and are skipped when reached.
 */
export class SendQueue {
  #items: PendingPublish[] = [];
  #head = 0;

  /** Entries waiting, settled ones not yet skipped included (what the buffer limit counts). */
  get length(): number {
    return this.#items.length - this.#head;
  }

  push(pending: PendingPublish): void {
    this.#items.push(pending);
  }

  /** Puts messages back at the front: a retry goes out before what was never sent. */
  pushFront(messages: readonly PendingPublish[]): void {
    if (messages.length > 0) this.#items.splice(this.#head, 0, ...messages);
  }

  /** The next unsettled message, left in place (take it with shift()); undefined when none waits. */
  peek(): PendingPublish | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const pending = items[this.#head] as PendingPublish;
      if (!pending.settled) return pending;
      this.#head++;
    }
    return undefined;
  }

  /** Takes the message peek() returned. */
  shift(): void {
    this.#head++;
  }

  /** Frees the slots of sent messages: at once when nothing waits (the usual case), else now and then. */
  compact(): void {
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
  }

  forEach(visit: (pending: PendingPublish) => void): void {
    for (let i = this.#head; i < this.#items.length; i++) visit(this.#items[i] as PendingPublish);
  }

  /** A copy of what waits (settling a message while iterating is then safe). */
  snapshot(): PendingPublish[] {
    return this.#items.slice(this.#head);
  }
}
