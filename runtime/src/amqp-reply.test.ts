import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  amqpReplyOf,
  channelRefusalOf,
  classifyReplyCode,
  inequivalentArgumentOf,
  isOpenRefusedWithoutReply,
  notAllowedCause,
  notFoundCause,
  refusedSubjectOf,
} from "./amqp-reply.ts";

// amqplib's own formatter, so the tests read the messages amqplib really writes.
const require = createRequire(import.meta.url);
const { closeMessage } = require(join(dirname(require.resolve("amqplib")), "lib/format.js")) as {
  closeMessage(frame: { fields: { replyCode: number; replyText: string } }): string;
};

/** The error amqplib emits when the broker closes a channel (lib/channel.js). */
function channelClose(replyCode: number, replyText: string, classId = 60, methodId = 40): Error {
  const error = new Error(`Channel closed by server: ${closeMessage({ fields: { replyCode, replyText } })}`);
  return Object.assign(error, { code: replyCode, classId, methodId });
}

const reply = (replyCode: number, replyText: string) => ({ replyCode, replyText });

describe("classifying AMQP reply codes", () => {
  it("classifies every code the spec defines by what it closes", () => {
    const expected: Record<number, [string, string]> = {
      311: ["CONTENT_TOO_LARGE", "channel"],
      312: ["NO_ROUTE", "return"],
      313: ["NO_CONSUMERS", "return"],
      320: ["CONNECTION_FORCED", "connection"],
      402: ["INVALID_PATH", "connection"],
      403: ["ACCESS_REFUSED", "channel"],
      404: ["NOT_FOUND", "channel"],
      405: ["RESOURCE_LOCKED", "channel"],
      406: ["PRECONDITION_FAILED", "channel"],
      501: ["FRAME_ERROR", "connection"],
      502: ["SYNTAX_ERROR", "connection"],
      503: ["COMMAND_INVALID", "connection"],
      504: ["CHANNEL_ERROR", "connection"],
      505: ["UNEXPECTED_FRAME", "connection"],
      506: ["RESOURCE_ERROR", "connection"],
      530: ["NOT_ALLOWED", "connection"],
      540: ["NOT_IMPLEMENTED", "connection"],
      541: ["INTERNAL_ERROR", "connection"],
    };
    for (const [code, [name, scope]] of Object.entries(expected)) {
      expect(classifyReplyCode(Number(code))).toEqual({ code: Number(code), name, scope });
    }
  });

  it("leaves a code the spec does not define unclassified", () => {
    for (const code of [0, 200, 310, 407, 599, 1000, Number.NaN])
      expect(classifyReplyCode(code)).toBeUndefined();
    // Not fooled by names inherited from Object.prototype.
    expect(classifyReplyCode("constructor" as unknown as number)).toBeUndefined();
  });
});

