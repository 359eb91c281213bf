/**
 * `offline export <withdrawalId> --out <file> [--qr] [--ur-out <file>]`, on the online side:
 * the signing-request bundle an offline signer needs (offline/request-bundle.ts), fetched
 * through the coordinator client like every online read. Any member's signer can make it: it
 * signs nothing, and its keystore only signs the REST session in.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import { writeFileAtomic } from '../files';
import { encodeRequest } from '../offline/request-bundle';
import { showQr } from '../offline/qr-display';
import { encodeUrParts } from '../offline/ur-codec';
import type { CommandResult } from '../output';
import { fetchFrostView } from '../signing/sign-frost-withdrawal';
import { fetchWithdrawal } from '../signing/sign-withdrawal';
import { parseArg } from '../validate';

export interface OfflineExportOptions { out?: string; qr?: boolean; urOut?: string }

/** Only the vault's kind is read here; the offline signer uses what it pinned, never this. */
const vaultKindSchema = z.object({ id: idSchema, kind: z.enum(['wsh-sortedmulti', 'tr-frost']).optional(), descriptor: z.string() });

export async function runOfflineExport(ctx: CliContext, withdrawalId: string, options: OfflineExportOptions): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  if (options.out === undefined && options.urOut === undefined && options.qr !== true) {
    throw new ConclaveError('VALIDATION_FAILED', 'offline export: say where the bundle goes: --out <file>, --ur-out <file> and/or --qr');
  }
  const client = ctx.coordinator();
  const withdrawal = await fetchWithdrawal(client, withdrawalId);
  if (withdrawal.state !== 'signing') {
    throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId} is ${withdrawal.state}, not signing: there is nothing to sign offline`, { state: withdrawal.state });
  }
  const vault = await client.get(`/api/v1/vaults/${withdrawal.vaultId}`, vaultKindSchema);
  // The vault view names its kind, or (older coordinators) its descriptor shows it: tr(...) is a FROST vault.
  const kind = vault.kind ?? (vault.descriptor.startsWith('tr(') ? 'tr-frost' : 'wsh-sortedmulti');
  const frost = kind === 'tr-frost' ? await fetchFrostView(client, withdrawalId) : null;
  const text = encodeRequest({ vaultId: withdrawal.vaultId, withdrawalId, exportedAt: ctx.now().toISOString(), withdrawal, frost });
  const bytes = utf8ToBytes(text);
  // The bundle holds nothing secret: readable like any file the keyholder carries.
  if (options.out !== undefined) writeFileAtomic(options.out, text, 0o644);
  const parts = encodeUrParts(bytes);
  if (options.urOut !== undefined) writeFileAtomic(options.urOut, `${parts.join('\n')}\n`, 0o644);
  if (options.qr === true) await showQr(bytes, `signing request for withdrawal ${withdrawalId}`);
  const hash = (JSON.parse(text) as { hash: string }).hash;
  const sessions = frost?.sessions.filter((s) => s.state === 'signing').map((s) => s.sessionId) ?? [];
  return {
    data: { withdrawalId, vaultId: withdrawal.vaultId, kind, state: withdrawal.state, hash, bytes: bytes.length, urParts: parts.length, out: options.out ?? null, urOut: options.urOut ?? null, openFrostSessions: sessions },
    text: [
      `Signing request for withdrawal ${withdrawalId} (vault ${withdrawal.vaultId}, ${kind}), ${bytes.length} bytes, hash ${hash}.`,
      ...(options.out === undefined ? [] : [`Wrote it to ${options.out}: carry it to the offline signer and run "conclave-signer offline sign ${options.out} --out <response>" there.`]),
      ...(options.urOut === undefined ? [] : [`Wrote its ${parts.length} UR part(s) to ${options.urOut}, one per line.`]),
    ],
  };
}
