import { readFile } from "node:fs/promises";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";

/** One problem in a YAML spec file: the path inside the document and the line it is on. */
export interface YamlSpecProblem {
  readonly path: string;
  readonly line: number | undefined;
  readonly message: string;
}

/**
 * Parses a YAML spec and validates it with a zod schema. Shared by the topology and storage
 * specs so that both point at the same thing when they fail: file, path in the document, line.
 */
export class YamlSpecDocument {
  readonly #lines = new LineCounter();
  readonly #document;

  constructor(text: string) {
    this.#document = parseDocument(text, { lineCounter: this.#lines, prettyErrors: true });
  }

  syntaxProblem(): YamlSpecProblem | undefined {
    const error = this.#document.errors[0];
    if (!error) return undefined;
    return {
      path: "",
      line: error.linePos?.[0].line,
      message: `YAML syntax: ${error.message.split("\n")[0]}`,
    };
  }

  parse<S extends z.ZodType>(
    schema: S,
  ): { ok: true; value: z.output<S> } | { ok: false; problem: YamlSpecProblem } {
    const result = schema.safeParse(this.#document.toJS());
    if (result.success) return { ok: true, value: result.data };
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []).filter((key): key is string | number => typeof key !== "symbol");
    return { ok: false, problem: this.problemAt(path, issue?.message ?? "invalid value") };
  }

  /** The line of the deepest node that exists on `path` (a missing key points at its parent). */
  problemAt(path: readonly (string | number)[], message: string): YamlSpecProblem {
    let line: number | undefined;
    for (let depth = path.length; depth >= 0 && line === undefined; depth--) {
      const node = depth === 0 ? this.#document.contents : this.#document.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) line = this.#lines.linePos(node.range[0]).line;
    }
    return { path: formatPath(path), line, message };
  }
}

/** `queues[2].bindings[0].exchange` */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
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
