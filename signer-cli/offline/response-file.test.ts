/** The offline answer: signed statements checked before they are posted, routed by their type. */
import { randomBytes } from 'node:crypto';
import { ConclaveError } from '../../protocol/errors';
import type { SigningRequest } from './request-bundle';
import { BundleTransport } from './bundle-transport';
import { serializeDocument } from './documents';
import { sampleRequest, sampleResponse, signedStatement, WITHDRAWAL_ID } from './offline-fixture';
import { decodeResponse, encodeResponse, statementRoute } from './response-file';
import { withdrawalViewSchema } from '../coordinator/views';

const secret = new Uint8Array(randomBytes(32));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  throw new Error('expected a ConclaveError');
}

describe('offline signing response', () => {
  it('round-trips and routes a withdrawal.signature to the signatures route', () => {
    const response = sampleResponse(secret);
    const decoded = decodeResponse(encodeResponse(response));
    expect(decoded).toEqual(response);
    expect(statementRoute(decoded.statements[0]!)).toEqual({ path: `/api/v1/withdrawals/${WITHDRAWAL_ID}/signatures`, kind: 'withdrawal' });
  });

  it('refuses an altered statement even under a recomputed hash: the keyholder signature no longer verifies', () => {
    const { hash: _hash, ...content } = JSON.parse(encodeResponse(sampleResponse(secret))) as { hash?: string; statements: Array<{ body: { unsignedTxid: string } }> };
    content.statements[0]!.body.unsignedTxid = '34'.repeat(32);
    expect(codeOf(() => decodeResponse(serializeDocument('Conclave/offline/response', content)))).toBe('ENVELOPE_BAD_SIGNATURE');
  });

  it('refuses a statement about another withdrawal, by another signer, or of another kind', () => {
    const about = sampleResponse(secret, [signedStatement(secret, { withdrawalId: '99999999-2222-4333-8444-555555555555' })]);
    expect(codeOf(() => decodeResponse(encodeResponse(about)))).toBe('OFFLINE_RESPONSE_INVALID');
    const other = new Uint8Array(randomBytes(32));
    const mixed = { ...sampleResponse(secret), statements: [signedStatement(other)] };
    expect(codeOf(() => decodeResponse(encodeResponse(mixed)))).toBe('OFFLINE_RESPONSE_INVALID');
    const kind = sampleResponse(secret, [{ ...signedStatement(secret), type: 'withdrawal.approve' }]);
    expect(codeOf(() => decodeResponse(encodeResponse(kind)))).toBe('OFFLINE_RESPONSE_INVALID');
    expect(codeOf(() => decodeResponse(encodeResponse(sampleResponse(secret)).slice(0, 100)))).toBe('OFFLINE_BUNDLE_TRUNCATED');
  });
});

describe('bundle transport', () => {
  it('answers the withdrawal from the bundle and keeps what would be posted, opening nothing', async () => {
    const request: SigningRequest = sampleRequest();
    const transport = new BundleTransport(request);
    expect((await transport.get(`/api/v1/withdrawals/${WITHDRAWAL_ID}`, withdrawalViewSchema)).id).toBe(WITHDRAWAL_ID);
    await expect(transport.get(`/api/v1/withdrawals/${WITHDRAWAL_ID}/frost`, withdrawalViewSchema)).rejects.toMatchObject({ code: 'OFFLINE_BUNDLE_INVALID' });
    const statement = signedStatement(secret);
    await transport.post(`/api/v1/withdrawals/${WITHDRAWAL_ID}/signatures`, statement, withdrawalViewSchema);
    expect(transport.statements).toEqual([statement]);
    await expect(transport.post('/api/v1/vaults', statement, withdrawalViewSchema)).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
