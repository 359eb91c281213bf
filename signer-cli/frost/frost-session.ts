/**
 * What `frost open` and `frost join` share: the review a keyholder reads before taking part in
 * a FROST key generation (DESIGN.md, root of trust: compare every participant's identity-key
 * fingerprint out of band), the checks made before anything is sent, running the resumable DKG
 * (dkg-runner.ts) with the keystore unlocked and one process per setup, and the final report.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConclaveError } from '../../protocol/errors';
import type { FrostSetupParams } from '../../protocol/frost';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import type { KeystorePublic } from '../keystore/keystore-format';
import { ensurePrivateDir } from '../files';
import type { CommandResult } from '../output';
import { FileLock } from '../state/file-lock';
import { confirm, isInteractive } from '../terminal';
import { checkPolicyFits } from '../vault/policy-fit';
import { policyLines } from '../vault/policy-text';
import { dkgStatePath, frostDir, sharePath, withFrostSecrets } from './frost-files';
import { resumePoint, runFrostDkg, type FrostDkgOptions, type FrostDkgOutcome } from './dkg-runner';
import type { FrostRelay, RelayedFrostSetup } from './relayed-frost-setup';

/** Poll interval while waiting for other participants; CONCLAVE_FROST_POLL_MS overrides it (tests). */
export function pollMs(): number {
  const fromEnv = Number.parseInt(process.env.CONCLAVE_FROST_POLL_MS ?? '', 10);
  return Number.isSafeInteger(fromEnv) && fromEnv >= 10 && fromEnv <= 60_000 ? fromEnv : 1000;
}

function groups(hex: string): string {
  return hex.toUpperCase().match(/.{1,4}/g)?.join(' ') ?? hex;
}

/** Refuses a setup this signer must not take part in: another network, not a participant, or a policy it could not pin. */
export function checkSetupForSigner(setup: RelayedFrostSetup, pub: KeystorePublic): number {
  const { params } = setup;
  if (params.network !== pub.network) {
    throw new ConclaveError('VALIDATION_FAILED', `frost setup ${setup.setupId}: is on ${params.network}, this signer on ${pub.network}`);
  }
  const myIndex = params.participants.findIndex((p) => p.identityKey === pub.identityKey);
  if (myIndex < 0) {
    throw new ConclaveError('NOT_A_MEMBER', `frost setup ${setup.setupId}: your identity key ${identityFingerprint(pub.identityKey)} is not one of its ${params.participants.length} participants`);
  }
  // Checked before taking part, and again at the pin: a policy this signer would refuse to pin
  // is better refused before any key exists. The vault has no id yet; the setup id stands in.
  checkPolicyFits(params.vault.policy, params.participants.map((p) => p.identityKey), `setup ${setup.setupId}`, params.network);
  return myIndex;
}

export function reviewLines(params: FrostSetupParams, opener: string, expiresAt: string, me: string, paramsHash: string): string[] {
  const n = params.participants.length;
  const myIndex = params.participants.findIndex((p) => p.identityKey === me);
  const openerIndex = params.participants.findIndex((p) => p.identityKey === opener);
  const { policy } = params.vault;
  return [
    `FROST key generation for vault "${params.vault.name}" (setup ${params.setupId}) on ${params.network}:`,
    `  ${params.threshold} of ${n}: any ${params.threshold} keyholders sign together for one ordinary Taproot key; no one ever holds the whole key.`,
    `  Opened by participant ${openerIndex + 1} (${identityFingerprint(opener)}); deadline ${expiresAt}.`,
    `  You are participant ${myIndex + 1} of ${n}.`,
    'Participants: compare EVERY identity fingerprint with its owner out of band (in person or by phone):',
    ...params.participants.map((p, i) => `  ${i + 1}. ${p.name ?? '(no name)'}${i === myIndex ? ' (you)' : ''}  ${identityFingerprint(p.identityKey)}`),
    ...policyLines(policy),
    `Params hash: ${groups(paramsHash)}  (every participant must see the same)`,
  ];
}

/** Shows the review and asks; refuses without a terminal unless --yes (like `listen`). */
export async function confirmTakingPart(review: string[], yes: boolean | undefined, what: string): Promise<void> {
  if (yes) return;
  if (!isInteractive()) {
    throw new ConclaveError('VALIDATION_FAILED', `${what}: no terminal to confirm on; review the setup, compare the fingerprints out of band, then pass --yes`);
  }
  process.stderr.write(`${review.join('\n')}\n`);
  if (!(await confirm('Have all participants compared these fingerprints out of band, and do they match? Take part?'))) {
    throw new ConclaveError('USER_DECLINED', `${what}: nothing was sent`);
  }
}

