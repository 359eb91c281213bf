/**
 * What commands print. With --json, stdout carries exactly one JSON object per command (for
 * `listen`, one JSON line per event) and nothing else; without it, lines for people. Progress
 * and prompts go to stderr in either mode. Amounts in JSON are decimal strings of satoshis.
 */

export interface CommandResult {
  /** The machine-readable result (the one JSON object of --json). */
  data: Record<string, unknown>;
  /** The same for people. */
  text: string[];
}

export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString(10) : item));
}

export class Output {
  constructor(readonly json: boolean) {}

  /** A line for a person watching; silent with --json. */
  progress(line: string): void {
    if (!this.json) process.stderr.write(`${line}\n`);
  }

  /** One event of a long-running command: a JSON line, or text lines. */
  event(data: Record<string, unknown>, text: string[]): void {
    if (this.json) process.stdout.write(`${toJsonLine(data)}\n`);
    else if (text.length > 0) process.stdout.write(`${text.join('\n')}\n`);
  }

  result(result: CommandResult): void {
    this.event(result.data, result.text);
  }
}