describe("reading the broker's reply from amqplib's errors", () => {
  it("takes the code and refused method from the error's fields, the text from amqplib's format", () => {
    const error = channelClose(404, "NOT_FOUND - no exchange 'x' in vhost 'v'");
    expect(amqpReplyOf(error)).toEqual({
      replyCode: 404,
      replyText: "NOT_FOUND - no exchange 'x' in vhost 'v'",
      classId: 60,
      methodId: 40,
    });
    // A failed operation: "Operation failed: QueueDeclare; <close message>".
    const failed = Object.assign(
      new Error(
        `Operation failed: QueueDeclare; ${closeMessage({ fields: { replyCode: 406, replyText: "PRECONDITION_FAILED - x" } })}`,
      ),
      { code: 406, classId: 50, methodId: 10 },
    );
    expect(amqpReplyOf(failed)).toMatchObject({
      replyCode: 406,
      replyText: "PRECONDITION_FAILED - x",
      classId: 50,
    });
  });

  it("trusts the code field over the text: a reply text that looks like another reply changes nothing", () => {
    const text = 'PRECONDITION_FAILED - 404 (NOT-FOUND) with message "decoy"';
    const error = channelClose(406, text);
    expect(amqpReplyOf(error)).toMatchObject({ replyCode: 406, replyText: text });
    expect(channelRefusalOf(error)?.replyCode).toBe(406);
  });

  it("reads the code a handshake refusal keeps only in its message", () => {
    const login = new Error(
      `Handshake terminated by server: ${closeMessage({ fields: { replyCode: 403, replyText: "ACCESS_REFUSED - Login was refused" } })}`,
    );
    expect(amqpReplyOf(login)).toEqual({
      replyCode: 403,
      replyText: "ACCESS_REFUSED - Login was refused",
      classId: undefined,
      methodId: undefined,
    });
  });

  it("finds no reply where the broker said nothing", () => {
    expect(amqpReplyOf(new Error("connect ECONNREFUSED 127.0.0.1:5672"))).toBeUndefined();
    expect(amqpReplyOf(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBeUndefined();
    expect(amqpReplyOf(undefined)).toBeUndefined();
    expect(amqpReplyOf("404")).toBeUndefined();
  });

  it("counts only soft errors as a channel refusal", () => {
    for (const code of [311, 403, 404, 405, 406])
      expect(channelRefusalOf(channelClose(code, "x"))).toBeDefined();
    for (const code of [320, 504, 530, 541, 999])
      expect(channelRefusalOf(channelClose(code, "x"))).toBeUndefined();
    expect(channelRefusalOf(new Error("Connection closed"))).toBeUndefined();
  });

  it("recognises amqplib's close-instead-of-open-ok error, and nothing else", () => {
    expect(
      isOpenRefusedWithoutReply(new Error("Expected ConnectionOpenOk; got <ConnectionClose channel:0>")),
    ).toBe(true);
    expect(
      isOpenRefusedWithoutReply(new Error("Expected ConnectionTune; got <ConnectionClose channel:0>")),
    ).toBe(false);
  });
});

describe("causes one reply code does not tell apart", () => {
  it("530 NOT_ALLOWED: missing vhost, refused vhost, connection limit, vhost down; other codes: none", () => {
    expect(notAllowedCause(reply(530, "NOT_ALLOWED - vhost x not found"))).toBe("vhost-not-found");
    expect(notAllowedCause(reply(530, "NOT_ALLOWED - access to vhost 'x' refused for user 'u'"))).toBe(
      "vhost-access-refused",
    );
    expect(
      notAllowedCause(
        reply(530, "NOT_ALLOWED - access to vhost 'x' refused for user 'u': connection limit (1) is reached"),
      ),
    ).toBe("connection-limit");
    expect(notAllowedCause(reply(530, "NOT_ALLOWED - vhost x is down"))).toBe("vhost-down");
    expect(notAllowedCause(reply(403, "ACCESS_REFUSED - vhost x not found"))).toBeUndefined();
  });

  it("404 NOT_FOUND: a missing entity, or a queue whose home node is down", () => {
    expect(notFoundCause(reply(404, "NOT_FOUND - no queue 'q' in vhost 'v'"))).toBe("missing");
    expect(
      notFoundCause(
        reply(
          404,
          "NOT_FOUND - home node 'rabbit@b' of durable queue 'q' in vhost 'v' is down or inaccessible",
        ),
      ),
    ).toBe("unreachable");
    expect(notFoundCause(reply(406, "PRECONDITION_FAILED - no queue"))).toBeUndefined();
  });

  it("406 on a declare: an existing entity with other arguments, not an invalid argument", () => {
    expect(
      inequivalentArgumentOf(
        reply(
          406,
          "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost 'v': received 'quorum' but current is 'classic'",
        ),
      ),
    ).toEqual({
      argument: "x-queue-type",
      detail:
        "inequivalent arg 'x-queue-type' for queue 'q' in vhost 'v': received 'quorum' but current is 'classic'",
    });
    expect(
      inequivalentArgumentOf(
        reply(
          406,
          "PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue 'q' in vhost 'v': {value_negative,-1}",
        ),
      ),
    ).toBeUndefined();
    expect(inequivalentArgumentOf(reply(404, "NOT_FOUND - inequivalent arg 'x'"))).toBeUndefined();
  });

  it("what a publish refusal names: exchange, size limit or user id; else nothing", () => {
    expect(refusedSubjectOf(reply(404, "NOT_FOUND - no exchange 'gone' in vhost 'v'"))).toEqual({
      kind: "exchange",
      exchange: "gone",
    });
    expect(
      refusedSubjectOf(
        reply(403, "ACCESS_REFUSED - write access to exchange 's' in vhost 'v' refused for user 'u'"),
      ),
    ).toEqual({ kind: "exchange", exchange: "s" });
    expect(
      refusedSubjectOf(
        reply(406, "PRECONDITION_FAILED - message size 2000 is larger than configured max size 1000"),
      ),
    ).toEqual({ kind: "size", maxBytes: 1000 });
    expect(
      refusedSubjectOf(
        reply(406, "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'"),
      ),
    ).toEqual({ kind: "user-id", userId: "bob" });
    expect(
      refusedSubjectOf(
        reply(406, 'PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}'),
      ),
    ).toBeUndefined();
  });
});
