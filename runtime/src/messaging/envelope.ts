import { randomUUID } from "node:crypto";
import { z } from "zod";
import { MessageTooLargeError, SchemaValidationError, SerializationError } from "./errors.ts";
import { utf8Concat } from "./utf8-slab.ts";

/**
 * Every message body is a versioned JSON envelope, so a consumer can tell a message it cannot
 * read (wrong version, not JSON) from a payload its handler rejects. The version lives in the
 * envelope's `v`, not in the content type: see PUBLISH_PROPERTIES_BUDGET in outgoing-message.ts.
 */
export const ENVELOPE_CONTENT_TYPE = "application/json";

/** The JSON envelope every message carries: version, id, type, time, source and the payload. */
export interface Envelope<T = unknown> {
  readonly v: 1;
  readonly id: string;
  readonly type: string;
  readonly time: string;
  readonly source?: string | undefined;
  readonly data: T;
}

const EnvelopeSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  type: z.string().min(1),
  time: z.string(),
  source: z.string().optional(),
  data: z.unknown(),
});

/**
 * RabbitMQ 4.x's default `max_message_size` is 16 MiB (3.x: 128 MiB). A larger default would
 * let a 4.x broker refuse the message by closing the channel, which fails every message in
 * flight beside it; under both, the check is ours and the error says which limit. Raise it
 * (and the broker's) for bigger messages, or better, put big blobs in object storage and send
 * their key.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * A Buffer, typed array or ArrayBuffer payload travels as its bytes, not as JSON (a Buffer's
 * JSON is an array of numbers, 2–4 times its size): the body is the bytes, the content type
 * this one, and the envelope's fields go into these headers.
 */
export const BINARY_CONTENT_TYPE = "application/octet-stream";
export const BINARY_HEADERS = {
  v: "x-aios-v",
  type: "x-aios-type",
  time: "x-aios-time",
  source: "x-aios-source",
} as const;

export interface EncodeOptions<T> {
  readonly type: string;
  readonly id?: string | undefined;
  readonly source?: string | undefined;
  readonly schema?: z.ZodType<T> | undefined;
  readonly maxBytes?: number | undefined;
}

export interface EncodedMessage<T> {
  readonly envelope: Envelope<T>;
  readonly body: Buffer;
  /** true: `body` is the payload's bytes; the envelope's fields go in BINARY_HEADERS. */
  readonly binary: boolean;
}

/**
 * Wraps `data` in a v1 envelope and encodes it. Binary payloads (Buffer, typed array,
 * ArrayBuffer) are carried as bytes (see BINARY_CONTENT_TYPE); anything else as JSON.
 *
 * @throws {@link SchemaValidationError} the payload does not match `schema`.
 * @throws {@link SerializationError} JSON cannot carry the payload exactly (undefined, NaN, Infinity,
 *   a function, a symbol, a BigInt, a Map or Set, binary data nested in JSON, a cycle); the
 *   error's `path` names the value, e.g. `$.a.b[2]`.
 * @throws {@link MessageTooLargeError} the message exceeds `maxBytes` (default DEFAULT_MAX_MESSAGE_BYTES),
 *   found before the payload was serialized whole.
 * @example
 * const { body } = encodeEnvelope({ task: "review" }, { type: "reviewer.review" });
 */
export function encodeEnvelope<T>(data: T, options: EncodeOptions<T>): EncodedMessage<T> {
  if (options.schema) {
    const result = options.schema.safeParse(data);
    if (!result.success) throw new SchemaValidationError(options.type, zodIssues(result.error));
  }
  const limit = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const id = options.id ?? randomUUID();
  const time = isoNow();
  const { type, source } = options;
  const envelope: Envelope<T> =
    source === undefined ? { v: 1, id, type, time, data } : { v: 1, id, type, time, source, data };
  const bytes = binaryOf(data);
  if (bytes !== undefined) {
    // Checked before anything is copied or encoded: a 120 MiB Buffer costs nothing here.
    if (bytes.length > limit) throw new MessageTooLargeError(bytes.length, limit);
    return { envelope, body: bytes, binary: true };
  }
  // A string's UTF-8 is at least as long as the string: refused before it is escaped.
  if (typeof data === "string" && data.length > limit) {
    throw new MessageTooLargeError(`at least ${data.length}`, limit);
  }
  const payload = serializePayload(data, options.type, limit);
  // Only the payload needs the general serializer; the envelope around it is written out.
  const head =
    `{"v":1,"id":${JSON.stringify(envelope.id)},"type":${JSON.stringify(envelope.type)},"time":"${envelope.time}"` +
    `${envelope.source === undefined ? "" : `,"source":${JSON.stringify(envelope.source)}`},"data":`;
  const body = utf8Concat(head, payload, "}");
  if (body.length > limit) throw new MessageTooLargeError(body.length, limit);
  return { envelope, body, binary: false };
}

