/** A signing request and a signed answer for the codec tests: shapes as the coordinator serves them. */
import { randomBytes } from 'node:crypto';
import { MESSAGE_TYPES, type WithdrawalSignature } from '../../protocol/api';
import { type Envelope, signEnvelope } from '../../protocol/envelope';
import type { WithdrawalViewParsed } from '../coordinator/views';
import type { SigningRequest } from './request-bundle';
import type { SigningResponse } from './response-file';

export const VAULT_ID = '7d1c3f5e-2b4a-4c6d-8e9f-0a1b2c3d4e5f';
export const WITHDRAWAL_ID = '0f9e8d7c-6b5a-4948-b7a6-958473625140';
const random = (n: number) => new Uint8Array(randomBytes(n));

export function sampleWithdrawal(): WithdrawalViewParsed {
  return {
    id: WITHDRAWAL_ID, vaultId: VAULT_ID, state: 'signing', requestId: 'req-1',
    intent: { vaultId: VAULT_ID, network: 'regtest', requestId: 'req-1', outputs: [{ address: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', amount: '250000' }], feeRate: '2', maxFee: '100000', memo: '', expiresAt: '2026-12-01T00:00:00.000Z', policyHash: 'ab'.repeat(32) },
    intentHash: 'cd'.repeat(32),
    proposal: { v: 1, type: 'withdrawal.propose', body: {}, signer: 'ef'.repeat(32) },
    proposedBy: 'ef'.repeat(32),
    // Long enough that the UR codec needs many parts.
    psbt: Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 167 + 13) % 256)).toString('base64'),
    unsignedTxid: '12'.repeat(32),
    fee: '282',
    approvals: [],
    signatures: [],
    txid: null, txHex: null,
    createdAt: '2026-11-23T08:00:00.000Z', updatedAt: '2026-11-23T08:00:01.000Z',
  };
}

export function sampleRequest(): SigningRequest {
  return { vaultId: VAULT_ID, withdrawalId: WITHDRAWAL_ID, exportedAt: '2026-11-23T08:00:02.000Z', withdrawal: sampleWithdrawal(), frost: null };
}

export function signedStatement(secret: Uint8Array, body: Partial<WithdrawalSignature> = {}): Envelope<WithdrawalSignature> {
  const full: WithdrawalSignature = {
    withdrawalId: WITHDRAWAL_ID, intentHash: 'cd'.repeat(32), unsignedTxid: '12'.repeat(32),
    partialSigs: [{ input: 0, pubkey: `02${'11'.repeat(32)}`, signature: `30${'44'.repeat(35)}01` }], ...body,
  };
  return signEnvelope(MESSAGE_TYPES.withdrawalSignature, full, secret, { now: new Date(), randomBytes: random, ttlSeconds: 3600 });
}

export function sampleResponse(secret: Uint8Array, statements?: Envelope[]): SigningResponse {
  const list = statements ?? [signedStatement(secret)];
  return { vaultId: VAULT_ID, withdrawalId: WITHDRAWAL_ID, signer: list[0]!.signer, signedAt: '2026-11-23T08:05:00.000Z', statements: list };
}
