/**
 * Test support, not product code: the 2-of-3 fixture vault of withdrawal-fixture.ts pinned
 * with a governed policy (version 2): Alice, Bob and Carol hold the keys, Ada and Ben are
 * admins, Ian an initiator; two tiers (small: one approver; large: an approver and an admin,
 * after a day), a velocity limit, and DESTINATION in the address book. Builders of token
 * proposals (the member's grant, the coordinator's statement) and passkey approvals.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { WithdrawalIntent } from '../../protocol/api';
import { MESSAGE_TYPES } from '../../protocol/api';
import { identityPublicKey, signEnvelope } from '../../protocol/envelope';
import { intentHash } from '../../protocol/intent/intent-hash';
import type { SigningRecord } from '../../protocol/intent/signing-journal';
import type { VerifyWithdrawalInput, VerifyWithdrawalResult } from '../../protocol/intent/verify-withdrawal';
import { verifyWithdrawalForSigning } from '../../protocol/intent/verify-withdrawal';
import type { GovernedPolicy } from '../../protocol/policy';
import type { AddressBookEntry, Member, PolicyRules } from '../../protocol/policy-engine';
import { policyRulesHash } from '../../protocol/policy-engine';
import { SoftwarePasskey } from './software-passkey';
import { DESTINATION, NOW, VAULT_ID, WITHDRAWAL_ID, alice, bob, carol, fixedRandom, honestIntent, psbt, verifyInput } from './withdrawal-fixture';

export { DESTINATION, NOW, VAULT_ID, WITHDRAWAL_ID, alice, bob, carol } from './withdrawal-fixture';

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
export const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

export interface Someone { identitySecret: Uint8Array; identityKey: string }
function someone(seed: number): Someone {
  const identitySecret = new Uint8Array(32).fill(seed);
  return { identitySecret, identityKey: identityPublicKey(identitySecret) };
}
export const ada = someone(21);
export const ben = someone(22);
export const ian = someone(23);
/** The coordinator's own key, which signs token proposals, pinned by the signer at join. */
export const coordinator = someone(24);
/** Not a member. */
export const zed = someone(25);

/** Bob approves with this passkey too; Ada with hers. */
export const bobPasskey = new SoftwarePasskey(new Uint8Array(32).fill(31));
export const adaPasskey = new SoftwarePasskey(new Uint8Array(32).fill(32));
export const strayPasskey = new SoftwarePasskey(new Uint8Array(32).fill(33));

export const RULES: PolicyRules = {
  format: 2,
  version: 1,
  maxFeeSats: '20000',
  maxFeeRate: '50',
  withdrawals: {
    proposerGroups: ['initiators', 'keyholders'],
    tiers: [
      { name: 'small', upToSats: '250000', approvals: [{ group: 'approvers', count: 1 }], delaySeconds: 0 },
      { name: 'large', upToSats: '100000000', approvals: [{ group: 'approvers', count: 1 }, { group: 'admins', count: 1 }], delaySeconds: 24 * 3600 },
    ],
    velocity: [{ windowSeconds: 24 * 3600, capSats: '1000000' }],
  },
  addressBook: { quorum: [{ group: 'admins', count: 2 }], coolingOffSeconds: 48 * 3600, expireAfterDisuseSeconds: 90 * 24 * 3600 },
  changes: {
    policy: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 72 * 3600 },
    members: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 48 * 3600, whenSubjectIn: [{ group: 'keyholders', quorum: [{ group: 'keyholders', count: 1 }] }] },
  },
};

const member = (who: Someone, name: string, groups: string[], passkeys?: SoftwarePasskey[]): Member => ({
  identityKey: who.identityKey, name, groups, ...(passkeys ? { passkeys: passkeys.map((p) => p.pinned) } : {}),
});

export const MEMBERS: Member[] = [
  member(alice, 'Alice', ['initiators', 'keyholders']),
  member(bob, 'Bob', ['approvers', 'keyholders'], [bobPasskey]),
  member(carol, 'Carol', ['keyholders']),
  member(ada, 'Ada', ['admins', 'approvers'], [adaPasskey]),
  member(ben, 'Ben', ['admins']),
  member(ian, 'Ian', ['initiators']),
];

export function bookEntry(address: string, approvedAt: Date, label = 'payee'): AddressBookEntry {
  return { address, label, approvedAt: approvedAt.toISOString(), changeId: 'ab'.repeat(32) };
}

/** DESTINATION approved 30 days ago: past its cooling-off, far from expiry. */
export function governedPolicy(overrides: { rules?: PolicyRules; entries?: AddressBookEntry[] } = {}): GovernedPolicy {
  return {
    version: 2,
    rules: overrides.rules ?? RULES,
    members: { revision: 0, members: MEMBERS },
    addressBook: { revision: 1, entries: overrides.entries ?? [bookEntry(DESTINATION, at(-30 * DAY))] },
  };
}

/** 200,000 sat to DESTINATION (tier "small"); or 400,000 (tier "large"). */
export function governedIntent(amount: 'small' | 'large' = 'small', overrides: Partial<WithdrawalIntent> = {}): WithdrawalIntent {
  return honestIntent({
    outputs: [{ address: DESTINATION, amount: amount === 'small' ? '200000' : '400000' }],
    expiresAt: at(7 * DAY).toISOString(),
    policyHash: policyRulesHash(RULES),
    ...overrides,
  });
}

