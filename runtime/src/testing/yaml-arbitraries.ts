import fc from "fast-check";
import { parse, stringify } from "yaml";

// fast-check arbitraries for the property tests of the YAML spec loaders: documents of every
// shape, hostile scalars, and mutations of a real spec (in its text and in its structure).

/** Scalars a careless or hostile spec may hold: huge, tiny, negative, non-finite, odd YAML spellings. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    1e23,
    2 ** 53,
    -1,
    0,
    255,
    256,
    4294967296,
  ),
  fc.bigInt().map((n) => n.toString()),
  fc.string(),
  fc.constantFrom(
    "99999999999999999999999",
    "99999999999999999999999ms",
    "1e400",
    ".inf",
    "-.nan",
    "~",
    "0x1F",
    "1_000",
    "2001-12-14",
    "yes",
    "*",
    "#",
    "coder.*",
    "amq.x",
    "",
    " ",
    "\u0000",
    "\u202e",
    "\ud800",
  ),
  fc.boolean(),
  fc.constant(null),
);

/** A JSON-like value of any shape, with hostile scalars at the leaves. */
export const anyStructure: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileScalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("version", "queues", "buckets", "name")),
      tie("value"),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

/** Text built from YAML's own syntax characters and words, so the parser's error paths are reached. */
export const yamlishText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ":",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a ",
        "*a",
        "!!str ",
        "!!binary ",
        "!tag ",
        "|",
        ">",
        "'",
        '"',
        "#",
        "%YAML 1.2\n",
        "---\n",
        "...\n",
        "? ",
        "<<: ",
        "\n",
        "\n  ",
        "\t",
        "version: 1\n",
        "queues:\n",
        "buckets:\n",
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

/** Numbers (and duration strings) around RabbitMQ's and S3's limits, and beyond them. */
export const boundaryNumber: fc.Arbitrary<unknown> = fc.constantFrom(
  1e23,
  2 ** 53,
  2 ** 53 - 1,
  2 ** 31,
  2 ** 31 - 1,
  4294967296,
  -1,
  0,
  1.5,
  255,
  256,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "99999999999999999999999ms",
  "200000000000000d",
);

/**
 * Anchors and aliases nested `depth` deep with `fanOut` aliases each: from harmless reuse to a
 * "billion laughs" document that would expand to fanOut^depth nodes.
 */
export const aliasDocument: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 10 }), fc.constantFrom("version: 1\n", ""))
  .map(([depth, fanOut, prefix]) => {
    const lines = [`a0: &a0 [${Array(fanOut).fill("lol").join(", ")}]`];
    for (let level = 1; level <= depth; level++) {
      lines.push(
        `a${level}: &a${level} [${Array(fanOut)
          .fill(`*a${level - 1}`)
          .join(", ")}]`,
      );
    }
    return prefix + lines.join("\n");
  });

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...prefix, i])));
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

function withChange(value: unknown, path: Path, change: { delete: true } | { set: unknown }): unknown {
  if (path.length === 0) return "delete" in change ? null : change.set;
  const copy: unknown = structuredClone(value);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if ("delete" in change) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = change.set;
  return copy;
}

/**
 * Mutations of a real spec: in its structure (a value anywhere replaced by a hostile one, or
 * removed, or a key added) and in its text (a line deleted, doubled or swapped, the text cut
 * short, one character replaced by a YAML syntax character).
 */
export function mutatedSpec(text: string): fc.Arbitrary<string> {
  const document = parse(text) as unknown;
  const paths = pathsOf(document);
  const lines = text.split("\n");
  const numericPaths = paths.filter((path) => {
    const value = path.reduce<unknown>(
      (node, key) => (node as Record<string | number, unknown>)[key],
      document,
    );
    return typeof value === "number" || (typeof value === "string" && /^\d+(ms|s|m|h|d)$/.test(value));
  });
  // A number of the spec replaced by one at or beyond a limit: where the broker's refusals hide.
  const numeric = fc
    .tuple(fc.constantFrom(...(numericPaths.length > 0 ? numericPaths : [[]])), boundaryNumber)
    .map(([path, set]) => stringify(withChange(document, path, { set })));
  const structural = fc
    .tuple(
      fc.nat({ max: paths.length - 1 }),
      fc.oneof(
        fc.constant({ delete: true } as const),
        anyStructure.map((set) => ({ set })),
        hostileScalar.map((set) => ({ set })),
      ),
    )
    .map(([index, change]) => stringify(withChange(document, paths[index] ?? [], change)));
  const textual = fc.oneof(
    fc.nat({ max: lines.length - 1 }).map((i) => lines.filter((_, j) => j !== i).join("\n")),
    fc.nat({ max: lines.length - 1 }).map((i) => [...lines.slice(0, i + 1), ...lines.slice(i)].join("\n")),
    fc.tuple(fc.nat({ max: lines.length - 1 }), fc.nat({ max: lines.length - 1 })).map(([a, b]) => {
      const copy = [...lines];
      [copy[a], copy[b]] = [copy[b] ?? "", copy[a] ?? ""];
      return copy.join("\n");
    }),
    fc.nat({ max: text.length }).map((end) => text.slice(0, end)),
    fc
      .tuple(
        fc.nat({ max: text.length - 1 }),
        fc.constantFrom(":", "-", "[", "{", "&", "*", "!", "|", "'", '"', "#", " ", "\t", "\n", "9"),
      )
      .map(([at, char]) => text.slice(0, at) + char + text.slice(at + 1)),
  );
  return fc.oneof(numeric, structural, textual);
}

/**
 * Every kind of document the loaders must survive: random structures, random text, mutations of
 * `realSpec`, alias chains up to alias bombs.
 */
export function anyDocument(realSpec: string): fc.Arbitrary<string> {
  return fc.oneof(
    anyStructure.map((value) => stringify(value)),
    yamlishText,
    fc.string({ unit: "binary", maxLength: 200 }),
    mutatedSpec(realSpec),
    aliasDocument,
  );
}