/** Whether this signer already holds state for the setup (no passphrase needed). */
export function localResumePoint(ctx: CliContext, setupId: string): ReturnType<typeof resumePoint> {
  return resumePoint({
    hasDkgState: (id) => existsSync(dkgStatePath(ctx.home, id)),
    hasShare: (id) => existsSync(sharePath(ctx.home, id)),
  }, ctx.state, setupId);
}

/**
 * Runs the DKG for this signer with the keystore unlocked, holding `frost/<setupId>.lock` so
 * that two processes on one home never both start round 1 (that would be equivocation).
 * `open`, when given, runs first under the same unlock (the opener signs frost.setup.open).
 */
export async function runWithKeystore(
  ctx: CliContext, relay: FrostRelay, setupId: string,
  first: RelayedFrostSetup | ((sign: (type: string, body: unknown) => unknown) => Promise<RelayedFrostSetup>),
  options: FrostDkgOptions,
): Promise<FrostDkgOutcome> {
  return withFrostSecrets(ctx, async (keystore, secrets) => {
    ensurePrivateDir(frostDir(ctx.home));
    const lock = new FileLock(join(frostDir(ctx.home), `${setupId}.lock`), 0);
    try {
      return await lock.withLockAsync(async () => {
        const setup = typeof first === 'function'
          ? await first((type, body) => keystore.signEnvelope(type, body, { now: ctx.now() }))
          : first;
        return runFrostDkg({
          relay,
          secrets,
          state: ctx.state,
          signer: { identityKey: keystore.identityKey, dkgContext: (now) => keystore.dkgContext(now) },
          now: () => ctx.now(),
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          pollMs: pollMs(),
          progress: (line) => ctx.out.progress(line),
        }, setup, options);
      });
    } catch (error) {
      if (error instanceof ConclaveError && error.code === 'VALIDATION_FAILED' && error.message.includes('holds the state lock')) {
        throw new ConclaveError('VALIDATION_FAILED', `frost setup ${setupId}: another signer process on this home is running it; wait for it or stop it`);
      }
      throw error;
    }
  });
}

export function outcomeResult(outcome: FrostDkgOutcome, me: string): CommandResult {
  const { setup, myIndex } = outcome;
  const { params } = setup;
  const n = params.participants.length;
  const members = params.participants.map((p, i) => ({
    position: i + 1, name: p.name ?? null, identityKey: p.identityKey, fingerprint: identityFingerprint(p.identityKey), you: p.identityKey === me,
  }));
  const common = {
    setupId: setup.setupId, name: params.vault.name, network: params.network, threshold: params.threshold, participants: n,
    position: myIndex + 1, expiresAt: setup.expiresAt, policy: params.vault.policy, members,
  };
  if (outcome.status === 'round1-sent') {
    return {
      data: { ...common, status: 'round1-sent' },
      text: [
        `FROST setup ${setup.setupId} for vault "${params.vault.name}": ${params.threshold} of ${n} on ${params.network}; your round-1 commitment is sent.`,
        `Every other participant runs: conclave-signer frost join ${setup.setupId}`,
        `Then continue (and wait for the others) with: conclave-signer frost join ${setup.setupId}`,
      ],
    };
  }
  const { pin } = outcome;
  return {
    data: {
      ...common,
      status: 'complete',
      vaultId: pin.vaultId,
      kind: 'tr-frost',
      descriptor: pin.descriptor,
      descriptorHash: pin.descriptorHash,
      groupXpub: pin.frost?.groupXpub,
      firstAddress: pin.firstAddress,
      transcriptHash: pin.frost?.transcriptHash,
      identifier: pin.frost?.identifier,
      policyHash: pin.policyHash,
      alreadyPinned: outcome.alreadyPinned,
      resumed: outcome.resumed,
    },
    text: [
      `FROST vault "${pin.name}" ${pin.vaultId}: ${pin.threshold} of ${n} on ${pin.network}; you are participant ${myIndex + 1}.`,
      'All participants signed one transcript: the certificate verified against the transcript hash your own DKG gave.',
      `Descriptor (watch-only, derived here): ${pin.descriptor}`,
      `First receive address:               ${pin.firstAddress}`,
      `Transcript hash:                     ${groups(pin.frost?.transcriptHash ?? '')}`,
      'Every participant must see the same first address and transcript hash.',
      outcome.alreadyPinned ? `Vault ${pin.vaultId} was already pinned on ${pin.pinnedAt}; it still matches.` : `Pinned vault ${pin.vaultId}; your key share is sealed in frost/${setup.setupId}.share (back up this signer's home).`,
    ],
  };
}