export function governedPsbt(amount: 'small' | 'large' = 'small'): string {
  return amount === 'small'
    ? psbt({ outputs: [{ address: DESTINATION, amount: 200_000n }], change: [{ change: 1, index: 0, amount: 299_000n }] })
    : psbt();
}

export function approve(intent: WithdrawalIntent, by: Someone, when: Date = NOW) {
  return signEnvelope(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: WITHDRAWAL_ID, vaultId: VAULT_ID, intentHash: intentHash(intent) }, by.identitySecret, { now: when, randomBytes: fixedRandom });
}

export function approveByPasskey(intent: WithdrawalIntent, passkey: SoftwarePasskey, signer: Someone, when: Date = NOW, flags?: number) {
  const body = { withdrawalId: WITHDRAWAL_ID, vaultId: VAULT_ID, intentHash: intentHash(intent) };
  return passkey.statement(MESSAGE_TYPES.withdrawalApprove, body, signer.identityKey, when, flags === undefined ? {} : { flags });
}

export const TOKEN_SECRET_HASH = bytesToHex(sha256(new TextEncoder().encode('automation token secret')));

export interface TokenProposalOptions {
  grantedBy?: Someone;
  grantedAt?: Date;
  scope?: 'propose' | 'read';
  expiresAt?: Date;
  statementBy?: Someone;
  statementAt?: Date;
  tokenId?: string;
  intent?: WithdrawalIntent;
}

/** Ian's `propose` token, granted a day ago for 30 days, and the coordinator's statement at NOW. */
export function tokenProposal(intent: WithdrawalIntent, options: TokenProposalOptions = {}) {
  const grantedAt = options.grantedAt ?? at(-DAY);
  const grant = signEnvelope(MESSAGE_TYPES.tokenCreate, {
    name: 'payouts bot', scope: options.scope ?? 'propose', secretHash: TOKEN_SECRET_HASH, expiresAt: (options.expiresAt ?? at(30 * DAY)).toISOString(),
  }, (options.grantedBy ?? ian).identitySecret, { now: grantedAt, randomBytes: fixedRandom });
  const statement = signEnvelope(MESSAGE_TYPES.withdrawalProposeByToken, { intent: options.intent ?? intent, tokenId: options.tokenId ?? TOKEN_SECRET_HASH },
    (options.statementBy ?? coordinator).identitySecret, { now: options.statementAt ?? NOW, randomBytes: fixedRandom });
  return { format: 'token' as const, grant, statement };
}

export interface GovernedInputOptions {
  amount?: 'small' | 'large';
  intent?: WithdrawalIntent;
  policy?: GovernedPolicy;
  /** Alice's own proposal at NOW unless given (a member's envelope or token evidence). */
  proposal?: unknown;
  proposer?: Someone;
  proposedAt?: Date;
  approvals?: unknown[];
  journal?: SigningRecord[];
  now?: Date;
  coordinatorKey?: string | null;
  purpose?: 'sign' | 'approve';
}

/** Alice proposes 200,000 sat to DESTINATION at NOW; Bob approves; checked at NOW + 1 h. */
export function governedInput(options: GovernedInputOptions = {}): VerifyWithdrawalInput {
  const amount = options.amount ?? 'small';
  const intent = options.intent ?? governedIntent(amount);
  const base = verifyInput({ intent, psbt: governedPsbt(amount), approvals: options.approvals ?? [approve(intent, bob)], journal: options.journal, now: options.now ?? at(HOUR) });
  const proposal = options.proposal
    ?? signEnvelope(MESSAGE_TYPES.withdrawalPropose, intent, (options.proposer ?? alice).identitySecret, { now: options.proposedAt ?? NOW, randomBytes: fixedRandom });
  return {
    ...base,
    withdrawal: { ...base.withdrawal, proposal },
    pinned: { ...base.pinned, policy: options.policy ?? governedPolicy(), coordinatorKey: options.coordinatorKey === undefined ? coordinator.identityKey : options.coordinatorKey },
    ...(options.purpose ? { purpose: options.purpose } : {}),
  };
}

export function reasonsOf(result: VerifyWithdrawalResult): string[] {
  return result.ok ? [] : result.reasons;
}

export function verifyGoverned(options: GovernedInputOptions = {}): VerifyWithdrawalResult {
  return verifyWithdrawalForSigning(governedInput(options));
}

/** A journal entry of this signer's: `amount` paid to `to` at `signedAt`. */
export function signed(amount: bigint, signedAt: Date, overrides: Partial<SigningRecord> = {}): SigningRecord {
  const id = `${signedAt.getTime().toString(16).padStart(12, '0').slice(-12)}`;
  return {
    withdrawalId: `00000000-0000-4000-8000-${id}`,
    intentHash: sha256Hex(`intent ${id}`),
    unsignedTxid: sha256Hex(`tx ${id}`),
    inputs: [`${sha256Hex(`coin ${id}`)}:0`],
    fee: '1000',
    paymentsHash: sha256Hex(`payments ${id}`),
    vaultId: VAULT_ID,
    signedAt: signedAt.toISOString(),
    amountSats: amount.toString(),
    destinations: [DESTINATION],
    ...overrides,
  };
}

function sha256Hex(text: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}
