/**
 * `frost open --name <vault> --threshold <t> --members <a,b,c> [--approvals, --max-fee,
 * --max-fee-rate | --policy-file <file>] [--expires-in
 * <hours>] [--yes] [--no-wait]`: propose a FROST key generation (issue 4, point 1). The params
 * are built here: a random setup id, this signer's network, the participants in the order
 * given (identity keys, resolved from member names through the coordinator's list but shown
 * as fingerprints computed here), and the vault terms (name, policy) that every participant's
 * transcript signature will cover. After the keyholder agrees (or --yes), they are signed as
 * a `frost.setup.open` statement and posted; then this signer takes part like `frost join`
 * (with --no-wait it stops once its round-1 commitment is sent, and `frost join` continues).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConclaveError } from '../../protocol/errors';
import {
  FROST_SETUP_OPEN, newSetupId, parseFrostSetupParams, setupParamsHash, type FrostSetupOpen, type FrostSetupParams,
} from '../../protocol/frost';
import { identityFingerprint } from '../../protocol/identity';
import type { VaultPolicy } from '../../protocol/policy';
import type { CliContext } from '../context';
import { memberViewSchema } from '../coordinator/views';
import { confirmTakingPart, outcomeResult, reviewLines, runWithKeystore } from '../frost/frost-session';
import { httpFrostRelay } from '../frost/relayed-frost-setup';
import type { CommandResult } from '../output';
import { parseCount } from '../validate';
import { type PolicyOptions, policyFromOptions } from '../vault/policy-options';
import { resolveMember } from './vault-create';

/** A setup lives at most a week: long enough for keyholders in other time zones, short enough to die if forgotten. */
const MAX_EXPIRY_HOURS = 168;
const DEFAULT_EXPIRY_HOURS = '24';

export interface FrostOpenOptions extends PolicyOptions {
  name: string;
  threshold: string;
  members: string;
  expiresIn?: string;
  yes?: boolean;
  /** false with --no-wait. */
  wait?: boolean;
}

function parseHours(text: string): number {
  const hours = /^[0-9]{1,3}(\.[0-9]{1,6})?$/.test(text) ? Number(text) : Number.NaN;
  const ms = Math.round(hours * 3_600_000);
  if (!Number.isFinite(hours) || ms < 60_000 || hours > MAX_EXPIRY_HOURS) {
    throw new ConclaveError('VALIDATION_FAILED', `--expires-in: hours from 0.017 (one minute) to ${MAX_EXPIRY_HOURS}, got ${JSON.stringify(text)}`);
  }
  return ms;
}

export async function runFrostOpen(ctx: CliContext, options: FrostOpenOptions): Promise<CommandResult> {
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const specs = options.members.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (specs.length < 2) throw new ConclaveError('VALIDATION_FAILED', '--members: name at least two participants, comma-separated, yourself included');
  const n = parseCount(String(specs.length), '--members', 2, 15);
  const threshold = parseCount(options.threshold, '--threshold', 2, n);
  const ttlMs = parseHours(options.expiresIn ?? DEFAULT_EXPIRY_HOURS);
  const all = await client.get('/api/v1/members', z.array(memberViewSchema));
  const members = specs.map((spec) => resolveMember(all, spec, '--members'));
  const keys = members.map((m) => m.identityKey);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate !== undefined) throw new ConclaveError('VALIDATION_FAILED', `--members: ${identityFingerprint(duplicate)} is listed twice`);
  if (!keys.includes(pub.identityKey)) throw new ConclaveError('VALIDATION_FAILED', `--members: must include yourself (${identityFingerprint(pub.identityKey)})`);
  for (const m of members) {
    if (m.network !== pub.network) throw new ConclaveError('VALIDATION_FAILED', `--members ${m.name}: joined on ${m.network}, this signer runs on ${pub.network}`);
  }
  const policy: VaultPolicy = policyFromOptions(options, keys, pub.network);

  const now = ctx.now();
  const setupId = newSetupId((length) => new Uint8Array(randomBytes(length)));
  const params: FrostSetupParams = parseFrostSetupParams({
    setupId,
    network: pub.network,
    vault: { name: options.name, policy },
    threshold,
    participants: members.map((m) => ({ identityKey: m.identityKey, name: m.name })),
  });
  const body: FrostSetupOpen = { params, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
  const paramsHash = setupParamsHash(params);
  const review = reviewLines(params, pub.identityKey, body.expiresAt, pub.identityKey, paramsHash);
  await confirmTakingPart(review, options.yes, 'frost open');

  const relay = httpFrostRelay(client);
  const outcome = await runWithKeystore(ctx, relay, setupId, async (sign) => {
    const opened = await relay.open(setupId, sign(FROST_SETUP_OPEN, body));
    if (opened.opener !== pub.identityKey || opened.paramsHash !== paramsHash) {
      throw new ConclaveError('COORDINATOR_ERROR', `coordinator: frost setup ${setupId} was recorded with another opener or other params`);
    }
    ctx.out.progress(`Opened FROST setup ${setupId}. Every other participant runs: conclave-signer frost join ${setupId}`);
    return opened;
  }, { stopAfterRound1: options.wait === false });
  const result = outcomeResult(outcome, pub.identityKey);
  return { data: result.data, text: [...(options.yes ? review : []), ...result.text] };
}
