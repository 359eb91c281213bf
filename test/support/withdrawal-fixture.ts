/**
 * Test support, not product code: a 2-of-3 regtest vault of three BIP39 test mnemonics, a
 * funding transaction, and builders of honest and altered withdrawals (real descriptors and
 * PSBTs from protocol/descriptor and protocol/psbt). Shared by the intent verification tests
 * and the signer's signing-flow tests.
 */
import { base64 } from '@scure/base';
import { p2wpkh } from '@scure/btc-signer';
import type { WithdrawalIntent } from '../../protocol/api';
import { deriveVaultScript, type MultisigVaultDescriptor } from '../../protocol/descriptor';
import { signEnvelope } from '../../protocol/envelope';
import { networkParams } from '../../protocol/network';
import { buildWithdrawalPsbt } from '../../protocol/psbt';
import { decodeRawPsbtV0, encodeRawPsbtV0 } from '../../protocol/psbt/raw';
import { intentHash } from '../../protocol/intent/intent-hash';
import { type VaultPolicy, policyHash } from '../../protocol/policy';
import type { SigningRecord } from '../../protocol/intent/signing-journal';
import type { VerifyWithdrawalInput } from '../../protocol/intent/verify-withdrawal';
import { fundingTxPaying } from './funding-tx';
import { testKeyholder } from './test-keyholder';

export const NOW = new Date('2026-03-01T12:00:00Z');
export const VAULT_ID = '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f';
export const WITHDRAWAL_ID = '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c';
export const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
export const MNEMONICS = [
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  'legal winner thank year wave sausage worth useful legal winner thank yellow',
  'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
  'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
];
export const fixedRandom = (n: number) => new Uint8Array(n).fill(7);

export function keyholder(mnemonic: string) {
  const k = testKeyholder('fixture', mnemonic);
  return { account: k.account, origin: k.accountKey, identitySecret: k.identitySecret, identityKey: k.identityKey };
}

export const [alice, bob, carol, mallory] = MNEMONICS.map(keyholder);
/** A P2WPKH address of mallory's, the destination a thief would slip in. */
export const ATTACKER = p2wpkh(mallory.account.deriveChild(0).deriveChild(0).publicKey as Uint8Array, networkParams('regtest')).address as string;
export const vault: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: [alice, bob, carol].map((k) => k.origin) };
// Same shape, one key swapped: its scripts look like the vault's but are not.
export const foreignVault: MultisigVaultDescriptor = { ...vault, keys: [alice, bob, mallory].map((k) => k.origin) };
export const ACCOUNT_PATH = [48, 1, 0, 2].map((i) => i + 0x80000000);

export function fundingTx(payments: Array<{ script: Uint8Array; amount: bigint }>, salt: number) {
  return fundingTxPaying(payments, new Uint8Array(32).fill(salt));
}

export const coinA = deriveVaultScript(vault, 0, 0);
export const coinB = deriveVaultScript(vault, 0, 1);
export const funding = fundingTx([{ script: coinA.scriptPubKey, amount: 500_000n }, { script: coinB.scriptPubKey, amount: 300_000n }], 1);
export const foreignCoin = deriveVaultScript(foreignVault, 0, 0);
export const foreignFunding = fundingTx([{ script: foreignCoin.scriptPubKey, amount: 500_000n }], 2);

export interface PsbtShape {
  outputs?: Array<{ address: string; amount: bigint }>;
  change?: Array<{ change: 0 | 1; index: number; amount: bigint; descriptor?: MultisigVaultDescriptor }>;
  foreignInput?: boolean;
  locktime?: number;
  sequence?: number;
}

/** Honest: spends coin A (500,000), pays 400,000 to DESTINATION, 99,000 change at 1/0, fee 1,000 (~5.6 sat/vB). */
export function psbt(shape: PsbtShape = {}): string {
  const change = shape.change ?? [{ change: 1, index: 0, amount: 99_000n }];
  const base64Psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: shape.foreignInput
      ? [{ txid: foreignFunding.txid, vout: 0, prevTxHex: foreignFunding.hex, script: foreignCoin }]
      : [{ txid: funding.txid, vout: 0, prevTxHex: funding.hex, script: coinA }],
    outputs: [
      ...(shape.outputs ?? [{ address: DESTINATION, amount: 400_000n }]),
      // Extra change outputs beyond the first are added as plain outputs to their addresses.
      ...change.slice(1).map((c) => ({ address: deriveVaultScript(c.descriptor ?? vault, c.change, c.index).address, amount: c.amount })),
    ],
    change: change.length === 0 ? undefined : {
      script: deriveVaultScript(change[0].descriptor ?? vault, change[0].change, change[0].index),
      amount: change[0].amount,
    },
    globalXpubs: vault.keys.map((k) => ({ xpub: k.xpub, fingerprint: k.fingerprint, path: ACCOUNT_PATH })),
    locktime: shape.locktime ?? 0,
    sequence: shape.sequence,
  });
  return base64Psbt;
}

/** The pinned policy of the fixture vault: one approval besides the proposer's. */
export const POLICY: VaultPolicy = { version: 1, requiredApprovals: 1, maxFeeSats: '20000', maxFeeRate: '50' };

export function honestIntent(overrides: Partial<WithdrawalIntent> = {}): WithdrawalIntent {
  return {
    vaultId: VAULT_ID, network: 'regtest', requestId: 'req-1', outputs: [{ address: DESTINATION, amount: '400000' }],
    feeRate: '6', maxFee: '5000', memo: '', expiresAt: '2026-03-02T12:00:00.000Z', policyHash: policyHash(POLICY), ...overrides,
  };
}

/** An approval envelope by `by` (bob unless said otherwise) for the given intent. */
export function approval(intent: WithdrawalIntent, by: { identitySecret: Uint8Array } = bob, overrides: Record<string, string> = {}) {
  return signEnvelope('withdrawal.approve', { withdrawalId: WITHDRAWAL_ID, vaultId: VAULT_ID, intentHash: intentHash(intent), ...overrides }, by.identitySecret, { now: NOW, randomBytes: fixedRandom });
}

export function verifyInput(options: {
  intent?: WithdrawalIntent; psbt?: string; proposer?: Uint8Array; journal?: SigningRecord[]; now?: Date; approvals?: unknown[]; policy?: VaultPolicy;
} = {}): VerifyWithdrawalInput {
  const intent = options.intent ?? honestIntent();
  return {
    withdrawal: {
      id: WITHDRAWAL_ID,
      intent,
      intentHash: intentHash(intent),
      proposal: signEnvelope(intent.replaces === undefined ? 'withdrawal.propose' : 'withdrawal.bump', intent, options.proposer ?? alice.identitySecret, { now: NOW, randomBytes: fixedRandom }),
      psbt: options.psbt ?? psbt(),
      approvals: options.approvals ?? [approval(intent)],
    },
    pinned: { vaultId: VAULT_ID, descriptor: vault, memberKeys: [alice, bob, carol].map((k) => k.identityKey), policy: options.policy ?? POLICY },
    network: 'regtest',
    now: options.now ?? NOW,
    journal: options.journal ?? [],
  };
}

export function editPsbt(text: string, edit: (raw: ReturnType<typeof decodeRawPsbtV0>) => void): string {
  const raw = decodeRawPsbtV0(base64.decode(text));
  edit(raw);
  return base64.encode(encodeRawPsbtV0(raw));
}
