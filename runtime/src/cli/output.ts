/**
 * Where a command's output goes. With `--json`, stdout carries exactly one JSON document (so
 * `aios … --json | jq` always parses) and the human text moves to stderr; without it, the human
 * text is the output.
 */
export class Output {
  readonly json: boolean;

  constructor(options: { readonly json?: boolean }) {
    this.json = Boolean(options.json);
  }

  /** One line of human text: stdout normally, stderr under `--json`. */
  line(text: string): void {
    (this.json ? process.stderr : process.stdout).write(`${text}\n`);
  }

  /** The command's result: printed as JSON under `--json` (once, at the end), else ignored. */
  document(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}
