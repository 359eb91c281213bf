/**
 * Test support for FROST Taproot vaults through a real coordinator: keyholders join, run the
 * DKG over the HTTP relay (server/frost-setups) with protocol/frost in-process, and then play
 * the signer's side of the signing rounds (server/frost-signing) as `signer-cli listen` would:
 * verify the withdrawal against what they pinned, commit fresh nonces, check the session the
 * coordinator shows, and sign. Every keyholder keeps its own nonces and marks them spent.
 */
import { randomBytes } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import { type FrostVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import type { Envelope } from '../../protocol/envelope';
import {
  type DkgContext, type DkgState, type FrostBaseKey, type FrostBaseShare, type FrostCommitBody, type FrostSetupParams, type FrostSetupView,
  type FrostShareBody, type FrostSigningView, type Nonces, FROST_SETUP_OPEN, FROST_SIGN_MESSAGE_TYPES, baseKeyFromDkg, checkSigningPackage,
  childSigningKey, commitNonces, commitmentHex, dkgRound2, encodeSignatureShare, finishDkg, newSetupId, signShare, startDkg,
} from '../../protocol/frost';
import { type TaprootKeySpend, verifyWithdrawalForSigning } from '../../protocol/intent';
import { DEFAULT_POLICY, type VaultPolicy } from '../../protocol/policy';
import type { RunningCoordinator } from './in-process-coordinator';
import { type TestKeyholder, testKeyholder } from './test-keyholder';

const rng = (length: number) => new Uint8Array(randomBytes(length));
const ctxOf = (k: TestKeyholder): DkgContext => ({ identitySecret: k.identitySecret, randomBytes: rng, now: new Date() });

/** One keyholder of a FROST vault, holding its share (in memory only) and its unspent nonces. */
export interface FrostSigner {
  k: TestKeyholder;
  /** 0-based participant index: FROST identifier index + 1. */
  index: number;
  base: FrostBaseKey;
  share: FrostBaseShare;
  chainCode: Uint8Array;
  /** Nonces by commitment id, deleted when used (the nonce store's rule: a pair signs once). */
  nonces: Map<string, { withdrawalId: string; nonces: Nonces[]; commitments: Array<{ hiding: string; binding: string }> }>;
}

export interface FrostVaultScenario {
  vault: VaultView;
  descriptor: FrostVaultDescriptor;
  signers: FrostSigner[];
  policy: VaultPolicy;
}

export function frostKeyholders(names: string[], seed: string): TestKeyholder[] {
  return names.map((name) => testKeyholder(name, `${name} ${seed} frost signing words one two three four five six`));
}

/** Whatever answers the coordinator's REST API: an in-process coordinator, or a process over fetch (bench). */
export type CoordinatorApi = Pick<RunningCoordinator, 'call'> & Partial<Pick<RunningCoordinator, 'actAs' | 'actor' | 'sessionFor'>>;

/** Members join, then a t-of-n DKG runs over the coordinator's relay into an active tr-frost vault. */
export async function setupFrostVault(coord: CoordinatorApi, holders: TestKeyholder[], threshold = 2, policy: VaultPolicy = DEFAULT_POLICY): Promise<FrostVaultScenario> {
  await joinMembers(coord, holders);
  return runFrostDkg(coord, holders, threshold, policy);
}

export async function joinMembers(coord: CoordinatorApi, holders: TestKeyholder[]): Promise<void> {
  for (const k of holders) {
    const joined = await coord.call('POST', '/api/v1/members', k.sign(MESSAGE_TYPES.memberJoin, { name: k.name, network: 'regtest', accountKey: k.accountKey }));
    if (joined.status !== 201) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
  }
  // Reads need a member's session (server/auth): the first holder reads unless the test chose someone.
  if (coord.actAs && coord.sessionFor && coord.actor === null) {
    coord.actAs(holders[0]!);
    await coord.sessionFor(holders[0]!);
  }
}

/** A t-of-n DKG among members who joined already, over the relay, into an active tr-frost vault. */
export async function runFrostDkg(coord: CoordinatorApi, holders: TestKeyholder[], threshold = 2, policy: VaultPolicy = DEFAULT_POLICY): Promise<FrostVaultScenario> {
  const params: FrostSetupParams = {
    setupId: newSetupId(rng), network: 'regtest', vault: { name: 'frost treasury', policy }, threshold,
    participants: holders.map((k) => ({ identityKey: k.identityKey, name: k.name })),
  };
  const setupUrl = `/api/v1/frost-setups/${params.setupId}`;
  const must = async <T>(reply: Promise<{ status: number; body: T }>, what: string): Promise<T> => {
    const res = await reply;
    if (res.status !== 200 && res.status !== 201) throw new Error(`${what} failed: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await must(coord.call('POST', '/api/v1/frost-setups', holders[0]!.sign(FROST_SETUP_OPEN, { params, expiresAt: new Date(Date.now() + 3600_000).toISOString() })), 'open');
  const states: DkgState[] = [];
  for (const [index, k] of holders.entries()) {
    const { round1Message, state } = startDkg(params, index, ctxOf(k));
    states.push(state);
    await must(coord.call('POST', `${setupUrl}/round1`, round1Message), 'round1');
  }
  const afterRound1 = await must(coord.call<FrostSetupView>('GET', setupUrl), 'view');
  for (const [index, k] of holders.entries()) {
    const { round2Messages, state } = dkgRound2(states[index]!, afterRound1.round1, ctxOf(k));
    states[index] = state;
    await must(coord.call('POST', `${setupUrl}/round2`, { messages: round2Messages }), 'round2');
  }
  const signers: FrostSigner[] = [];
  let final: FrostSetupView | undefined;
  for (const [index, k] of holders.entries()) {
    const sealed = await must(coord.call<unknown[]>('GET', `${setupUrl}/round2/${k.identityKey}`), 'round2 fetch');
    const { result, confirmation } = finishDkg(states[index]!, sealed, ctxOf(k));
    const { key, share } = baseKeyFromDkg(result.keyPackage, hexToBytes(result.untweakedGroupKey));
    signers.push({ k, index, base: key, share, chainCode: hexToBytes(result.chainCode), nonces: new Map() });
    final = await must(coord.call<FrostSetupView>('POST', `${setupUrl}/confirm`, confirmation), 'confirm');
  }
  if (final?.state !== 'complete' || !final.vaultId) throw new Error(`setup did not complete: ${JSON.stringify(final)}`);
  const vault = await must(coord.call<VaultView>('GET', `/api/v1/vaults/${final.vaultId}`), 'vault');
  return { vault, descriptor: parseVaultDescriptor(vault.descriptor, 'regtest', ['tr-frost']), signers, policy };
}

/** What the signer checks before it commits: the withdrawal implements the intent, on its pinned vault. */
export function keySpendsFor(scenario: FrostVaultScenario, w: WithdrawalView): TaprootKeySpend[] {
  const result = verifyWithdrawalForSigning({
    withdrawal: { id: w.id, intent: w.intent, intentHash: w.intentHash, proposal: w.proposal, psbt: w.psbt, approvals: w.approvals },
    pinned: { vaultId: scenario.vault.id, descriptor: scenario.descriptor, memberKeys: scenario.signers.map((s) => s.k.identityKey), policy: scenario.policy },
    network: 'regtest', now: new Date(), journal: [],
  });
  if (!result.ok) throw new Error(`signer refuses: ${result.reasons.join('; ')}`);
  if (result.kind !== 'tr-frost') throw new Error('expected a FROST withdrawal');
  return result.keySpends;
}

/** Round 1: fresh nonces for every input, kept by the signer, and the signed commitment statement. */
export function commitFor(scenario: FrostVaultScenario, signer: FrostSigner, w: WithdrawalView): Envelope<FrostCommitBody> {
  const spends = keySpendsFor(scenario, w);
  const made = spends.map((s) => commitNonces(childSigningKey(signer.base, signer.share, signer.chainCode, s.change, s.index).secret, rng));
  const commitmentId = Buffer.from(rng(16)).toString('hex');
  const commitments = made.map((m) => commitmentHex(m.commitments));
  signer.nonces.set(commitmentId, { withdrawalId: w.id, nonces: made.map((m) => m.nonces), commitments });
  return signer.k.sign(FROST_SIGN_MESSAGE_TYPES.commit, {
    withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, commitmentId,
    inputs: commitments.map((c, input) => ({ input, ...c })),
  });
}

/**
 * Round 2: the signer finds its commitment in the session, checks the session (signing-package.ts),
 * spends its nonces (deleted before the share leaves) and signs every input.
 */
export function sharesFor(scenario: FrostVaultScenario, signer: FrostSigner, w: WithdrawalView, view: FrostSigningView, sessionId: string): Envelope<FrostShareBody> {
  const session = view.sessions.find((s) => s.sessionId === sessionId);
  if (!session) throw new Error(`no session ${sessionId}`);
  const mine = session.commits.find((c) => c.signer === signer.k.identityKey);
  const stored = mine && signer.nonces.get(mine.body.commitmentId);
  if (!mine || !stored) throw new Error('this signer has no commitment in the session');
  const spends = keySpendsFor(scenario, w);
  const pkg = checkSigningPackage({
    session,
    withdrawal: { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, inputCount: spends.length },
    group: { participants: scenario.signers.map((s) => s.k.identityKey), threshold: scenario.vault.threshold },
    me: { identityKey: signer.k.identityKey, commitmentId: mine.body.commitmentId, commitments: stored.commitments },
  });
  signer.nonces.delete(mine.body.commitmentId);
  const shares = spends.map((s, input) => {
    const key = childSigningKey(signer.base, signer.share, signer.chainCode, s.change, s.index);
    return { input, share: encodeSignatureShare(signShare(key.secret, key.public, stored.nonces[input]!, pkg.commitmentLists[input]!, s.sighash)) };
  });
  return signer.k.sign(FROST_SIGN_MESSAGE_TYPES.share, {
    withdrawalId: w.id, sessionId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, commitmentId: mine.body.commitmentId, shares,
  });
}
