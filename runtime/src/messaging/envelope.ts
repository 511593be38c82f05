import { randomUUID } from "node:crypto";
import { z } from "zod";
import { MessageTooLargeError, SchemaValidationError, SerializationError } from "./errors.ts";
import { utf8Concat } from "./utf8-slab.ts";

/**
 * Every message body is a versioned JSON envelope, so a consumer can tell a message it cannot
 * read (wrong version, not JSON) from a payload its handler rejects. The version lives in the
 * envelope's `v`, not in the content type: see PUBLISH_PROPERTIES_BUDGET in publisher.ts.
 */
export const ENVELOPE_CONTENT_TYPE = "application/json";

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

/** RabbitMQ 4.x's default max_message_size is 16 MiB (3.x: 128 MiB); stay under both. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface EncodeOptions<T> {
  readonly type: string;
  readonly id?: string | undefined;
  readonly source?: string | undefined;
  readonly schema?: z.ZodType<T> | undefined;
  readonly maxBytes?: number | undefined;
}

export function encodeEnvelope<T>(
  data: T,
  options: EncodeOptions<T>,
): { envelope: Envelope<T>; body: Buffer } {
  if (options.schema) {
    const result = options.schema.safeParse(data);
    if (!result.success) throw new SchemaValidationError(options.type, zodIssues(result.error));
  }
  const id = options.id ?? randomUUID();
  const time = isoNow();
  const { type, source } = options;
  const envelope: Envelope<T> =
    source === undefined ? { v: 1, id, type, time, data } : { v: 1, id, type, time, source, data };
  let payload: string | undefined;
  try {
    payload = JSON.stringify(data) as string | undefined;
  } catch (error) {
    // BigInt and circular structures land here; say which, not just "TypeError".
    throw serializationError(options.type, (error as Error).message, error);
  }
  if (payload === undefined) throw serializationError(options.type, `${typeof data} is not a JSON value`);
  // Only the payload needs the general serializer; the envelope around it is written out.
  const head =
    `{"v":1,"id":${JSON.stringify(envelope.id)},"type":${JSON.stringify(envelope.type)},"time":"${envelope.time}"` +
    `${envelope.source === undefined ? "" : `,"source":${JSON.stringify(envelope.source)}`},"data":`;
  const body = utf8Concat(head, payload, "}");
  const limit = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (body.length > limit) throw new MessageTooLargeError(body.length, limit);
  return { envelope, body };
}

function serializationError(type: string, reason: string, cause?: unknown): SerializationError {
  return new SerializationError(`payload of message type '${type}' cannot be serialized to JSON: ${reason}`, {
    cause,
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