/** The bytes of a binary payload (no copy), or undefined when the payload is not binary. */
function binaryOf(data: unknown): Buffer | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  if (Buffer.isBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return undefined;
}

/** Stops the check at the first value JSON would lose, or at the size limit (reason ""). */
class Stop {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** Beyond this depth the check trusts JSON.stringify (which also reports a cycle). */
const MAX_CHECKED_DEPTH = 1000;

// The walk's byte budget: module state, as the walk is synchronous (one argument less per call).
let budget = 0;

/**
 * Walks the payload the way JSON.stringify will (toJSON first, own enumerable keys), before it
 * does: a value JSON cannot carry exactly stops it, and so does a payload whose strings and
 * values add up past the size limit (every string costs at least its length in UTF-8, every
 * other value at least a byte), so no payload makes the serializer build more than a few times
 * the limit. A plain walk in JS costs a fraction of a JSON.stringify replacer (which calls back
 * from C++ for every value and loses V8's fast path). Cheapest checks first.
 */
function check(value: unknown, depth: number): void {
  switch (typeof value) {
    case "string":
      budget -= value.length;
      break;
    case "number":
      if (value - value !== 0) throw new Stop(`${value} is not a JSON number (it would become null)`);
      budget--;
      break;
    case "boolean":
      budget--;
      break;
    case "object":
      budget--;
      if (value !== null && depth < MAX_CHECKED_DEPTH) checkObject(value, depth + 1);
      break;
    default:
      throw new Stop(problemOf(value) as string);
  }
  if (budget < 0) throw new Stop("");
}

function checkObject(value: object, depth: number): void {
  if (Array.isArray(value)) {
    // A hole reads as undefined: refused like one.
    for (let i = 0; i < value.length; i++) check(value[i], depth);
    return;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    if (ArrayBuffer.isView(value)) throw new Stop(problemOf(value) as string);
    const json = (value as { toJSON(key: string): unknown }).toJSON("");
    // A Date's string; anything else is checked like the value it stands for.
    if (typeof json === "string") budget -= json.length;
    else check(json, depth);
    return;
  }
  const problem = problemOf(value);
  if (problem !== undefined) throw new Stop(problem);
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) check((value as Record<string, unknown>)[keys[i] as string], depth);
}

