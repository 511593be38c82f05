/**
 * The one place where the SDK tells broker errors apart. Classification is by the AMQP reply
 * code (and the class/method the broker names), never by an error's message.
 *
 * Two things still read text, both here and nowhere else:
 * - amqplib keeps a close frame's reply code as `error.code` (with `classId`/`methodId`) but its
 *   reply text only inside the message it formats (`<code> (<NAME>) with message "<text>"`);
 *   a refusal during the handshake loses even the code into that message. `amqpReplyOf` reads
 *   that fixed format back, nothing else.
 * - Where RabbitMQ gives one reply code to causes a caller must treat differently, the reply
 *   text is the only thing that tells them apart: 530 NOT_ALLOWED (vhost missing, forbidden,
 *   full or down), 404 NOT_FOUND (a missing queue, or one whose home node is down), 406
 *   PRECONDITION_FAILED on a declare (exists with other arguments, or an invalid argument), and
 *   which message a channel close refused (the code says why, only the text says which). The
 *   functions in the last section read the text of a reply whose code was classified first.
 */

/** AMQP 0-9-1 reply codes (the spec's constants) and their names. */
const REPLY_NAMES = {
  311: "CONTENT_TOO_LARGE",
  312: "NO_ROUTE",
  313: "NO_CONSUMERS",
  320: "CONNECTION_FORCED",
  402: "INVALID_PATH",
  403: "ACCESS_REFUSED",
  404: "NOT_FOUND",
  405: "RESOURCE_LOCKED",
  406: "PRECONDITION_FAILED",
  501: "FRAME_ERROR",
  502: "SYNTAX_ERROR",
  503: "COMMAND_INVALID",
  504: "CHANNEL_ERROR",
  505: "UNEXPECTED_FRAME",
  506: "RESOURCE_ERROR",
  530: "NOT_ALLOWED",
  540: "NOT_IMPLEMENTED",
  541: "INTERNAL_ERROR",
} as const;

/** A reply code the spec defines. */
export type AmqpReplyCode = keyof typeof REPLY_NAMES;
/** Its name, e.g. NOT_FOUND. */
export type AmqpReplyName = (typeof REPLY_NAMES)[AmqpReplyCode];

/**
 * What a reply code means for the operation that got it:
 * - `channel`: a soft error, the broker closed the channel because of that one operation (a
 *   publish, a declare); the connection lives and other operations may succeed;
 * - `connection`: a hard error, the broker closed (or refused) the connection;
 * - `return`: not a close: basic.return of an unroutable mandatory message.
 */
export type AmqpReplyScope = "channel" | "connection" | "return";

/** A classified reply code. */
export interface AmqpReplyClass {
  readonly code: AmqpReplyCode;
  readonly name: AmqpReplyName;
  readonly scope: AmqpReplyScope;
}

const RETURN_CODES: ReadonlySet<number> = new Set([312, 313]);
const SOFT_CODES: ReadonlySet<number> = new Set([311, 403, 404, 405, 406]);

/** The class of a reply code; undefined for one the spec does not define. */
export function classifyReplyCode(code: number): AmqpReplyClass | undefined {
  if (!Object.hasOwn(REPLY_NAMES, code)) return undefined;
  const known = code as AmqpReplyCode;
  const scope = RETURN_CODES.has(code) ? "return" : SOFT_CODES.has(code) ? "channel" : "connection";
  return { code: known, name: REPLY_NAMES[known], scope };
}

/** The broker's reply behind an error: its code, text, and the method it refused when it said. */
export interface AmqpReply {
  readonly replyCode: number;
  readonly replyText: string;
  /** The AMQP class and method the broker refused (60/40: basic.publish); undefined when not given. */
  readonly classId?: number | undefined;
  readonly methodId?: number | undefined;
}

/** The reply format amqplib writes into its errors (lib/format.js closeMessage). */
const AMQPLIB_CLOSE_MESSAGE = /(\d{3}) \([A-Z-]+\) with message "([\s\S]*)"$/;

/**
 * The broker's reply an amqplib error carries (a channel or connection close, a failed operation,
 * a refused handshake), or undefined when the broker said nothing (a lost socket, a timeout, a
 * client-side error).
 */
export function amqpReplyOf(error: unknown): AmqpReply | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const fields = error as { code?: unknown; classId?: unknown; methodId?: unknown; message?: unknown };
  const message = typeof fields.message === "string" ? fields.message : "";
  const formatted = AMQPLIB_CLOSE_MESSAGE.exec(message);
  // amqplib sets `code` on every close; a handshake refusal has the code only in its message.
  const replyCode =
    typeof fields.code === "number" ? fields.code : formatted ? Number(formatted[1]) : undefined;
  if (replyCode === undefined) return undefined;
  // amqplib writes 0/0 when it closed the channel itself and no method was refused.
  const named =
    typeof fields.classId === "number" && fields.classId !== 0 && typeof fields.methodId === "number";
  return {
    replyCode,
    replyText: formatted?.[2] ?? message,
    classId: named ? (fields.classId as number) : undefined,
    methodId: named ? (fields.methodId as number) : undefined,
  };
}

