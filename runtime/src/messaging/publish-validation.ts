import type { Options } from "amqplib";
import { InvalidPublishOptionError } from "./errors.ts";

/**
 * Checks, before a message is sent, what the broker would refuse by closing the channel (which
 * fails every message in flight on it) or what amqplib would fail to encode: so a bad message
 * fails alone, at once, saying which option was wrong. Pure; only the options a caller set are
 * looked at, so a default publish pays nothing here.
 */

/** AMQP short strings (exchange, routing key, message id…) hold at most 255 bytes of UTF-8. */
const SHORTSTR_BYTES = 255;

/**
 * @throws {@link InvalidPublishOptionError} naming the option.
 */
export function checkShortString(option: string, value: string): void {
  // A UTF-16 code unit takes at most 3 bytes: most strings pass without being measured.
  if (value.length * 3 > SHORTSTR_BYTES && Buffer.byteLength(value) > SHORTSTR_BYTES) {
    throw new InvalidPublishOptionError(
      option,
      `${Buffer.byteLength(value)} bytes; AMQP allows ${SHORTSTR_BYTES}`,
    );
  }
}

/** Per-message TTL: RabbitMQ takes a non-negative integer number of milliseconds, as a string. */
export function expirationOf(expirationMs: unknown): string {
  if (typeof expirationMs !== "number" || !Number.isSafeInteger(expirationMs) || expirationMs < 0) {
    throw new InvalidPublishOptionError(
      "expirationMs",
      `${String(expirationMs)} is not a non-negative integer number of milliseconds`,
    );
  }
  return String(expirationMs);
}

/** Priority is an AMQP octet; queues use 0..255 (a queue's x-max-priority caps it further). */
export function checkPriority(priority: unknown): void {
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0 || priority > 255) {
    throw new InvalidPublishOptionError("priority", `${String(priority)} is not an integer from 0 to 255`);
  }
}

/**
 * Header values AMQP field tables can carry as amqplib encodes them: strings, finite numbers,
 * booleans, null, Buffers, arrays and nested tables of these, and amqplib's typed values
 * (`{ "!": "timestamp", value: … }`). undefined is left out by amqplib, as in JSON.
 */
export function checkHeaders(headers: unknown, path = "headers"): void {
  if (headers === null || typeof headers !== "object" || Array.isArray(headers)) {
    throw new InvalidPublishOptionError(path, "is not a table (a plain object)");
  }
  for (const key of Object.keys(headers)) {
    const where = `${path}.${key}`;
    const value = (headers as Record<string, unknown>)[key];
    checkShortString(`${where} (name)`, key);
    checkFieldValue(value, where);
    // Sender-selected distribution: RabbitMQ closes the channel when CC or BCC (top level) is
    // anything but an array ("unacceptable_type_in_header").
    if (
      path === "headers" &&
      (key === "CC" || key === "BCC") &&
      value !== undefined &&
      !Array.isArray(value)
    ) {
      throw new InvalidPublishOptionError(where, "must be an array of routing keys (strings)");
    }
  }
}

function checkFieldValue(value: unknown, where: string): void {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return;
    case "number":
      if (!Number.isFinite(value))
        throw new InvalidPublishOptionError(where, `${value} is not a finite number`);
      return;
    case "object":
      if (value === null || Buffer.isBuffer(value)) return;
      if (Array.isArray(value)) {
        value.forEach((item, i) => checkFieldValue(item, `${where}[${i}]`));
        return;
      }
      if (Object.hasOwn(value, "!")) return; // amqplib's typed value; amqplib checks it
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new InvalidPublishOptionError(
          where,
          `a ${value.constructor?.name ?? "class instance"} is not an AMQP field value (use a string, number, boolean, Buffer, array or plain object)`,
        );
      }
      checkHeaders(value, where);
      return;
    default:
      throw new InvalidPublishOptionError(where, `a ${typeof value} is not an AMQP field value`);
  }
}

/**
 * Checks the properties of a message published as is (publishRaw): what the caller set that
 * the broker or amqplib would refuse.
 */
export function checkProperties(properties: Options.Publish): void {
  if (properties.expiration !== undefined) {
    const text = String(properties.expiration);
    if (!/^(0|[1-9]\d*)$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new InvalidPublishOptionError(
        "expiration",
        `'${text}' is not a non-negative integer number of milliseconds`,
      );
    }
  }
  if (properties.priority !== undefined) checkPriority(properties.priority);
  if (properties.headers !== undefined) checkHeaders(properties.headers);
  for (const name of [
    "messageId",
    "correlationId",
    "replyTo",
    "type",
    "userId",
    "appId",
    "contentType",
    "contentEncoding",
  ] as const) {
    const value = properties[name];
    if (typeof value === "string") checkShortString(name, value);
  }
}
