import { InvalidArgumentError, Option } from "commander";
import { parseDuration } from "../topology/internal.ts";

// Option values are parsed by commander, before any action runs: a bad value is a usage error
// (commander's message names the option and the value; `main` maps it to exit code 2), never a
// NaN that silently lists nothing.

/** A whole number from `min` to `max` (inclusive). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER
          ? min === 0
            ? "a whole number (0 or more)"
            : min === 1
              ? "a positive whole number"
              : `a whole number of at least ${min}`
          : `a whole number from ${min} to ${max}`;
      throw new InvalidArgumentError(`Expected ${range}.`);
    }
    return n;
  };
}

export const positiveInt = wholeNumber(1);
export const nonNegativeInt = wholeNumber(0);

/** A duration like 30s, 15m, 24h or 7d, in milliseconds. */
export function durationMs(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError("Expected a duration like 30s, 15m, 24h or 7d.");
  return ms;
}

/** An absolute URL with a host (amqp://user:pass@host:5672/vhost, http://host:15672). */
export function absoluteUrl(value: string): string {
  // "host:5672" parses as a URL of scheme "host:"; a server's URL names its host after "//".
  if (!URL.canParse(value) || new URL(value).host === "")
    throw new InvalidArgumentError("Expected an absolute URL like amqp://user:pass@host:5672/vhost.");
  return value;
}

/** `--json`: the command's one JSON document on stdout; its human text goes to stderr. */
export const jsonOption = (): Option =>
  new Option("--json", "print one JSON document on stdout (human text goes to stderr)");
