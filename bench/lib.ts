// Shared helpers of the benchmark scripts: trials interleaved so machine drift hits every
// contender alike, and a report printed as a table and a final JSON line.

export interface Trial {
  readonly name: string;
  readonly seconds: number;
  readonly items: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/**
 * Runs every contender once per round, `rounds` times (in reverse order every other round), and
 * returns each one's median seconds.
 * A contender returns the seconds of the part it measures (set-up and clean-up excluded).
 */
export async function interleaved(
  rounds: number,
  contenders: Readonly<Record<string, () => Promise<number>>>,
): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(
    Object.keys(contenders).map((name) => [name, []]),
  );
  for (let round = 1; round <= rounds; round++) {
    // Every other round runs in reverse order, so no contender always follows the same one
    // (and inherits, say, the clean-up work a server does after it).
    const order = Object.entries(contenders);
    if (round % 2 === 0) order.reverse();
    for (const [name, run] of order) {
      const seconds = await run();
      times[name]?.push(seconds);
      process.stderr.write(`  round ${round}: ${name} ${seconds.toFixed(2)} s\n`);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)]));
}

export function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

export const quick = process.argv.includes("--quick");

export const round2 = (n: number) => Math.round(n * 100) / 100;
