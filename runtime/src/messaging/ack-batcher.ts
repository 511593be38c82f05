/** What the batcher needs of an amqplib channel. */
export interface AckChannel<M> {
  ack(message: M, allUpTo?: boolean): void;
}

interface Delivery<M> {
  readonly message: M;
  /** running: its handler has not finished; acked: ack not yet sent; settled: nothing left to send. */
  state: "running" | "acked" | "settled";
}

/**
 * Coalesces the acks of one channel: instead of one frame per message, one `multiple` ack per
 * event-loop turn covers every message from the oldest unsettled one up to the newest acked in a
 * row, and messages acked behind a still-running one are acked singly in the same turn (so a
 * slow handler never holds back the acks, and the prefetch window, of the others). Fewer frames
 * is less work for the client and for the broker alike.
 *
 * Delivery tags on a channel grow by one per delivery, so arrival order is tag order.
 */
export class AckBatcher<M extends { readonly fields: { readonly deliveryTag: number } }> {
  readonly #channel: AckChannel<M>;
  readonly #onError: (error: unknown) => void;
  readonly #deliveries: Delivery<M>[] = [];
  #head = 0;
  readonly #byTag = new Map<number, Delivery<M>>();
  #scheduled: NodeJS.Immediate | undefined;

  constructor(channel: AckChannel<M>, onError: (error: unknown) => void) {
    this.#channel = channel;
    this.#onError = onError;
  }

  /** Called for every delivery, in the order the channel delivers them. */
  delivered(message: M): void {
    const delivery: Delivery<M> = { message, state: "running" };
    this.#deliveries.push(delivery);
    this.#byTag.set(message.fields.deliveryTag, delivery);
  }

  /** The message is done: its ack goes out with the next flush. */
  ack(message: M): void {
    const delivery = this.#byTag.get(message.fields.deliveryTag);
    if (!delivery) return;
    delivery.state = "acked";
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** The message was settled otherwise (nack, reject) by the caller, right away. */
  settled(message: M): void {
    const delivery = this.#byTag.get(message.fields.deliveryTag);
    if (delivery) delivery.state = "settled";
  }

  /** Sends what is pending now (also before the channel closes). */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    try {
      let lastInRow: M | undefined;
      while (this.#head < this.#deliveries.length) {
        const delivery = this.#deliveries[this.#head] as Delivery<M>;
        if (delivery.state === "running") break;
        if (delivery.state === "acked") lastInRow = delivery.message;
        this.#forget(delivery);
        this.#head++;
      }
      if (lastInRow) this.#channel.ack(lastInRow, true);
      for (let i = this.#head; i < this.#deliveries.length; i++) {
        const delivery = this.#deliveries[i] as Delivery<M>;
        if (delivery.state !== "acked") continue;
        this.#channel.ack(delivery.message, false);
        delivery.state = "settled";
      }
    } catch (error) {
      this.#onError(error);
    } finally {
      if (this.#head > 1024 && this.#head * 2 > this.#deliveries.length) {
        this.#deliveries.splice(0, this.#head);
        this.#head = 0;
      }
    }
  }

  /** Drops everything pending: the channel is gone and the broker requeues what it held. */
  discard(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#deliveries.length = 0;
    this.#head = 0;
    this.#byTag.clear();
  }

  #forget(delivery: Delivery<M>): void {
    this.#byTag.delete(delivery.message.fields.deliveryTag);
  }
}
