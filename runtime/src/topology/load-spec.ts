import { readSpecFile, YamlSpecDocument } from "../yaml-spec.ts";
import { TopologySpecError } from "./errors.ts";
import type { ResolvedTopology, TopologyOverrides } from "./model.ts";
import { resolveTopology } from "./resolve.ts";
import { TopologySpecSchema } from "./spec-schema.ts";
import { validateTopology } from "./validate.ts";

/** How a topology spec is parsed: the file name errors cite, and per-environment overrides. */
export interface ParseTopologyOptions {
  /** Named in errors; defaults to `messaging.yaml`. */
  readonly file?: string;
  readonly overrides?: TopologyOverrides;
}

/**
 * Parses, validates and resolves a topology spec. Refuses what RabbitMQ would refuse (integer
 * ranges, short-string lengths), alias bombs and unknown keys.
 *
 * @throws {@link TopologySpecError} naming the file, the path in the document, its line and column; never
 *   another error, whatever the text.
 */
export function parseTopologySpec(text: string, options: ParseTopologyOptions = {}): ResolvedTopology {
  const file = options.file ?? "messaging.yaml";
  const document = new YamlSpecDocument(text);
  const syntax = document.syntaxProblem();
  if (syntax) throw new TopologySpecError({ file, ...syntax });
  const parsed = document.parse(TopologySpecSchema);
  if (!parsed.ok) throw new TopologySpecError({ file, ...parsed.problem });
  const [issue] = validateTopology(parsed.value, options.overrides);
  if (issue) throw new TopologySpecError({ file, ...document.problemAt(issue.path, issue.message) });
  return resolveTopology(parsed.value, options.overrides);
}

/**
 * Reads and parses a topology spec file (see parseTopologySpec).
 *
 * @throws {@link TopologySpecError} naming the file, also when it cannot be read.
 */
export async function loadTopologySpec(
  path: string,
  options: { readonly overrides?: TopologyOverrides } = {},
): Promise<ResolvedTopology> {
  const text = await readSpecFile(path, (problem) => new TopologySpecError(problem));
  return parseTopologySpec(text, { file: path, ...options });
}
