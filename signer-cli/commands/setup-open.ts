/**
 * `setup open --name <n> --threshold <m> --keyholders <n> [--mode none|standard|extended]
 * [--expires-in <hours>] [--approvals, --max-fee, --max-fee-rate | --policy-file <file>]`: start a vault setup by BIP129 (BSMS 1.0), with this
 * signer playing BIP129's Coordinator. The token(s) are generated here from the OS CSPRNG, kept
 * in state.json and printed for the keyholder to hand out of band (BIP129 "Round 1"); the
 * coordinator gets only a setup.open statement without any token, and then this signer's own
 * sealed key record.
 */
import { randomBytes } from 'node:crypto';
import { MESSAGE_TYPES, setupKeyRecordSchema, setupOpenSchema, type SetupKeyRecord, type SetupOpen } from '../../protocol/api';
import {
  createBsmsSession, MAX_SESSION_TTL_SECONDS, sealRecord, tokenToDecimal, tokenToMnemonic, type BsmsMode,
} from '../../protocol/bsms';
import { ConclaveError } from '../../protocol/errors';
import type { VaultPolicy } from '../../protocol/policy';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { setupViewSchema } from '../setup/relayed-setup';
import { defaultDescription, groupedHex, ownKeyRecord, saveSession } from '../setup/session';
import type { SetupSession } from '../state/state-file';
import { parseArg, parseCount } from '../validate';
import { type PolicyOptions, policyFromOptions } from '../vault/policy-options';

export const SETUP_MODES: Record<string, BsmsMode> = { none: 'NO_ENCRYPTION', standard: 'STANDARD', extended: 'EXTENDED' };
const DEFAULT_EXPIRY_HOURS = '24';

export interface SetupOpenOptions extends PolicyOptions {
  name: string;
  threshold: string;
  keyholders: string;
  mode?: string;
  expiresIn?: string;
  description?: string;
}

function parseHours(text: string): number {
  const hours = /^[0-9]{1,3}(\.[0-9]{1,6})?$/.test(text) ? Number(text) : Number.NaN;
  const seconds = Math.round(hours * 3600);
  if (!Number.isFinite(hours) || seconds < 1 || seconds > MAX_SESSION_TTL_SECONDS) {
    throw new ConclaveError('VALIDATION_FAILED', `--expires-in: hours from ${(1 / 3600).toFixed(4)} to ${MAX_SESSION_TTL_SECONDS / 3600}, got ${JSON.stringify(text)}`);
  }
  return seconds;
}

export async function runSetupOpen(ctx: CliContext, options: SetupOpenOptions): Promise<CommandResult> {
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const keyholders = parseCount(options.keyholders, '--keyholders', 2, 15);
  // At least 2, as for any vault: with 1, any one keyholder could spend alone (DESIGN.md, invariant 2).
  const threshold = parseCount(options.threshold, '--threshold', 2, keyholders);
  const mode = SETUP_MODES[options.mode ?? 'standard'];
  if (mode === undefined) throw new ConclaveError('VALIDATION_FAILED', `--mode: one of ${Object.keys(SETUP_MODES).join(', ')}`);
  const ttlSeconds = parseHours(options.expiresIn ?? DEFAULT_EXPIRY_HOURS);
  // Only the number of keyholders is known yet; `setup finish` checks the policy against their keys.
  const policy: VaultPolicy = policyFromOptions(options, keyholders, pub.network);
  const description = options.description ?? defaultDescription(pub);

  // BIP129 "Encryption": one token for everyone, or in EXTENDED mode one per keyholder (this
  // signer's own first). The tokens MUST come from a CSPRNG: they are the session's only secret.
  const now = ctx.now();
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const sessions = Array.from({ length: mode === 'EXTENDED' ? keyholders : 1 }, () => createBsmsSession({ mode, now, ttlSeconds, randomBytes: random }));
  const tokens = sessions.map((s) => s.token);
  const expiresAt = sessions[0].expiresAt;
  const body: SetupOpen = parseArg(setupOpenSchema, { name: options.name, network: pub.network, threshold, keyholders, mode, expiresAt }, '--name');

  const { setupId, position } = await ctx.withKeystore(async (keystore) => {
    const opened = await client.post('/api/v1/setups', keystore.signEnvelope(MESSAGE_TYPES.setupOpen, body, { now }), setupViewSchema);
    const id = opened.data.id;
    if (opened.data.openedBy !== pub.identityKey) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: setup ${id} was recorded for another opener`);
    const session: SetupSession = {
      setupId: id, role: 'opener', name: body.name, network: pub.network, threshold, keyholders, mode, tokens,
      createdAt: sessions[0].createdAt, expiresAt, policy,
    };
    // Durable before anything is sealed with the token: a crash never loses a token already in use.
    saveSession(ctx, session);
    const record = ownKeyRecord(keystore, tokens[0], description);
    const keyBody: SetupKeyRecord = parseArg(setupKeyRecordSchema, { setupId: id, record: sealRecord(tokens[0], record) }, 'key record');
    const sent = await client.post(`/api/v1/setups/${id}/key-records`, keystore.signEnvelope(MESSAGE_TYPES.setupKeyRecord, keyBody, { now: ctx.now() }), setupViewSchema);
    const mine = sent.data.keyRecords.find((r) => r.member === pub.identityKey);
    return { setupId: id, position: mine ? mine.position + 1 : 1 };
  });

  const shared = mode === 'EXTENDED' ? tokens.slice(1) : mode === 'STANDARD' ? tokens : [];
  const tokenRows = shared.map((token, i) => ({
    forKeyholder: mode === 'EXTENDED' ? i + 2 : null,
    token,
    decimal: tokenToDecimal(token),
    ...(mode === 'STANDARD' ? { mnemonic: tokenToMnemonic(token) } : {}),
  }));
  const join = (token: string) => `conclave-signer setup join ${setupId} --token ${token}`;
  return {
    data: { setupId, name: body.name, network: pub.network, threshold, keyholders, mode, expiresAt, policy, tokens: tokenRows, ownKeyRecordPosition: position },
    text: [
      `Opened setup "${body.name}" ${setupId}: ${threshold} of ${keyholders} on ${pub.network}, BIP129 ${mode}, expires ${expiresAt}.`,
      `Your own key record is sent (key ${position} of ${keyholders}).`,
      ...(mode === 'NO_ENCRYPTION'
        ? ['No encryption: the records travel in clear through the coordinator. Others join with:', `  ${join('00')}`]
        : mode === 'STANDARD'
          ? [
            'Give this token to every other keyholder OUT OF BAND (in person or by phone), never through the coordinator:',
            `  token:  ${tokenRows[0].token}   (${groupedHex(tokenRows[0].token)})`,
            `  words:  ${tokenRows[0].mnemonic}`,
            `Each of them runs: ${join('<token>')}`,
          ]
          : [
            'Give each other keyholder ONE of these tokens OUT OF BAND (in person or by phone), never through the coordinator:',
            ...tokenRows.map((r) => `  keyholder ${r.forKeyholder}: ${r.token}   (${groupedHex(r.token)})`),
            `Each of them runs: ${join('<their token>')}`,
          ]),
      `When all ${keyholders} key records are in, run: conclave-signer setup finish ${setupId}`,
    ],
  };
}
