import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { withdrawalIntentSchema, type WithdrawalIntent } from '../api';
import { canonicalBytes } from '../canonical-json';
import { feeRateToMsatPerVbyte, feeWithinRate } from './fee-rate';
import { intentHash } from './intent-hash';

const intent: WithdrawalIntent = {
  vaultId: '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f', network: 'regtest', requestId: 'req-1',
  outputs: [{ address: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', amount: '400000' }],
  feeRate: '6', maxFee: '5000', memo: '', expiresAt: '2026-03-02T12:00:00.000Z', policyHash: 'ab'.repeat(32),
};

describe('intentHash', () => {
  test('does not depend on key order (RFC 8785 canonical form)', () => {
    const reordered = Object.fromEntries(Object.entries(intent).reverse()) as WithdrawalIntent;
    expect(intentHash(reordered)).toBe(intentHash(intent));
  });

  test('changes with every field', () => {
    const variants: Partial<WithdrawalIntent>[] = [
      { requestId: 'req-2' }, { memo: 'x' }, { feeRate: '6.001' }, { maxFee: '5001' },
      { outputs: [{ ...intent.outputs[0], amount: '400001' }] }, { expiresAt: '2026-03-02T12:00:01.000Z' },
    ];
    const hashes = new Set([intentHash(intent), ...variants.map((v) => intentHash({ ...intent, ...v }))]);
    expect(hashes.size).toBe(variants.length + 1);
  });

  test('is a tagged hash, not a plain hash of the same bytes', () => {
    expect(intentHash(intent)).not.toBe(bytesToHex(sha256(canonicalBytes(intent))));
    expect(intentHash(intent)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('an intent without memo hashes like its parsed form only after parsing', () => {
    const { memo: _memo, ...bare } = intent;
    expect(intentHash(withdrawalIntentSchema.parse(bare))).toBe(intentHash(intent));
  });
});

describe('fee rates', () => {
  test('parse to integer msat/vB', () => {
    expect(feeRateToMsatPerVbyte('2')).toBe(2000n);
    expect(feeRateToMsatPerVbyte('0.25')).toBe(250n);
    expect(feeRateToMsatPerVbyte('12.345')).toBe(12345n);
    for (const bad of ['', '-1', '1.2345', '01', '1e3', ' 1']) expect(() => feeRateToMsatPerVbyte(bad)).toThrow(/FEE_RATE|sat\/vB/);
  });

  test('compare fee over size against rate plus slack without floats', () => {
    expect(feeWithinRate(1050n, 100, 10_000n, 5n)).toBe(true);
    expect(feeWithinRate(1051n, 100, 10_000n, 5n)).toBe(false);
    expect(feeWithinRate(1000n, 100, 10_000n, 0n)).toBe(true);
  });
});
