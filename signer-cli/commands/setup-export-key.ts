/**
 * `setup export-key --out <file> [--token <token>] [--description <text>]`: this signer's
 * BIP129 key record as a file, for a BSMS setup that another wallet coordinates. KEY is the
 * BIP48 account key with origin, SIG by its private key. With a STANDARD or EXTENDED token the
 * file holds hex(MAC || ciphertext), which BIP129 names `.dat`; without one (token 00) it is
 * the plain `.bsms` record.
 */
import { NO_ENCRYPTION_TOKEN, writeBsmsFile } from '../../protocol/bsms';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import { writeFileAtomic } from '../files';
import type { CommandResult } from '../output';
import { defaultDescription, ownKeyRecord, parseTokenInput } from '../setup/session';
import { describeAccountKey } from './whoami';

export interface SetupExportKeyOptions { out: string; token?: string; description?: string }

export async function runSetupExportKey(ctx: CliContext, options: SetupExportKeyOptions): Promise<CommandResult> {
  const pub = ctx.keystorePublic();
  const { token, mode } = parseTokenInput(options.token ?? NO_ENCRYPTION_TOKEN);
  const description = options.description ?? defaultDescription(pub);
  const file = await ctx.withKeystore(async (keystore) => writeBsmsFile(ownKeyRecord(keystore, token, description), token));
  if (!options.out.toLowerCase().endsWith(file.extension)) {
    ctx.out.progress(`note: BIP129 names this kind of file ${file.extension}`);
  }
  try {
    writeFileAtomic(options.out, `${file.text}\n`, 0o644);
  } catch (error) {
    throw new ConclaveError('VALIDATION_FAILED', `--out ${options.out}: ${(error as Error).message}`);
  }
  return {
    data: { out: options.out, mode, encrypted: mode !== 'NO_ENCRYPTION', extension: file.extension, key: describeAccountKey(pub.accountKey), description, signed: true },
    text: [
      `Wrote your ${mode === 'NO_ENCRYPTION' ? 'plain' : `${mode}-encrypted`} key record to ${options.out}.`,
      `KEY ${describeAccountKey(pub.accountKey)}, signed by that key.`,
    ],
  };
}
