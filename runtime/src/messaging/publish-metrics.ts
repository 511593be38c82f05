import { BoundedLabel } from "../metrics/index.ts";
import type { MessagingMetrics } from "./metrics.ts";

/** How a publish ended, as the `outcome` label of aios_messages_published_total (a fixed set). */
export type PublishOutcome = "confirmed" | "unroutable" | "nacked" | "failed" | "timeout";

interface ExchangeChildren {
  readonly confirmSeconds: { observe(seconds: number): void };
  published(outcome: PublishOutcome): { inc(amount?: number): void };
  /** Confirms not yet added to the counter (see PublishMetrics.count). */
  confirmedUncounted: number;
}

/**
 * The publisher's metrics, per exchange: confirm latency and outcomes. Label lookups hash their
 * arguments on every call, so the children of each exchange are looked up once and reused (one
 * map lookup per message); exchanges outside the topology (or, without one, past the first 50)
 * share the label `other`.
 */
export class PublishMetrics {
  readonly #metrics: MessagingMetrics;
  readonly #knownExchanges: () => readonly string[] | undefined;
  readonly #children = new Map<string, ExchangeChildren>();
  #label: BoundedLabel | undefined;
  #countScheduled = false;

  /** `knownExchanges` is read on first use: the topology may arrive with the connection. */
  constructor(metrics: MessagingMetrics, knownExchanges: () => readonly string[] | undefined) {
    this.#metrics = metrics;
    this.#knownExchanges = knownExchanges;
  }

  /** Time from sending a message to the broker's confirm. */
  observeConfirm(exchange: string, seconds: number): void {
    this.#of(exchange).confirmSeconds.observe(seconds);
  }

  count(exchange: string, outcome: PublishOutcome): void {
    const children = this.#of(exchange);
    if (outcome !== "confirmed") {
      children.published(outcome).inc();
      return;
    }
    // Confirms arrive in bursts (one broker ack covers many messages); they are added to the
    // counter once per burst, which at thousands a second saves half a microsecond a message.
    children.confirmedUncounted++;
    if (this.#countScheduled) return;
    this.#countScheduled = true;
    queueMicrotask(() => {
      this.#countScheduled = false;
      for (const each of this.#children.values()) {
        if (each.confirmedUncounted === 0) continue;
        each.published("confirmed").inc(each.confirmedUncounted);
        each.confirmedUncounted = 0;
      }
    });
  }

  #of(exchange: string): ExchangeChildren {
    const found = this.#children.get(exchange);
    if (found) return found;
    if (!this.#label) {
      const known = this.#knownExchanges();
      this.#label = new BoundedLabel(known ? { known } : {});
    }
    const label = this.#label.value(exchange);
    const shared = this.#children.get(label);
    if (shared) {
      // An exchange counted as `other` looks its children up by its own name from now on.
      if (this.#children.size < 1000) this.#children.set(exchange, shared);
      return shared;
    }
    const metrics = this.#metrics;
    const outcomes = new Map<PublishOutcome, { inc(amount?: number): void }>();
    const children: ExchangeChildren = {
      confirmSeconds: metrics.publishConfirmSeconds.labels({ exchange: label }),
      published(outcome) {
        let counter = outcomes.get(outcome);
        if (!counter) {
          counter = metrics.published.labels({ exchange: label, outcome });
          outcomes.set(outcome, counter);
        }
        return counter;
      },
      confirmedUncounted: 0,
    };
    this.#children.set(label, children);
    return children;
  }
}
