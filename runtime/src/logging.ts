import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/**
 * The SDK's logger. Credentials can reach a log line through URLs and option objects, so the
 * usual carriers are redacted at the source rather than trusted to every call site.
 */
export function createLogger(options: { name: string; level?: string } = { name: "aios" }): Logger {
  // The CLI keeps stdout for its results and sets AIOS_LOG_DESTINATION=stderr.
  const destination = pino.destination(process.env.AIOS_LOG_DESTINATION === "stderr" ? 2 : 1);
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
    },
    destination,
  );
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
