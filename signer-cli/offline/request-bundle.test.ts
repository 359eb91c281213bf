/** The signing-request bundle codec: what an offline signer accepts, and every way a bundle is refused. */
import { ConclaveError } from '../../protocol/errors';
import { contentHash, serializeDocument } from './documents';
import { sampleRequest, VAULT_ID } from './offline-fixture';
import { decodeRequest, encodeRequest, REQUEST_FORMAT } from './request-bundle';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  throw new Error('expected a ConclaveError');
}

describe('signing-request bundle', () => {
  it('round-trips, versioned and tagged, with a hash over its content', () => {
    const text = encodeRequest(sampleRequest());
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(doc).toMatchObject({ format: REQUEST_FORMAT, v: 1, vaultId: VAULT_ID });
    expect(doc.hash).toBe(contentHash('Conclave/offline/request', doc));
    expect(decodeRequest(text)).toEqual(sampleRequest());
  });

  it('refuses tampered content: the hash no longer matches', () => {
    const doc = JSON.parse(encodeRequest(sampleRequest())) as { withdrawal: { fee: string; intent: { outputs: Array<{ amount: string }> } } };
    doc.withdrawal.intent.outputs[0]!.amount = '2500000';
    expect(codeOf(() => decodeRequest(JSON.stringify(doc)))).toBe('OFFLINE_BUNDLE_INVALID');
  });

  it('refuses a file cut short as truncated, whatever the cut', () => {
    const text = encodeRequest(sampleRequest());
    for (const length of [1, 40, Math.floor(text.length / 2), text.length - 3]) {
      expect(codeOf(() => decodeRequest(text.slice(0, length)))).toBe('OFFLINE_BUNDLE_TRUNCATED');
    }
    expect(codeOf(() => decodeRequest('  \n'))).toBe('OFFLINE_BUNDLE_TRUNCATED');
  });

  it('refuses what is not a bundle: other format, other version, garbage, no hash', () => {
    const doc = JSON.parse(encodeRequest(sampleRequest())) as Record<string, unknown>;
    expect(codeOf(() => decodeRequest(JSON.stringify({ ...doc, format: 'conclave/offline-signing-response' })))).toBe('OFFLINE_BUNDLE_INVALID');
    expect(codeOf(() => decodeRequest(JSON.stringify({ ...doc, v: 2 })))).toBe('OFFLINE_BUNDLE_INVALID');
    expect(codeOf(() => decodeRequest('not json at all'))).toBe('OFFLINE_BUNDLE_INVALID');
    expect(codeOf(() => decodeRequest('[1,2]'))).toBe('OFFLINE_BUNDLE_INVALID');
    const { hash: _hash, ...unhashed } = doc;
    expect(codeOf(() => decodeRequest(JSON.stringify(unhashed)))).toBe('OFFLINE_BUNDLE_INVALID');
  });

  it('refuses a consistent hash over inconsistent or malformed content (a rebuilt bundle is checked all the same)', () => {
    const { hash: _hash, ...content } = JSON.parse(encodeRequest(sampleRequest())) as Record<string, unknown>;
    const other = { ...content, vaultId: '11111111-2222-4333-8444-555555555555' };
    expect(codeOf(() => decodeRequest(serializeDocument('Conclave/offline/request', other)))).toBe('OFFLINE_BUNDLE_INVALID');
    const malformed = { ...content, withdrawal: { ...(content.withdrawal as object), psbt: 42 } };
    expect(codeOf(() => decodeRequest(serializeDocument('Conclave/offline/request', malformed)))).toBe('OFFLINE_BUNDLE_INVALID');
    const extra = { ...content, note: 'sign me' };
    expect(codeOf(() => decodeRequest(serializeDocument('Conclave/offline/request', extra)))).toBe('OFFLINE_BUNDLE_INVALID');
  });
});
