import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/**
 * The SDK's logger. Credentials can reach a log line through URLs and option objects, so the
 * usual carriers are redacted at the source rather than trusted to every call site.
 */
export function createLogger(options: { name: string; level?: string } = { name: "aios" }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.AIOS_LOG_LEVEL ?? "info",
      redact: {
        paths: [
          "password",
          "secretKey",
          "accessKey",
          "*.password",
          "*.secretKey",
          "*.accessKey",
          "headers.authorization",
        ],
        censor: "[redacted]",
      },
      // `err` keeps the class, code, stack and cause of an Error, not only its message.
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    destinationFor(process.env.AIOS_LOG_DESTINATION === "stderr" ? 2 : 1),
  );
}

// One destination per file descriptor for the whole process: a logger per object (every
// publisher, consumer, store…) must not open a stream (and an exit handler) of its own.
const destinations = new Map<number, ReturnType<typeof pino.destination>>();

function destinationFor(fd: 1 | 2): ReturnType<typeof pino.destination> {
  let destination = destinations.get(fd);
  if (!destination) {
    destination = pino.destination(fd);
    destinations.set(fd, destination);
  }
  return destination;
}

/** Removes the user-info part of a URL so it can be logged or put in an error message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}
