/**
 * `vault export <vaultId> --format core|sparrow|caravan|bip329 [--out <file>] [--range N]`:
 * the PINNED vault (what this keyholder verified, never what the coordinator says now) in
 * another wallet's format, to watch it there and, for multisig, co-sign from it
 * (protocol/interop): a Bitcoin Core `importdescriptors` request, Sparrow's descriptor text,
 * Caravan's wallet configuration, or BIP329 labels for addresses 0..N of both chains and the
 * withdrawals this signer's journal holds for the vault. No coordinator, no keystore needed.
 *
 * Files are written 0600: xpubs and labels tell whoever reads them the vault's whole history.
 */
import { idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import {
  type Bip329Label, bip329Jsonl, caravanWalletConfig, coreImportDescriptorsText, sparrowDescriptorExport, vaultAddressLabels, vaultLabelOrigin,
} from '../../protocol/interop';
import type { CliContext } from '../context';
import { writeFileAtomic } from '../files';
import type { CommandResult } from '../output';
import { findPinned, type JournalEntry, type PinnedVault } from '../state/state-file';
import { parseArg, parseCount } from '../validate';
import { pinnedDescriptor } from '../vault/pinned';

export const EXPORT_FORMATS = ['core', 'sparrow', 'caravan', 'bip329'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const DEFAULT_EXPORT_RANGE = '100';
/** 10,000 addresses per chain is already far past any gap limit; bigger is a typo. */
const MAX_EXPORT_RANGE = 10_000;

export interface VaultExportOptions { format: string; out?: string; range?: string }

function bip329Content(pinned: PinnedVault, journal: readonly JournalEntry[], rangeEnd: number): string {
  const descriptor = pinnedDescriptor(pinned);
  const origin = vaultLabelOrigin(descriptor);
  const labels: Bip329Label[] = vaultAddressLabels(descriptor, pinned.name, rangeEnd);
  const seen = new Set<string>();
  for (const entry of journal) {
    if (entry.vaultId !== pinned.vaultId || seen.has(entry.unsignedTxid)) continue;
    seen.add(entry.unsignedTxid);
    // Segwit: the txid does not cover witnesses, so the unsigned txid is the broadcast one.
    labels.push({ type: 'tx', ref: entry.unsignedTxid, label: `${pinned.name} withdrawal ${entry.withdrawalId}`, origin });
    for (const input of entry.inputs) {
      labels.push({ type: 'output', ref: input, label: `${pinned.name} coin spent by withdrawal ${entry.withdrawalId}` });
    }
  }
  return bip329Jsonl(labels);
}

export async function runVaultExport(ctx: CliContext, vaultId: string, options: VaultExportOptions): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const format = options.format as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    throw new ConclaveError('VALIDATION_FAILED', `--format: expected one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(options.format)}`);
  }
  const rangeEnd = parseCount(options.range ?? DEFAULT_EXPORT_RANGE, '--range', 0, MAX_EXPORT_RANGE);
  const state = ctx.state.read();
  const pinned = findPinned(state, vaultId);
  const descriptor = pinnedDescriptor(pinned);

  let content: string;
  switch (format) {
    case 'core':
      // The vault cannot hold coins older than this signer's pin: it is active only once every
      // keyholder confirmed. Core rescans from 2 hours before the timestamp (block time skew).
      content = coreImportDescriptorsText(descriptor, { timestamp: Math.floor(Date.parse(pinned.pinnedAt) / 1000), rangeEnd });
      break;
    case 'sparrow':
      content = sparrowDescriptorExport(descriptor, { name: pinned.name });
      break;
    case 'caravan':
      content = `${JSON.stringify(caravanWalletConfig(descriptor, { name: pinned.name, uuid: pinned.vaultId, keyNames: pinned.members.map((m) => m.name) }), null, 2)}\n`;
      break;
    case 'bip329':
      content = bip329Content(pinned, state.journal, rangeEnd);
      break;
  }

  if (options.out !== undefined) {
    try {
      writeFileAtomic(options.out, content);
    } catch (error) {
      throw new ConclaveError('VALIDATION_FAILED', `--out ${options.out}: ${(error as Error).message}`);
    }
  }
  return {
    data: { vaultId, format, ...(options.out !== undefined ? { file: options.out } : {}), content },
    text: options.out !== undefined
      ? [`Wrote the ${format} export of vault ${vaultId} ("${pinned.name}") to ${options.out}, from the pinned descriptor.`]
      : [content.replace(/\n$/, '')],
  };
}