/** What JSON would lose of this one value (children not looked at), or undefined. */
function problemOf(value: unknown): string | undefined {
  switch (typeof value) {
    case "number":
      return value - value !== 0 ? `${value} is not a JSON number (it would become null)` : undefined;
    case "undefined":
      return "undefined (it would be dropped, or become null in an array)";
    case "bigint":
      return "a BigInt (JSON has no BigInt; send it as a string)";
    case "function":
    case "symbol":
      return `a ${typeof value} (it would be dropped)`;
    case "object":
      if (value === null || Array.isArray(value)) return undefined;
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        return "binary data inside a JSON payload (it would become an array of numbers); publish the bytes as the whole payload, or encode them as base64";
      }
      if (value instanceof Map || value instanceof Set) {
        return `a ${value instanceof Map ? "Map" : "Set"} (it would become {})`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function serializePayload(data: unknown, type: string, limit: number): string {
  budget = limit;
  try {
    check(data, 0);
  } catch (error) {
    if (!(error instanceof Stop)) throw serializationError(type, (error as Error).message, error);
    if (error.reason === "") throw new MessageTooLargeError(`more than ${limit}`, limit);
    const path = pathOfFirstProblem(data) ?? "$";
    throw serializationError(type, `${path} is ${error.reason}`, undefined, path);
  }
  try {
    return JSON.stringify(data);
  } catch (error) {
    // Circular structures land here; say which, not just "TypeError".
    throw serializationError(type, (error as Error).message, error);
  }
}

/**
 * Finds where the check stopped, on the slow path only (after a failure): walks the payload the
 * same way and returns the JSONPath of the first value JSON would lose.
 */
function pathOfFirstProblem(root: unknown): string | undefined {
  const seen = new Set<object>();
  const visit = (original: unknown, path: string, depth: number): string | undefined => {
    let value = original;
    if (problemOf(value) !== undefined) return path;
    if (value === null || typeof value !== "object" || depth > MAX_CHECKED_DEPTH || seen.has(value)) {
      return undefined;
    }
    seen.add(value);
    if (!Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON === "function") {
      value = (value as { toJSON(key: string): unknown }).toJSON("");
      if (problemOf(value) !== undefined) return path;
      if (value === null || typeof value !== "object") return undefined;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const found = visit(value[i], `${path}[${i}]`, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(value)) {
      const step = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      const found = visit((value as Record<string, unknown>)[key], `${path}${step}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return visit(root, "$", 0);
}

function serializationError(
  type: string,
  reason: string,
  cause?: unknown,
  path?: string,
): SerializationError {
  return new SerializationError(`payload of message type '${type}' cannot be serialized to JSON: ${reason}`, {
    cause,
    ...(path === undefined ? {} : { path }),
  });
}

let isoMs = 0;
let isoText = "";
/** The current time as ISO 8601, formatted once per millisecond however many messages share it. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

export type DecodeResult<T> =
  | { readonly ok: true; readonly envelope: Envelope<T> }
  | { readonly ok: false; readonly reason: "unparseable" | "schema-invalid"; readonly error: string };

export function decodeEnvelope<T>(body: Buffer, schema?: z.ZodType<T>): DecodeResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return { ok: false, reason: "unparseable", error: `body is not JSON: ${(error as Error).message}` };
  }
  // The common case is checked by hand (this runs for every message); zod only explains a failure.
  const envelope = isEnvelope(raw) ? ({ success: true, data: raw } as const) : EnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    const issue = zodIssues(envelope.error)[0];
    return {
      ok: false,
      reason: "unparseable",
      error: `not an AIOS v1 envelope: ${issue?.path}: ${issue?.message}`,
    };
  }
  if (!schema) return { ok: true, envelope: envelope.data as Envelope<T> };
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) {
    const issue = zodIssues(data.error)[0];
    return { ok: false, reason: "schema-invalid", error: `${issue?.path || "(root)"}: ${issue?.message}` };
  }
  return { ok: true, envelope: { ...envelope.data, data: data.data } as Envelope<T> };
}

/** The AMQP properties decodeMessage reads: content type and headers. */
export interface MessageProperties {
  readonly contentType?: string | undefined;
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
  readonly messageId?: string | undefined;
}

/**
 * Decodes a consumed message: a binary one (BINARY_CONTENT_TYPE with the envelope in
 * BINARY_HEADERS) gives an envelope whose `data` is the body, a Buffer; anything else is read
 * as a JSON envelope (decodeEnvelope). Never throws: a body it cannot read is `ok: false`.
 */
export function decodeMessage<T>(
  body: Buffer,
  properties: MessageProperties | undefined,
  schema?: z.ZodType<T>,
): DecodeResult<T> {
  if (properties?.contentType !== BINARY_CONTENT_TYPE) return decodeEnvelope(body, schema);
  const headers = properties.headers ?? {};
  const type = headers[BINARY_HEADERS.type];
  const time = headers[BINARY_HEADERS.time];
  const source = headers[BINARY_HEADERS.source];
  const id = properties.messageId;
  if (
    headers[BINARY_HEADERS.v] !== 1 ||
    typeof type !== "string" ||
    type === "" ||
    typeof time !== "string" ||
    typeof id !== "string" ||
    id === "" ||
    (source !== undefined && typeof source !== "string")
  ) {
    return {
      ok: false,
      reason: "unparseable",
      error: `a binary message needs headers ${Object.values(BINARY_HEADERS).join(", ")} (v1) and a message id`,
    };
  }
  const envelope = { v: 1 as const, id, type, time, ...(source === undefined ? {} : { source }), data: body };
  if (!schema) return { ok: true, envelope: envelope as Envelope<T> };
  const data = schema.safeParse(body);
  if (!data.success) {
    const issue = zodIssues(data.error)[0];
    return { ok: false, reason: "schema-invalid", error: `${issue?.path || "(root)"}: ${issue?.message}` };
  }
  return { ok: true, envelope: { ...envelope, data: data.data } };
}

function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    e.v === 1 &&
    typeof e.id === "string" &&
    e.id.length > 0 &&
    typeof e.type === "string" &&
    e.type.length > 0 &&
    typeof e.time === "string" &&
    (e.source === undefined || typeof e.source === "string") &&
    "data" in e
  );
}
