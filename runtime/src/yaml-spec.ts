import { readFile } from "node:fs/promises";
import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from "yaml";
import type { z } from "zod";

/** One problem in a YAML spec file: the path inside the document and where it is (1-based). */
export interface YamlSpecProblem {
  readonly path: string;
  readonly line: number | undefined;
  readonly column?: number | undefined;
  readonly message: string;
}

/**
 * How many alias expansions a spec may cause. A spec needs few or none; a "billion laughs"
 * document (aliases of aliases) would otherwise expand into gigabytes when converted.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses a YAML spec and validates it with a zod schema. Shared by the topology and storage
 * specs so that both point at the same thing when they fail: file, path in the document, line
 * and column.
 */
export class YamlSpecDocument {
  readonly #lines = new LineCounter();
  readonly #document: Document.Parsed;

  constructor(text: string) {
    this.#document = parseDocument(text, { lineCounter: this.#lines, prettyErrors: true });
  }

  syntaxProblem(): YamlSpecProblem | undefined {
    const error = this.#document.errors[0];
    if (!error) return undefined;
    return {
      path: "",
      line: error.linePos?.[0].line,
      column: error.linePos?.[0].col,
      message: `YAML syntax: ${error.message.split("\n")[0]}`,
    };
  }

  parse<S extends z.ZodType>(
    schema: S,
  ): { ok: true; value: z.output<S> } | { ok: false; problem: YamlSpecProblem } {
    let data: unknown;
    try {
      data = this.#document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      // The yaml package throws a plain ReferenceError for an alias bomb (and for aliases that
      // cannot be resolved); it becomes a problem of the file like any other.
      return { ok: false, problem: this.#aliasProblem(error) };
    }
    const result = schema.safeParse(data);
    if (result.success) return { ok: true, value: result.data };
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []).filter((key): key is string | number => typeof key !== "symbol");
    if (issue?.code === "unrecognized_keys") {
      // zod reports unknown keys at the object that holds them; point at the first key itself.
      const [key] = issue.keys;
      const keys = issue.keys.map((k) => `'${k}'`).join(", ");
      const message = `unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}`;
      return {
        ok: false,
        problem: this.problemAt(key === undefined ? path : [...path, key], message, { key: true }),
      };
    }
    return { ok: false, problem: this.problemAt(path, issue?.message ?? "invalid value") };
  }

  /**
   * Where `path` is in the file: its value's position, or with `key` the position of its key.
   * A path that does not exist (a missing key) points at the deepest node that does.
   */
  problemAt(
    path: readonly (string | number)[],
    message: string,
    options: { readonly key?: boolean } = {},
  ): YamlSpecProblem {
    const node = this.#locate(path, options.key ?? false);
    const position = node?.range ? this.#lines.linePos(node.range[0]) : undefined;
    return { path: formatPath(path), line: position?.line, column: position?.col, message };
  }

  #locate(path: readonly (string | number)[], preferKey: boolean): Node | undefined {
    let node: unknown = this.#document.contents;
    let found: Node | undefined = isNode(node) ? node : undefined;
    for (const [depth, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.#document);
      const last = depth === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) break;
        const value = pair.value;
        const valueNode = isNode(value) && value.range ? value : undefined;
        const keyNode = isNode(pair.key) ? pair.key : found;
        found = (last && preferKey) || !valueNode ? keyNode : valueNode;
        node = value;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment];
        if (!isNode(item)) break;
        found = item;
        node = item;
      } else {
        break;
      }
    }
    return found;
  }

  #aliasProblem(error: unknown): YamlSpecProblem {
    let alias: Node | undefined;
    visit(this.#document, {
      Alias(_, node) {
        alias = node;
        return visit.BREAK;
      },
    });
    const position = alias?.range ? this.#lines.linePos(alias.range[0]) : undefined;
    const reason = error instanceof Error ? error.message : String(error);
    return {
      path: "",
      line: position?.line,
      column: position?.col,
      message: `YAML aliases: ${reason} (at most ${MAX_ALIAS_COUNT} alias expansions are allowed)`,
    };
  }
}

/** `queues[2].bindings[0].exchange` */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
}

/** `file:line:column`, as far as it is known. */
export function formatLocation(file: string, line: number | undefined, column: number | undefined): string {
  if (line === undefined) return file;
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

/** Reads a spec file; an unreadable one becomes the caller's typed error, naming the file. */
export async function readSpecFile(
  path: string,
  toError: (problem: YamlSpecProblem & { file: string }) => Error,
): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw toError({
      file: path,
      path: "",
      line: undefined,
      message: `cannot read the file: ${(error as Error).message}`,
    });
  }
}
