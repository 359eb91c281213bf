/**
 * The text shape shared by BIP129 key records (Round 1) and descriptor records (Round 2):
 * lines separated by "\n", the first line the specification version, `BSMS 1.0`.
 * Records are written without a trailing newline, as BIP129's vectors print them (the MAC and
 * the SIG cover the exact text); reading tolerates one trailing newline and CRLF line ends,
 * which files edited or exported on other systems carry.
 */
import { ConclaveError } from '../errors';

export const BSMS_VERSION = 'BSMS 1.0';

export function recordError(where: string, message: string): never {
  throw new ConclaveError('BSMS_RECORD_INVALID', `${where}: ${message}`);
}

/** The lines of a record, after checking its version line and its line count. */
export function recordLines(text: string, where: string, counts: readonly number[]): string[] {
  if (typeof text !== 'string') recordError(where, 'must be text');
  let body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body = body.replace(/\r\n/g, '\n');
  if (body.endsWith('\n')) body = body.slice(0, -1);
  const lines = body.split('\n');
  if (lines[0] !== BSMS_VERSION) {
    const shown = lines[0].length > 16 ? `${lines[0].slice(0, 16)}...` : lines[0];
    recordError(where, `first line must be "${BSMS_VERSION}", got ${JSON.stringify(shown)}; only BSMS 1.0 is supported`);
  }
  if (!counts.includes(lines.length)) recordError(where, `must have ${counts.join(' or ')} lines, got ${lines.length}`);
  return lines;
}
