/**
 * Signing a request bundle on the offline machine, with exactly the code `listen` runs online:
 *
 * - multisig: prepareSignature (signing/sign-withdrawal.ts): the pinned vault, verification by
 *   verifyWithdrawalForSigning against this signer's own pin, clock and journal, the review,
 *   the question, the signature, the journal entry made durable; the statement is returned
 *   instead of posted. A bundle signed again gives the same signatures (RFC 6979), not a second
 *   transaction: the journal entry for it is found and the signing resumes.
 * - FROST: processFrostSigningRequest (signing/sign-frost-withdrawal.ts) over a BundleTransport:
 *   round 1 seals fresh nonces in this machine's nonce store before the commitment exists
 *   outside it; round 2 checks the session, journals, spends the nonces on disk, then makes the
 *   shares. Which round is due follows from the bundle and the local store, as online.
 *
 * Nothing here touches the network. A bundle for a vault not pinned here is refused before the
 * keystore is unlocked, and nothing is journaled for a bundle that does not verify.
 */
import { randomBytes } from 'node:crypto';
import { MAX_ENVELOPE_TTL_SECONDS, type Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import { withFrostSecrets } from '../frost/frost-files';
import { NonceStore } from '../frost/nonce-store';
import { describeFrostOutcome, type FrostSigningOutcome, processFrostSigningRequest } from '../signing/sign-frost-withdrawal';
import { describeOutcome, prepareSignature, type SigningDeps } from '../signing/sign-withdrawal';
import { reviewJson } from '../signing/review';
import { confirm, isInteractive } from '../terminal';
import { BundleTransport } from './bundle-transport';
import type { SigningRequest } from './request-bundle';

export interface OfflineSigned {
  statements: Envelope[];
  data: Record<string, unknown>;
  text: string[];
}

/**
 * The statements an offline answer carries, with what to show. Throws OFFLINE_BUNDLE_WRONG_VAULT,
 * INTENT_REFUSED (with the reasons), USER_DECLINED or OFFLINE_NOTHING_TO_SIGN when there are none.
 */
export async function signBundle(ctx: CliContext, request: SigningRequest, options: { yes: boolean }): Promise<OfflineSigned> {
  const pinned = ctx.state.read().vaults.find((v) => v.vaultId === request.vaultId);
  if (pinned === undefined) {
    throw new ConclaveError('OFFLINE_BUNDLE_WRONG_VAULT', `bundle: withdrawal ${request.withdrawalId} is of vault ${request.vaultId}, which this signer has not pinned`, { vaultId: request.vaultId });
  }
  if (pinned.kind === 'tr-frost' && request.frost === null) {
    throw new ConclaveError('OFFLINE_BUNDLE_INVALID', `bundle: vault ${request.vaultId} is a FROST vault here, but the bundle carries no FROST rounds; export it again`);
  }
  if (!options.yes && !isInteractive()) {
    throw new ConclaveError('VALIDATION_FAILED', 'offline sign: no terminal to confirm on; review with a terminal, or pass --yes');
  }
  const base = {
    now: () => ctx.now(),
    state: ctx.state,
    // The answer is carried by hand to an online machine: it stays valid as long as a statement may.
    envelopeTtlSeconds: MAX_ENVELOPE_TTL_SECONDS,
    confirm: async (review: string[]) => {
      process.stderr.write(`\n${review.join('\n')}\n`);
      return confirm('Sign this withdrawal?');
    },
    show: (review: string[]) => {
      if (!ctx.out.json) process.stdout.write(`\n${review.join('\n')}\n`);
    },
  } satisfies Omit<SigningDeps, 'client' | 'keystore'>;
  return pinned.kind === 'tr-frost' ? signFrost(ctx, request, base, options) : signMultisig(ctx, request, base, options);
}

async function signMultisig(ctx: CliContext, request: SigningRequest, base: Omit<SigningDeps, 'client' | 'keystore'>, options: { yes: boolean }): Promise<OfflineSigned> {
  const outcome = await ctx.withKeystore((keystore) => prepareSignature({ ...base, keystore }, request.withdrawal, options));
  if (outcome.status !== 'prepared') {
    const reasons = outcome.status === 'refused' ? outcome.reasons : outcome.status === 'skipped' ? [outcome.reason] : [];
    throw noStatement([describeOutcome(outcome).data], reasons, outcome);
  }
  const { envelope, ...signed } = outcome;
  return {
    statements: [envelope],
    data: { event: 'signed', ...signed, summary: reviewJson(signed.summary) },
    text: [`Signed withdrawal ${signed.withdrawalId}${signed.resumed ? ' again (the same signatures: it was journaled before)' : ''}.`],
  };
}

async function signFrost(ctx: CliContext, request: SigningRequest, base: Omit<SigningDeps, 'client' | 'keystore'>, options: { yes: boolean }): Promise<OfflineSigned> {
  const transport = new BundleTransport(request);
  const outcomes = await withFrostSecrets(ctx, (keystore, secrets) => processFrostSigningRequest({
    ...base, keystore, client: transport, secrets,
    nonces: new NonceStore(ctx.home, keystore.identityKey, secrets.sealing),
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
  }, request.withdrawal, options));
  const described = outcomes.map((o) => describeFrostOutcome(o));
  if (transport.statements.length === 0) {
    const reasons = outcomes.flatMap((o) => reasonsOf(o));
    throw noStatement(described.map((d) => d.data), reasons, outcomes.find((o) => o.status === 'refused' || o.status === 'declined') ?? outcomes[0]);
  }
  return {
    statements: transport.statements,
    data: { event: 'signed', kind: 'tr-frost', withdrawalId: request.withdrawalId, vaultId: request.vaultId, outcomes: described.map((d) => d.data) },
    text: described.flatMap((d) => d.text),
  };
}

function reasonsOf(o: FrostSigningOutcome): string[] {
  switch (o.status) {
    case 'refused':
    case 'session-refused':
      return o.reasons;
    case 'waiting':
    case 'skipped':
      return [o.reason];
    case 'nonce-used':
      return [o.message];
    default:
      return [];
  }
}

/** Why no statement was made, as the error its outcome calls for. */
function noStatement(outcomes: Array<Record<string, unknown>>, reasons: string[], first: { status: string } | undefined): ConclaveError {
  const details = { outcomes };
  if (first?.status === 'refused') return new ConclaveError('INTENT_REFUSED', `refused; nothing was signed or journaled: ${reasons.join('; ')}`, { ...details, reasons });
  if (first?.status === 'declined') return new ConclaveError('USER_DECLINED', 'declined at the prompt; nothing was signed', details);
  return new ConclaveError('OFFLINE_NOTHING_TO_SIGN', `nothing to sign: ${reasons.join('; ') || 'the bundle asks nothing of this signer'}`, { ...details, reasons });
}
