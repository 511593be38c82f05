import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import amqp, { type ChannelModel } from "amqplib";
import { amqpReplyOf, isOpenRefusedWithoutReply, notAllowedCause } from "./amqp-reply.ts";

/** The reply code and text of the `connection.close` a broker sent instead of opening the connection. */
export interface AmqpCloseReply {
  readonly replyCode: number;
  readonly replyText: string;
}

/** Why a broker refused a connection during the handshake; retrying helps only for `transient`. */
export type HandshakeRefusal =
  | {
      readonly kind: "credentials" | "vhost-not-found" | "vhost-access-refused" | "transient";
      readonly reply: AmqpCloseReply;
    }
  | { readonly kind: "vhost-refused"; readonly reply: undefined };

const closeReplies = new WeakMap<object, AmqpCloseReply>();

/**
 * `amqp.connect`, but a refusal during the handshake keeps the broker's reply. amqplib drops the
 * reply code and text of a `connection.close` sent in answer to `connection.open` (a missing vhost
 * or a vhost the user may not use reads only "Expected ConnectionOpenOk; got <ConnectionClose…>"),
 * so the bytes of the handshake are read beside it, from the socket Node announces on the
 * `net.client.socket` diagnostics channel, until the connection opens or fails.
 */
export async function connectAmqp(
  url: string,
  socketOptions?: Parameters<typeof amqp.connect>[1],
): Promise<ChannelModel> {
  const reader = new CloseFrameReader();
  let socket: Socket | undefined;
  const onData = (chunk: Buffer) => reader.push(chunk);
  // amqplib creates its socket synchronously inside amqp.connect(), so the subscription is
  // removed before any other code of this process can open a socket.
  const onSocket = (message: unknown) => {
    socket ??= (message as { socket: Socket }).socket;
  };
  subscribe("net.client.socket", onSocket);
  let pending: Promise<ChannelModel>;
  try {
    pending = amqp.connect(url, socketOptions);
  } finally {
    unsubscribe("net.client.socket", onSocket);
  }
  // A 'data' listener beside amqplib's 'readable' one sees each chunk amqplib reads, and does
  // not change how the stream flows ('readable' keeps control).
  socket?.on("data", onData);
  try {
    return await pending;
  } catch (error) {
    if (reader.reply && typeof error === "object" && error !== null) closeReplies.set(error, reader.reply);
    throw error;
  } finally {
    socket?.off("data", onData);
  }
}

/** The broker's close reply behind an error from `connectAmqp`, when it sent one. */
export function closeReplyOf(error: unknown): AmqpCloseReply | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const recorded = closeReplies.get(error);
  if (recorded) return recorded;
  // amqplib keeps the reply (in its message) when the broker closes before connection.open.
  const reply = amqpReplyOf(error);
  return reply ? { replyCode: reply.replyCode, replyText: reply.replyText } : undefined;
}

/**
 * Classifies a failed connect by the broker's AMQP reply code (403 ACCESS_REFUSED: the login;
 * 530 NOT_ALLOWED: the vhost, its cause told apart in amqp-reply.ts). Undefined when the broker
 * refused nothing (network errors, timeouts): those are worth a retry.
 */
export function classifyHandshakeRefusal(error: unknown): HandshakeRefusal | undefined {
  const reply = closeReplyOf(error);
  if (reply) {
    const kind = refusalKind(reply);
    return kind ? { kind, reply } : undefined;
  }
  // The reply could not be read (e.g. over TLS): a close in answer to connection.open is still a
  // refusal of the vhost, only without the broker's words.
  return isOpenRefusedWithoutReply(error) ? { kind: "vhost-refused", reply: undefined } : undefined;
}

/** The cause of a close reply: RabbitMQ's 403 is the login, its 530 the vhost (missing, forbidden, full or down). */
export function refusalKind(
  reply: AmqpCloseReply,
): "credentials" | "vhost-not-found" | "vhost-access-refused" | "transient" | undefined {
  if (reply.replyCode === 403) return "credentials";
  // A connection limit and a vhost that is down (its message store restarting) may pass: retried.
  switch (notAllowedCause(reply)) {
    case "connection-limit":
    case "vhost-down":
      return "transient";
    case "vhost-not-found":
      return "vhost-not-found";
    case "vhost-access-refused":
      return "vhost-access-refused";
    case undefined:
      return undefined;
  }
}

/** Finds a `connection.close` (class 10, method 50) on channel 0 in the bytes the broker sent. */
export class CloseFrameReader {
  #buffer = Buffer.alloc(0);
  reply: AmqpCloseReply | undefined;

  push(chunk: Buffer): void {
    // The handshake is a few hundred bytes; anything bigger is not a handshake worth reading.
    if (this.reply || this.#buffer.length > 65_536) return;
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    // Frame: type (1), channel (2), size (4), payload (size), frame-end 0xCE.
    while (this.#buffer.length >= 7) {
      const size = this.#buffer.readUInt32BE(3);
      if (this.#buffer.length < 8 + size) return;
      const type = this.#buffer[0];
      const channel = this.#buffer.readUInt16BE(1);
      if (type === 1 && channel === 0 && size >= 7) {
        const payload = this.#buffer.subarray(7, 7 + size);
        if (payload.readUInt16BE(0) === 10 && payload.readUInt16BE(2) === 50) {
          const length = payload[6] ?? 0;
          this.reply = {
            replyCode: payload.readUInt16BE(4),
            replyText: payload.toString("utf8", 7, Math.min(7 + length, payload.length)),
          };
          return;
        }
      }
      this.#buffer = this.#buffer.subarray(8 + size);
    }
  }
}
