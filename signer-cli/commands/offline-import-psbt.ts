/**
 * `offline import-psbt <withdrawalId> <psbt-file> [--yes]`, on the online side: a withdrawal's
 * PSBT signed in another wallet (Sparrow, a hardware signer, Bitcoin Core) with this keyholder's
 * BIP48 key, submitted as this keyholder's `withdrawal.signature` with the PSBT as its body
 * (protocol/api.ts allows partial signatures or a PSBT; the coordinator takes this keyholder's
 * own signatures out of it and verifies them like any other).
 *
 * The keyholder vouches for it with the identity key, so the signer first runs its own checks
 * (the same verification as `listen`), shows the review, and journals it like a signature of
 * its own: velocity limits and coin reuse count it.
 */
import { readFileSync } from 'node:fs';
import { base64, hex } from '@scure/base';
import { bytesToHex } from '@noble/hashes/utils.js';
import { idSchema, MESSAGE_TYPES, psbtBase64Schema, type WithdrawalSignature } from '../../protocol/api';
import { accountChildPublicKey } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { decodePsbt, extractPartialSignatures } from '../../protocol/psbt';
import type { CliContext } from '../context';
import { withdrawalViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { governedReviewLines } from '../signing/governed-review';
import { reviewJson, reviewLines } from '../signing/review';
import { fetchWithdrawal, journalSignature, markSubmitted, recheckUnderLock, verifyPinnedWithdrawal } from '../signing/sign-withdrawal';
import { findPinned } from '../state/state-file';
import { confirm, isInteractive } from '../terminal';
import { parseArg } from '../validate';

const PSBT_MAGIC = [0x70, 0x73, 0x62, 0x74, 0xff];
const MAX_PSBT_FILE_BYTES = 4_000_000;

/** A PSBT file as base64: binary (BIP174 magic), base64 text or hex text, as wallets save them. */
export function psbtFileToBase64(bytes: Uint8Array): string {
  if (bytes.length > MAX_PSBT_FILE_BYTES) throw new ConclaveError('PSBT_MALFORMED', `psbt file: larger than ${MAX_PSBT_FILE_BYTES} bytes`);
  if (PSBT_MAGIC.every((b, i) => bytes[i] === b)) return base64.encode(bytes);
  const text = new TextDecoder().decode(bytes).trim();
  if (/^70736274ff([0-9a-f]{2})*$/i.test(text)) return base64.encode(hex.decode(text.toLowerCase()));
  const parsed = psbtBase64Schema.safeParse(text);
  if (!parsed.success) throw new ConclaveError('PSBT_MALFORMED', 'psbt file: neither a binary PSBT, nor base64, nor hex');
  return parsed.data;
}

export async function runOfflineImportPsbt(ctx: CliContext, withdrawalId: string, psbtFile: string, options: { yes?: boolean }): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(readFileSync(psbtFile));
  } catch (error) {
    throw new ConclaveError('VALIDATION_FAILED', `psbt file: cannot read ${psbtFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const psbt = psbtFileToBase64(raw);
  if (!options.yes && !isInteractive()) throw new ConclaveError('VALIDATION_FAILED', 'offline import-psbt: no terminal to confirm on; review with a terminal, or pass --yes');

  return ctx.withKeystore(async (keystore) => {
    const client = ctx.coordinator();
    const withdrawal = await fetchWithdrawal(client, withdrawalId);
    const state = ctx.state.read();
    const pinned = findPinned(state, withdrawal.vaultId);
    if (pinned.kind === 'tr-frost') throw new ConclaveError('VAULT_KIND_UNSUPPORTED', `vault ${pinned.vaultId} is a FROST vault: its withdrawals are signed in FROST rounds, not with a PSBT`);
    if (withdrawal.state !== 'signing') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId} is ${withdrawal.state}, not signing`, { state: withdrawal.state });

    const verdict = verifyPinnedWithdrawal(withdrawal, pinned, ctx.now(), state.journal, state.coordinatorKey);
    if (!verdict.ok) throw new ConclaveError('INTENT_REFUSED', `refused; nothing was submitted: ${verdict.reasons.join('; ')}`, { reasons: verdict.reasons });
    const decoded = decodePsbt(psbt);
    if (decoded.unsignedTxid !== verdict.summary.unsignedTxid) {
      throw new ConclaveError('PSBT_MISMATCH', `psbt file: spends transaction ${decoded.unsignedTxid}, not this withdrawal's ${verdict.summary.unsignedTxid}`);
    }
    // This keyholder's key for each input, from its own account key (as the coordinator checks it).
    const own = verdict.summary.inputs.map((input, i) => `${i}:${bytesToHex(accountChildPublicKey(keystore.accountKey.xpub, pinned.network, input.change, input.index))}`);
    const signedInputs = new Set(extractPartialSignatures(decoded).filter((s) => own.includes(`${s.input}:${s.pubkey}`)).map((s) => s.input));
    if (signedInputs.size < own.length) {
      throw new ConclaveError('OFFLINE_PSBT_NOT_SIGNED', `psbt file: ${signedInputs.size} of ${own.length} input(s) carry a signature by this keyholder's key (${keystore.accountKey.fingerprint})`);
    }

    const review = [...reviewLines(verdict.summary, pinned.name), ...governedReviewLines(verdict.governed, pinned, state.journal, ctx.now())];
    if (options.yes) {
      if (!ctx.out.json) process.stdout.write(`${review.join('\n')}\n`);
    } else {
      process.stderr.write(`${review.join('\n')}\n`);
      if (!(await confirm('Submit the signatures of this PSBT as yours?'))) throw new ConclaveError('USER_DECLINED', 'declined at the prompt; nothing was submitted');
    }
    // Journaled before the statement leaves, as for a signature made here (invariant 9).
    journalSignature(ctx.state, verdict.journalRecord, withdrawal.vaultId, ctx.now(), recheckUnderLock(withdrawal, ctx.now()));
    const body: WithdrawalSignature = { withdrawalId, intentHash: withdrawal.intentHash, unsignedTxid: verdict.summary.unsignedTxid, psbt };
    const envelope = keystore.signEnvelope(MESSAGE_TYPES.withdrawalSignature, body, { now: ctx.now() });
    const { data: after } = await client.post(`/api/v1/withdrawals/${withdrawalId}/signatures`, envelope, withdrawalViewSchema);
    markSubmitted(ctx.state, withdrawalId, withdrawal.intentHash, ctx.now());
    return {
      data: { withdrawalId, vaultId: withdrawal.vaultId, state: after.state, signatures: after.signatures.length, txid: after.txid, summary: reviewJson(verdict.summary) },
      text: [`Submitted the PSBT's signatures for withdrawal ${withdrawalId}: it is ${after.state} with ${after.signatures.length} signature(s).`],
    };
  });
}