/**
 * The broker closed the channel because of an operation on it (a soft error: 311, 403, 404, 405,
 * 406); undefined for a lost connection, a forced close (320), a hard error or no reply at all.
 */
export function channelRefusalOf(error: unknown): AmqpReply | undefined {
  const reply = amqpReplyOf(error);
  return reply && classifyReplyCode(reply.replyCode)?.scope === "channel" ? reply : undefined;
}

/**
 * amqplib's error when the broker answered connection.open with a connection.close it could not
 * read (over TLS the SDK cannot see the frame): the vhost was refused, the reason is lost.
 */
export function isOpenRefusedWithoutReply(error: unknown): boolean {
  return (
    error instanceof Error && error.message.startsWith("Expected ConnectionOpenOk; got <ConnectionClose")
  );
}

// ---- Causes one reply code does not tell apart: the reply text, read here only. ----

/** Why RabbitMQ answered 530 NOT_ALLOWED to connection.open. */
export type NotAllowedCause = "vhost-not-found" | "vhost-access-refused" | "connection-limit" | "vhost-down";

/**
 * RabbitMQ closes with 530 for a missing vhost ("vhost x not found"), a vhost the user may not
 * use ("access to vhost 'x' refused"), a connection limit ("connection limit (N) is reached")
 * and a vhost whose message store is restarting ("vhost x is down"). The last two may pass.
 * Undefined for any other code.
 */
export function notAllowedCause(reply: AmqpReply): NotAllowedCause | undefined {
  if (reply.replyCode !== 530) return undefined;
  const text = reply.replyText;
  if (/connection limit|limit \(\d+\) is reached/i.test(text)) return "connection-limit";
  if (/ is down/i.test(text)) return "vhost-down";
  if (/not found/i.test(text)) return "vhost-not-found";
  return "vhost-access-refused";
}

/**
 * Why RabbitMQ answered 404 NOT_FOUND: the entity does not exist, or it does but cannot be
 * reached (a classic queue whose home node is down: "home node 'n' of durable queue 'q' in
 * vhost 'v' is down or inaccessible"; declaring it again would not help). Undefined for any
 * other code.
 */
export function notFoundCause(reply: AmqpReply): "missing" | "unreachable" | undefined {
  if (reply.replyCode !== 404) return undefined;
  return /is down or inaccessible|home node/i.test(reply.replyText) ? "unreachable" : "missing";
}

/** An entity exists with other arguments than a declare asked for. */
export interface InequivalentArgument {
  /** The argument that differs (e.g. `x-queue-type`), when the broker named it. */
  readonly argument: string | undefined;
  /** The broker's words without the code's name. */
  readonly detail: string;
}

/**
 * A 406 PRECONDITION_FAILED on a declare is either "inequivalent arg" (the entity exists with
 * other arguments) or an argument the broker refuses outright ("invalid arg"); undefined for
 * the latter and for any other code.
 */
export function inequivalentArgumentOf(reply: AmqpReply): InequivalentArgument | undefined {
  if (reply.replyCode !== 406 || !/inequivalent arg/.test(reply.replyText)) return undefined;
  return {
    argument: /inequivalent arg '([^']+)'/.exec(reply.replyText)?.[1],
    detail: /PRECONDITION_FAILED - (.*)$/s.exec(reply.replyText)?.[1] ?? reply.replyText,
  };
}

/** What a channel close refused, as far as the reply names it: an exchange, a size limit, a user id. */
export type RefusedSubject =
  | { readonly kind: "exchange"; readonly exchange: string }
  | { readonly kind: "size"; readonly maxBytes: number }
  | { readonly kind: "user-id"; readonly userId: string };

/**
 * A broker closes a publishing channel because of one message but names it only in the reply
 * text: the exchange (404 no exchange, 403 access to exchange, 403 internal exchange), the size
 * limit (406 message size … larger than max size) or the user id (406 user_id property).
 * Undefined when the text names nothing a message carries.
 */
export function refusedSubjectOf(reply: AmqpReply): RefusedSubject | undefined {
  const text = reply.replyText;
  const exchange =
    /no exchange '([^']*)' in vhost/.exec(text)?.[1] ??
    /access to exchange '([^']*)' in vhost/.exec(text)?.[1] ??
    /internal exchange '([^']*)'/.exec(text)?.[1];
  if (exchange !== undefined) return { kind: "exchange", exchange };
  const size = /message size (\d+) is larger than (?:configured )?max size (\d+)/.exec(text);
  if (size) return { kind: "size", maxBytes: Number(size[2]) };
  const userId = /user_id property set to '([^']*)'/.exec(text)?.[1];
  if (userId !== undefined) return { kind: "user-id", userId };
  return undefined;
}
