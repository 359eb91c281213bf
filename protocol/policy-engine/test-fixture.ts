/**
 * Test support, not product code: a vault's pinned policy state with seven members in groups,
 * a two-tier rule set, an address book, and builders of signed proposals, approvals and
 * intents. Shared by the policy-engine tests.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p2wpkh } from '@scure/btc-signer';
import { type WithdrawalIntent, MESSAGE_TYPES, withdrawalIntentSchema } from '../api';
import { type Envelope, identityPublicKey, signEnvelope } from '../envelope';
import { intentHash } from '../intent/intent-hash';
import { networkParams } from '../network';
import { GOVERNANCE_MESSAGE_TYPES, changeId, type ChangeProposal } from './changes';
import { type EvaluateWithdrawalInput, evaluateWithdrawal } from './evaluate-withdrawal';
import type { Member } from './members';
import { type PolicyRules, policyRulesHash } from './rules';
import { type PinnedPolicyState, pinnedStateHashes } from './state';
import type { PaidOutRecord } from './velocity';

export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const VAULT_ID = '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f';
export const WITHDRAWAL_ID = '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c';
export const BTC = 100_000_000n;
export const SECOND = 1000;
export const HOUR = 3600 * SECOND;
export const DAY = 24 * HOUR;

export const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

export interface Person {
  name: string;
  secret: Uint8Array;
  key: string;
  member: Member;
}

function person(seed: number, name: string, groups: string[]): Person {
  const secret = new Uint8Array(32).fill(seed);
  const key = identityPublicKey(secret);
  return { name, secret, key, member: { identityKey: key, name, groups } };
}

export const ada = person(1, 'Ada', ['admins', 'approvers']);
export const ben = person(2, 'Ben', ['admins']);
export const cat = person(3, 'Cat', ['admins', 'keyholders']);
export const cy = person(4, 'Cy', ['approvers', 'keyholders']);
export const dee = person(5, 'Dee', ['approvers', 'keyholders']);
export const ian = person(6, 'Ian', ['initiators']);
export const aud = person(7, 'Aud', ['auditors']);
/** Not a member: a thief, or the coordinator's own key. */
export const zed = person(9, 'Zed', ['admins']);
export const PEOPLE = [ada, ben, cat, cy, dee, ian, aud];

/** A regtest P2WPKH address of its own per seed. */
export function address(seed: number): string {
  const pub = secp256k1.getPublicKey(new Uint8Array(32).fill(seed), true);
  return p2wpkh(pub, networkParams('regtest')).address as string;
}
export const PAYEE = address(50);
export const SUPPLIER = address(51);
export const NEW_ADDRESS = address(52);

export const POLICY: PolicyRules = {
  format: 2,
  version: 1,
  maxFeeSats: '1000000',
  maxFeeRate: '100',
  withdrawals: {
    proposerGroups: ['initiators', 'keyholders'],
    tiers: [
      { name: 'small', upToSats: (1n * BTC).toString(), approvals: [{ group: 'approvers', count: 1 }], delaySeconds: 0 },
      { name: 'large', upToSats: (10n * BTC).toString(), approvals: [{ group: 'approvers', count: 2 }, { group: 'admins', count: 1 }], delaySeconds: 24 * 3600 },
    ],
    velocity: [{ windowSeconds: 24 * 3600, capSats: (12n * BTC).toString() }],
  },
  addressBook: { quorum: [{ group: 'admins', count: 2 }], coolingOffSeconds: 48 * 3600, expireAfterDisuseSeconds: 90 * 24 * 3600 },
  changes: {
    policy: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 72 * 3600 },
    members: {
      quorum: [{ group: 'admins', count: 2 }],
      delaySeconds: 48 * 3600,
      whenSubjectIn: [{ group: 'keyholders', quorum: [{ group: 'keyholders', count: 1 }] }],
    },
  },
};

const HASH = 'ab'.repeat(32);

