import { ExchangeNotFoundError, PublishAccessRefusedError, PublishRefusedError } from "./errors.ts";

/**
 * What the broker said when it closed a publishing channel, and which of the messages in flight
 * it refused. Pure: the Publisher feeds it the close and its unconfirmed messages.
 *
 * A broker closes a channel because of one publish, but names the publish only indirectly: the
 * reply code says what kind of fault (404, 403, 406…), the reply text names the exchange, the
 * size or the user id. Where the text names something the messages carry, the culprits are the
 * messages that carry it; where it does not, the Publisher re-sends the suspects one at a time
 * so the culprit is alone in flight when the broker refuses it again (see publisher.ts).
 */
export interface ChannelClose {
  readonly replyCode: number;
  readonly replyText: string;
}

/** The parts of a message a refusal can point at. */
export interface RefusalCandidate {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: { readonly userId?: string | undefined };
}

/**
 * AMQP soft errors (channel exceptions) that a publish can cause. Others (no code, 320, 5xx)
 * are a lost connection or a protocol fault: nothing in flight was refused.
 */
const REFUSAL_CODES = new Set([311, 403, 404, 405, 406]);

/**
 * The broker's channel close, when `error` is one (amqplib sets the reply code as `code` and
 * writes the reply text into the message); undefined for a lost connection or a client close.
 */
export function channelCloseOf(error: Error | undefined): ChannelClose | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "number" || !REFUSAL_CODES.has(code)) return undefined;
  const text = /with message "([\s\S]*)"$/.exec(error?.message ?? "")?.[1] ?? error?.message ?? "";
  return { replyCode: code, replyText: text };
}

/**
 * A test that tells the messages the close refers to, or undefined when the reply text does not
 * name anything a message carries.
 */
export function culpritTest(close: ChannelClose): ((message: RefusalCandidate) => boolean) | undefined {
  const text = close.replyText;
  const exchange =
    /no exchange '([^']*)' in vhost/.exec(text)?.[1] ??
    /access to exchange '([^']*)' in vhost/.exec(text)?.[1] ??
    /internal exchange '([^']*)'/.exec(text)?.[1];
  if (exchange !== undefined) return (message) => message.exchange === exchange;
  const size = /message size (\d+) is larger than (?:configured )?max size (\d+)/.exec(text);
  if (size) {
    const max = Number(size[2]);
    return (message) => message.body.length > max;
  }
  const user = /user_id property set to '([^']*)'/.exec(text)?.[1];
  if (user !== undefined) return (message) => message.properties.userId === user;
  return undefined;
}

/**
 * The messages a channel close refused: those the reply text points at; or, when it points at
 * none and one message alone was in flight, that one. Empty when the broker did not say which
 * (the publisher then re-sends them one at a time).
 */
export function culpritsOf<T extends RefusalCandidate>(
  unconfirmed: readonly T[],
  close: ChannelClose,
): Set<T> {
  const test = culpritTest(close);
  const culprits = new Set(test ? unconfirmed.filter(test) : []);
  if (culprits.size === 0 && unconfirmed.length === 1) culprits.add(unconfirmed[0] as T);
  return culprits;
}

/** The typed error for a refused message: the broker's code and reason, the message's address. */
export function refusalError(message: RefusalCandidate, close: ChannelClose): PublishRefusedError {
  if (close.replyCode === 404 && /no exchange/.test(close.replyText)) {
    return new ExchangeNotFoundError(message.exchange, close.replyText, message.routingKey, close.replyCode);
  }
  if (close.replyCode === 403) {
    return new PublishAccessRefusedError(
      message.exchange,
      close.replyText,
      message.routingKey,
      close.replyCode,
    );
  }
  return new PublishRefusedError(message.exchange, message.routingKey, close.replyCode, close.replyText);
}
