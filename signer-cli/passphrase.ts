/**
 * Where the keystore passphrase comes from, in order: `--passphrase-file <f>` (first line),
 * the CONCLAVE_PASSPHRASE environment variable, or a hidden prompt on the terminal. Scripts and
 * tests use the first two; people use the prompt.
 */
import { readFileSync } from 'node:fs';
import { ConclaveError } from '../protocol/errors';
import { isInteractive, readHidden } from './terminal';

export const MIN_PASSPHRASE_LENGTH = 8;

export interface PassphraseSource { passphraseFile?: string }

function fromSource(source: PassphraseSource): string | undefined {
  if (source.passphraseFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.passphraseFile, 'utf8');
    } catch (error) {
      throw new ConclaveError('VALIDATION_FAILED', `--passphrase-file ${source.passphraseFile}: ${(error as Error).message}`);
    }
    return text.split(/\r?\n/, 1)[0] ?? '';
  }
  return process.env.CONCLAVE_PASSPHRASE;
}

export async function passphraseToUnlock(source: PassphraseSource): Promise<string> {
  const given = fromSource(source);
  if (given !== undefined) return given;
  if (!isInteractive()) {
    throw new ConclaveError('VALIDATION_FAILED', 'passphrase: none given; use --passphrase-file, CONCLAVE_PASSPHRASE or a terminal');
  }
  return readHidden('Keystore passphrase: ');
}

export async function passphraseToCreate(source: PassphraseSource): Promise<string> {
  let passphrase = fromSource(source);
  if (passphrase === undefined) {
    if (!isInteractive()) {
      throw new ConclaveError('VALIDATION_FAILED', 'passphrase: none given; use --passphrase-file, CONCLAVE_PASSPHRASE or a terminal');
    }
    passphrase = await readHidden('New keystore passphrase: ');
    const again = await readHidden('Repeat the passphrase: ');
    if (again !== passphrase) throw new ConclaveError('VALIDATION_FAILED', 'passphrase: the two entries differ');
  }
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new ConclaveError('VALIDATION_FAILED', `passphrase: use at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  return passphrase;
}
