/** Conversions of what chain backends answer: exact, refusing what is not what it claims. */
import fc from 'fast-check';
import { ConclaveError } from '../../protocol/errors';
import { feeRateToMsatPerVbyte } from '../../protocol/intent/fee-rate';
import {
  GENESIS_HASHES, btcPerKvbToRate, btcToSats, msatPerVbToRate, networkOfCoreChain, networkOfGenesis, satPerVbFloatToRate, txidOfInput, watchedScriptsByHex,
} from './chain-values';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  return 'none';
}

describe('btcToSats', () => {
  it.each([[50, 5_000_000_000n], [49.99997, 4_999_997_000n], [1e-8, 1n], [0, 0n], [1e-5, 1000n], [21_000_000, 2_100_000_000_000_000n]])('%d BTC is %d sats', (btc, sats) => {
    expect(btcToSats(btc, 'x')).toBe(sats);
  });

  it.each([[-1], [Number.NaN], [Infinity], [1e-9], [0.1 + 0.2], [21_000_000.00000001]])('refuses %d', (value) => {
    expect(codeOf(() => btcToSats(value, 'x'))).toBe('CHAIN_RESPONSE_INVALID');
  });

  it('reads back every amount Core can write (8 decimals, up to 21 million BTC) exactly', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }), (sats) => {
      const text = `${sats / 100_000_000n}.${(sats % 100_000_000n).toString().padStart(8, '0')}`;
      expect(btcToSats(JSON.parse(text) as number, 'x')).toBe(sats);
    }), { numRuns: 2000 });
  });
});

describe('fee rates', () => {
  it.each([[1000n, '1'], [1500n, '1.5'], [123n, '0.123'], [68_285n, '68.285'], [9_999_999_999n, '9999999.999']])('%d msat/vB is "%s" sat/vB', (msat, rate) => {
    expect(msatPerVbToRate(msat, 'x')).toBe(rate);
  });

  it('round-trips through the intent fee-rate parser for every representable rate', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 9_999_999_999n }), (msat) => {
      expect(feeRateToMsatPerVbyte(msatPerVbToRate(msat, 'x'))).toBe(msat);
    }));
  });

  it('converts Core\'s BTC/kvB exactly: 0.00001 is 1 sat/vB, 0.00012345 is 12.345', () => {
    expect(btcPerKvbToRate(0.00001, 'x')).toBe('1');
    expect(btcPerKvbToRate(0.00012345, 'x')).toBe('12.345');
    expect(btcPerKvbToRate(0.000001, 'x')).toBe('0.1');
  });

  it('rounds Esplora\'s floats up to the msat, never down, and keeps exact ones', () => {
    expect(satPerVbFloatToRate(87.882, 'x')).toBe('87.882');
    expect(satPerVbFloatToRate(1.027, 'x')).toBe('1.027');
    expect(satPerVbFloatToRate(1.0001, 'x')).toBe('1.001');
    expect(satPerVbFloatToRate(0.1, 'x')).toBe('0.1');
    for (const bad of [0, -2, Number.NaN, 1e12]) expect(codeOf(() => satPerVbFloatToRate(bad, 'x'))).toBe('CHAIN_RESPONSE_INVALID');
  });

  it('refuses zero and rates beyond what an intent can carry', () => {
    expect(codeOf(() => msatPerVbToRate(0n, 'x'))).toBe('CHAIN_RESPONSE_INVALID');
    expect(codeOf(() => msatPerVbToRate(10_000_000_000n, 'x'))).toBe('CHAIN_RESPONSE_INVALID');
  });
});

describe('networks', () => {
  it('maps Core chain names, both testnets to testnet, and nothing else', () => {
    expect(['main', 'test', 'testnet4', 'signet', 'regtest'].map(networkOfCoreChain)).toEqual(['mainnet', 'testnet', 'testnet', 'signet', 'regtest']);
    expect(networkOfCoreChain('liquidv1')).toBeNull();
    expect(networkOfCoreChain('__proto__')).toBeNull();
  });

  it('knows the five genesis blocks', () => {
    expect(Object.values(GENESIS_HASHES).sort()).toEqual(['mainnet', 'regtest', 'signet', 'testnet', 'testnet']);
    expect(networkOfGenesis('000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f')).toBe('mainnet');
    expect(networkOfGenesis('00'.repeat(32))).toBeNull();
  });
});

describe('inputs', () => {
  it('txidOfInput refuses what is no transaction with TX_MALFORMED', () => {
    for (const bad of ['', 'zz', '00', '0', 42 as unknown as string]) expect(codeOf(() => txidOfInput(bad))).toBe('TX_MALFORMED');
  });

  it('watchedScriptsByHex refuses a missing checksum, a wrong-network address and a script watched twice', () => {
    const script = { address: 'bcrt1q50rtrmj2f8vl9tem8qpfw36ylw5jg9j2dkku3w', scriptPubKey: '0014a3c6b1ee4a49d9f2af3b3802974744fba924164a' };
    const chain = (scripts: typeof script[], descriptor = 'addr(x)#abcdefgh') => [{ descriptor, scripts }];
    expect(watchedScriptsByHex(chain([script]), 'regtest').size).toBe(1);
    expect(codeOf(() => watchedScriptsByHex(chain([script], 'addr(x)'), 'regtest'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => watchedScriptsByHex(chain([script, script]), 'regtest'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => watchedScriptsByHex(chain([script]), 'mainnet'))).toBe('ADDRESS_WRONG_NETWORK');
    expect(codeOf(() => watchedScriptsByHex(chain([]), 'regtest'))).toBe('VALIDATION_FAILED');
  });
});
