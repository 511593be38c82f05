import type { PendingPublish } from "./pending-publish.ts";
import type { PublishSlot } from "./publish-channels.ts";

/**
 * The messages sent and not yet confirmed, which channel each is on, and whether another may go
 * out: at most `maxInFlight`, and only one at a time while suspects of an unexplained refusal
 * are re-sent (see publish-refusal.ts). Also keeps the broker's returns (basic.return) until
 * the confirm of the returned message arrives.
 */
export class ConfirmWindow {
  readonly #inFlight = new Set<PendingPublish>();
  readonly #returned = new Map<string, string>();
  readonly #maxInFlight: number;
  #suspects = 0;

  constructor(maxInFlight: number) {
    this.#maxInFlight = maxInFlight;
  }

  get size(): number {
    return this.#inFlight.size;
  }

  /** Whether another message may be sent now. */
  get open(): boolean {
    const size = this.#inFlight.size;
    // Suspects go out alone, so the culprit is alone in flight when the broker refuses it again.
    return size < this.#maxInFlight && (this.#suspects === 0 || size === 0);
  }

  sent(pending: PendingPublish, slot: PublishSlot): void {
    pending.slot = slot;
    slot.inFlight++;
    this.#inFlight.add(pending);
  }

  /** Takes a sent message off its channel's books (confirmed, nacked, timed out or aborted). */
  release(pending: PendingPublish): void {
    const slot = pending.slot;
    if (!slot) return;
    this.#inFlight.delete(pending);
    pending.slot = undefined;
    slot.untrack();
  }

  /** The messages in flight on a channel that closed, taken off the books. */
  takeUnconfirmed(slot: PublishSlot): PendingPublish[] {
    const unconfirmed: PendingPublish[] = [];
    for (const pending of this.#inFlight) if (pending.slot === slot) unconfirmed.push(pending);
    for (const pending of unconfirmed) {
      this.#inFlight.delete(pending);
      pending.slot = undefined;
    }
    slot.inFlight = 0;
    return unconfirmed;
  }

  markSuspect(pending: PendingPublish): void {
    if (pending.suspect) return;
    pending.suspect = true;
    this.#suspects++;
  }

  /** A settled message is no longer a suspect. */
  clearSuspect(pending: PendingPublish): void {
    if (!pending.suspect) return;
    pending.suspect = false;
    this.#suspects--;
  }

  /** The broker returned a message (unroutable); its confirm follows. */
  noteReturned(messageId: string, replyText: string): void {
    this.#returned.set(messageId, replyText);
  }

  /** The reply text of the return that preceded this confirm, if any. */
  takeReturned(messageId: string): string | undefined {
    if (this.#returned.size === 0) return undefined;
    const text = this.#returned.get(messageId);
    if (text !== undefined) this.#returned.delete(messageId);
    return text;
  }

  /** A copy of what is in flight (settling a message while iterating is then safe). */
  snapshot(): PendingPublish[] {
    return [...this.#inFlight];
  }

  values(): IterableIterator<PendingPublish> {
    return this.#inFlight.values();
  }
}
