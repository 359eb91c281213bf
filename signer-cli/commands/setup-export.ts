/**
 * `setup export <setupId> --out <file>`: the BIP129 descriptor record this signer checked and
 * confirmed (`setup confirm`), as a plain `.bsms` file for another wallet (Sparrow, Coldcard,
 * Bitcoin Core's watch-only import via its descriptors) to set up the same vault.
 */
import { idSchema } from '../../protocol/api';
import { parseDescriptorRecord } from '../../protocol/bsms';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import { writeFileAtomic } from '../files';
import type { CommandResult } from '../output';
import { requireSession } from '../setup/session';
import { parseArg } from '../validate';

export interface SetupExportOptions { out: string }

export async function runSetupExport(ctx: CliContext, setupId: string, options: SetupExportOptions): Promise<CommandResult> {
  parseArg(idSchema, setupId, 'setupId');
  const session = requireSession(ctx, setupId);
  if (session.descriptorRecord === undefined) {
    throw new ConclaveError('NOT_PINNED', `setup ${setupId}: check and confirm its descriptor record first ("setup confirm ${setupId}")`);
  }
  const record = parseDescriptorRecord(session.descriptorRecord);
  try {
    writeFileAtomic(options.out, `${session.descriptorRecord}\n`, 0o644);
  } catch (error) {
    throw new ConclaveError('VALIDATION_FAILED', `--out ${options.out}: ${(error as Error).message}`);
  }
  return {
    data: { setupId, vaultId: session.vaultId ?? null, out: options.out, threshold: record.threshold, keyCount: record.keys.length, firstAddress: record.firstAddress },
    text: [
      `Wrote the descriptor record of setup ${setupId}${session.vaultId ? ` (vault ${session.vaultId})` : ''} to ${options.out}: ${record.threshold} of ${record.keys.length}.`,
      `First address: ${record.firstAddress}; check that the other wallet shows the same.`,
    ],
  };
}
