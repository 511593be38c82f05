/** The label value that stands for every value beyond the bound. */
export const OTHER_LABEL = "other";

/**
 * Keeps a label's values bounded, so a metric's series count cannot grow with its input: with
 * `known` (e.g. the spec's exchanges or buckets), any other value is counted as `other`; without
 * it, the first `max` distinct values pass and the rest are `other`.
 */
export class BoundedLabel {
  readonly #known: ReadonlySet<string> | undefined;
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(options: { readonly known?: Iterable<string>; readonly max?: number } = {}) {
    this.#known = options.known ? new Set(options.known) : undefined;
    this.#max = options.max ?? 50;
  }

  /**
   * The label value to record for `value`: itself while within the bound, else {@link OTHER_LABEL}.
   */
  value(value: string): string {
    if (this.#known) return this.#known.has(value) ? value : OTHER_LABEL;
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#max) return OTHER_LABEL;
    this.#seen.add(value);
    return value;
  }
}
