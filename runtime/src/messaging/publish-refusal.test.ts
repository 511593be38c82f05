import { describe, expect, it } from "vitest";
import { ExchangeNotFoundError, PublishAccessRefusedError, PublishRefusedError } from "./errors.ts";
import { channelCloseOf, culpritTest, refusalError } from "./publish-refusal.ts";

/** The error amqplib emits when the broker closes a channel. */
function closeError(code: number, text: string): Error {
  const name = text.split(" - ")[0]?.replace(/_/g, "-");
  return Object.assign(new Error(`Channel closed by server: ${code} (${name}) with message "${text}"`), {
    code,
  });
}

const message = (exchange: string, size = 10, userId?: string) => ({
  exchange,
  routingKey: "k",
  body: Buffer.alloc(size),
  properties: userId === undefined ? {} : { userId },
});

describe("telling which message a channel close refused", () => {
  it("reads the reply code and text of a broker's channel exception, and nothing else", () => {
    expect(channelCloseOf(closeError(404, "NOT_FOUND - no exchange 'x' in vhost 'v'"))).toEqual({
      replyCode: 404,
      replyText: "NOT_FOUND - no exchange 'x' in vhost 'v'",
    });
    // A lost connection, a forced close (320) or a client-side protocol error refuse no message.
    expect(channelCloseOf(new Error("Connection closed"))).toBeUndefined();
    expect(channelCloseOf(closeError(320, "CONNECTION_FORCED - shutdown"))).toBeUndefined();
    expect(channelCloseOf(closeError(541, "INTERNAL_ERROR"))).toBeUndefined();
    expect(channelCloseOf(undefined)).toBeUndefined();
  });

  it("points at the messages the reply text names: exchange, size or user id", () => {
    const missing = culpritTest({
      replyCode: 404,
      replyText: "NOT_FOUND - no exchange 'gone' in vhost 'v'",
    })!;
    expect(missing(message("gone"))).toBe(true);
    expect(missing(message("here"))).toBe(false);
    const denied = culpritTest({
      replyCode: 403,
      replyText: "ACCESS_REFUSED - write access to exchange 'secret' in vhost 'v' refused for user 'u'",
    })!;
    expect([denied(message("secret")), denied(message("open"))]).toEqual([true, false]);
    const big = culpritTest({
      replyCode: 406,
      replyText: "PRECONDITION_FAILED - message size 2000 is larger than configured max size 1000",
    })!;
    expect([big(message("x", 2000)), big(message("x", 999))]).toEqual([true, false]);
    const user = culpritTest({
      replyCode: 406,
      replyText: "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'",
    })!;
    expect([user(message("x", 1, "bob")), user(message("x", 1))]).toEqual([true, false]);
  });

  it("points at nothing when the text names nothing a message carries (the publisher then isolates the culprit)", () => {
    expect(
      culpritTest({
        replyCode: 406,
        replyText: 'PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}',
      }),
    ).toBeUndefined();
  });

  it("gives the refused message a typed error carrying the broker's code and reason", () => {
    const notFound = refusalError(message("gone"), {
      replyCode: 404,
      replyText: "NOT_FOUND - no exchange 'gone' in vhost 'v'",
    });
    expect(notFound).toBeInstanceOf(ExchangeNotFoundError);
    expect(notFound).toMatchObject({
      code: "MESSAGING_EXCHANGE_NOT_FOUND",
      replyCode: 404,
      exchange: "gone",
      routingKey: "k",
    });
    // By the code: on a publishing channel a 404 can only be the exchange, whatever the text says.
    expect(
      refusalError(message("gone"), { replyCode: 404, replyText: "NOT_FOUND - reworded" }),
    ).toBeInstanceOf(ExchangeNotFoundError);
    expect(refusalError(message("s"), { replyCode: 403, replyText: "ACCESS_REFUSED - …" })).toBeInstanceOf(
      PublishAccessRefusedError,
    );
    const other = refusalError(message("x"), { replyCode: 406, replyText: "PRECONDITION_FAILED - why" });
    expect(other).toBeInstanceOf(PublishRefusedError);
    expect(other.message).toBe(
      "the broker refused the message to 'x' with key 'k' (406 PRECONDITION_FAILED - why); it was not delivered",
    );
  });
});
