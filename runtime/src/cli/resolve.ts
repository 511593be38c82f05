import { AiosError } from "../errors.ts";

/** Every `code` an error of the CLI itself can carry. */
export type CliErrorCode = "CLI_AMBIGUOUS_ARGUMENT" | "CLI_NO_MATCH";

/**
 * An argument that names more than one thing (a commit prefix several commits start with, an
 * agent type several queues serve). Nothing is done; `candidates` lists what it could mean, so
 * the caller can say which.
 */
export class AmbiguousArgumentError extends AiosError<CliErrorCode> {
  readonly argument: string;
  readonly candidates: readonly string[];

  constructor(what: string, argument: string, candidates: readonly string[]) {
    super(
      "CLI_AMBIGUOUS_ARGUMENT",
      `${what} '${argument}' is ambiguous: it matches ${candidates.length}; give more of it:\n` +
        candidates.map((candidate) => `  ${candidate}`).join("\n"),
    );
    this.argument = argument;
    this.candidates = candidates;
  }
}

/** An argument that names nothing there is (no commit starts with the prefix). */
export class NoMatchError extends AiosError<CliErrorCode> {
  readonly argument: string;

  constructor(what: string, argument: string, where: string) {
    super("CLI_NO_MATCH", `no ${what} of ${where} matches '${argument}'`);
    this.argument = argument;
  }
}

/**
 * The one candidate `argument` names: exactly equal, or else the only one it is a prefix of.
 *
 * @throws {@link AmbiguousArgumentError} when it is a prefix of several.
 * @throws {@link NoMatchError} when it matches none.
 */
export function resolvePrefix(
  what: string,
  argument: string,
  candidates: Iterable<string>,
  where: string,
): string {
  const matches: string[] = [];
  for (const candidate of candidates) {
    if (candidate === argument) return candidate;
    if (candidate.startsWith(argument)) matches.push(candidate);
  }
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) throw new NoMatchError(what, argument, where);
  throw new AmbiguousArgumentError(what, argument, matches);
}
