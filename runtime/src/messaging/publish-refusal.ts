import { type AmqpReply, channelRefusalOf, refusedSubjectOf } from "../amqp-reply.ts";
import { ExchangeNotFoundError, PublishAccessRefusedError, PublishRefusedError } from "./errors.ts";

/**
 * What the broker said when it closed a publishing channel, and which of the messages in flight
 * it refused. Pure: the Publisher feeds it the close and its unconfirmed messages.
 *
 * A broker closes a channel because of one publish, but names the publish only indirectly: the
 * reply code says what kind of fault (404, 403, 406…), the reply text names the exchange, the
 * size or the user id (read in amqp-reply.ts). Where the text names something the messages
 * carry, the culprits are the messages that carry it; where it does not, the Publisher re-sends
 * the suspects one at a time so the culprit is alone in flight when the broker refuses it again.
 */
export type ChannelClose = AmqpReply;

/** The parts of a message a refusal can point at. */
export interface RefusalCandidate {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: { readonly userId?: string | undefined };
}

/**
 * The broker's channel close when `error` is a channel exception a publish can cause (a soft
 * error: 311, 403, 404, 405, 406); undefined for a lost connection, a forced close (320), a hard
 * error (5xx) or a client close: nothing in flight was refused.
 */
export function channelCloseOf(error: Error | undefined): ChannelClose | undefined {
  return channelRefusalOf(error);
}

/**
 * A test that tells the messages the close refers to, or undefined when the reply text does not
 * name anything a message carries.
 */
export function culpritTest(close: ChannelClose): ((message: RefusalCandidate) => boolean) | undefined {
  const subject = refusedSubjectOf(close);
  switch (subject?.kind) {
    case "exchange":
      return (message) => message.exchange === subject.exchange;
    case "size":
      return (message) => message.body.length > subject.maxBytes;
    case "user-id":
      return (message) => message.properties.userId === subject.userId;
    case undefined:
      return undefined;
  }
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

/**
 * The typed error for a refused message: the broker's code and reason, the message's address.
 * A publishing channel carries nothing but publishes, and basic.publish refers to one entity,
 * its exchange: so a 404 is a missing exchange and a 403 a refused one, by the code alone.
 */
export function refusalError(message: RefusalCandidate, close: ChannelClose): PublishRefusedError {
  switch (close.replyCode) {
    case 404:
      return new ExchangeNotFoundError(
        message.exchange,
        close.replyText,
        message.routingKey,
        close.replyCode,
      );
    case 403:
      return new PublishAccessRefusedError(
        message.exchange,
        close.replyText,
        message.routingKey,
        close.replyCode,
      );
    default:
      return new PublishRefusedError(message.exchange, message.routingKey, close.replyCode, close.replyText);
  }
}