/** PAYEE approved 30 days ago, SUPPLIER 10 days ago; neither used yet. */
export function pinned(overrides: Partial<PinnedPolicyState> = {}): PinnedPolicyState {
  return {
    vaultId: VAULT_ID,
    network: 'regtest',
    policy: POLICY,
    members: { revision: 0, members: PEOPLE.map((p) => p.member) },
    addressBook: {
      revision: 2,
      entries: [
        { address: PAYEE, label: 'payroll', approvedAt: at(-30 * DAY).toISOString(), changeId: HASH },
        { address: SUPPLIER, label: 'supplier', approvedAt: at(-10 * DAY).toISOString(), changeId: HASH },
      ],
    },
    ...overrides,
  };
}

export const fixedRandom = (n: number) => new Uint8Array(n).fill(7);

export function sign<T>(type: string, body: T, who: Person, when: Date = NOW): Envelope<T> {
  return signEnvelope(type, body, who.secret, { now: when, randomBytes: fixedRandom });
}

export function intent(overrides: Partial<WithdrawalIntent> & { pay?: Array<[string, bigint]> } = {}): WithdrawalIntent {
  const { pay = [[PAYEE, BTC / 2n]], ...rest } = overrides;
  return withdrawalIntentSchema.parse({
    vaultId: VAULT_ID,
    network: 'regtest',
    requestId: 'req-1',
    outputs: pay.map(([a, amount]) => ({ address: a, amount: amount.toString() })),
    feeRate: '5',
    maxFee: '20000',
    memo: '',
    expiresAt: at(7 * DAY).toISOString(),
    policyHash: policyRulesHash(POLICY),
    ...rest,
  });
}

export function approval(of: WithdrawalIntent, who: Person, overrides: { withdrawalId?: string; when?: Date } = {}): Envelope {
  const body = { withdrawalId: overrides.withdrawalId ?? WITHDRAWAL_ID, vaultId: of.vaultId, intentHash: intentHash(of) };
  return sign(MESSAGE_TYPES.withdrawalApprove, body, who, overrides.when);
}

/** A withdrawal proposed by Ian an hour ago, approved by Cy; each field can be replaced. */
export function withdrawal(overrides: Partial<EvaluateWithdrawalInput> = {}): EvaluateWithdrawalInput {
  const of = overrides.intent ?? intent();
  return {
    ...pinned(),
    intent: of,
    withdrawalId: WITHDRAWAL_ID,
    proposer: ian.key,
    proposalTime: at(-HOUR),
    approvals: [approval(of, cy)],
    now: NOW,
    journal: [],
    ...overrides,
  };
}

/** The reasons of a refusal, or [] when accepted. */
export function refusal(input: EvaluateWithdrawalInput): string[] {
  const result = evaluateWithdrawal(input);
  return result.ok ? [] : result.reasons;
}

export function record(amount: bigint, signedAt: Date, overrides: Partial<PaidOutRecord> = {}): PaidOutRecord {
  return {
    vaultId: VAULT_ID,
    withdrawalId: `w-${signedAt.getTime()}-${amount}`,
    paymentsHash: 'cd'.repeat(32),
    signedAt: signedAt.toISOString(),
    amountSats: amount.toString(),
    destinations: [PAYEE],
    ...overrides,
  };
}

type ChangeBody<C = ChangeProposal> = C extends ChangeProposal ? Omit<C, 'vaultId' | 'base' | 'reason'> & Partial<Pick<C, 'vaultId' | 'base' | 'reason'>> : never;

/** A proposal signed by `who` at `when`, naming the current hash of the part it changes unless told otherwise. */
export function propose(state: PinnedPolicyState, body: ChangeBody, who: Person, when: Date): Envelope {
  const part = body.op === 'policy.replace' ? 'policy' : body.op.startsWith('address-book.') ? 'addressBook' : 'members';
  const full = { vaultId: state.vaultId, base: pinnedStateHashes(state)[part], reason: 'test', ...body };
  return sign(GOVERNANCE_MESSAGE_TYPES.propose, full, who, when);
}

export function approveChange(proposal: Envelope, who: Person, when: Date): Envelope<{ vaultId: string; changeId: string }> {
  return sign(GOVERNANCE_MESSAGE_TYPES.approve, { vaultId: VAULT_ID, changeId: changeId(proposal) }, who, when);
}
