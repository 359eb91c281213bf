/**
 * The coordinator's view of a FROST vault (vault-key.ts), computed from the certificate alone,
 * equals what every participant derives from its own DKG result (`baseKeyFromDkg` +
 * `groupXpub`), for both parities of the untweaked group key; and the descriptor's first
 * address is the one the group's child key signs for.
 */
import { p2tr } from '@scure/btc-signer';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { addChecksum, parseDescriptor } from '../descriptor';
import { ConclaveError } from '../errors';
import { runDkg, type DkgRun } from './dkg.fixture';
import { baseKeyFromDkg, childPublicPackage, groupXpub, type FrostBaseKey, verifyCertificate } from './index';
import { frostVaultFromCertificate } from './vault-key';

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

/** Runs DKGs until the untweaked group key has the wanted parity (each run is a coin flip). */
function runWithParity(t: number, n: number, odd: boolean): DkgRun {
  for (let i = 0; i < 64; i++) {
    const run = runDkg(t, n, `vault-key/${t}-of-${n}/${i}`);
    if (run.results[0].untweakedGroupKey.startsWith(odd ? '03' : '02')) return run;
  }
  throw new Error('no DKG with the wanted parity in 64 runs');
}

const hex = (key: FrostBaseKey) => ({
  threshold: key.threshold, identifiers: [...key.identifiers], groupKey: bytesToHex(key.groupKey),
  commitments: key.commitments.map(bytesToHex),
  verifyingShares: Object.fromEntries(Object.entries(key.verifyingShares).map(([id, v]) => [id, bytesToHex(v)])),
});

describe('frostVaultFromCertificate', () => {
  for (const [t, n] of [[2, 3], [3, 5]] as const) {
    for (const odd of [false, true]) {
      test(`${t}-of-${n}, group key with ${odd ? 'odd' : 'even'} Y: the same base key, xpub and descriptor every participant derives`, () => {
        const run = runWithParity(t, n, odd);
        const vault = frostVaultFromCertificate(verifyCertificate(run.certificate), 'regtest');
        for (const result of run.results) {
          const { key } = baseKeyFromDkg(result.keyPackage, hexToBytes(result.untweakedGroupKey));
          expect(hex(vault.base)).toEqual(hex(key));
          expect(bytesToHex(vault.chainCode)).toBe(result.chainCode);
          expect(vault.groupXpub).toBe(groupXpub(key, hexToBytes(result.chainCode), 'regtest'));
        }
        expect(vault.groupXpub).toMatch(/^tpub/);
        expect(vault.descriptor).toBe(addChecksum(`tr(${vault.groupXpub}/<0;1>/*)`));
        expect(parseDescriptor(vault.descriptor, { requireChecksum: true }).root.type).toBe('tr');
        // Receive address 0: the child key the group signs for is the one the descriptor gives.
        const child = childPublicPackage(vault.base, vault.chainCode, 0, 0);
        const fromShares = childPublicPackage(baseKeyFromDkg(run.results[1].keyPackage, hexToBytes(run.results[1].untweakedGroupKey)).key, vault.chainCode, 0, 0);
        expect(bytesToHex(child.outputKey)).toBe(bytesToHex(fromShares.outputKey));
        expect(p2tr(child.internalKey, undefined, REGTEST).address).toBe(p2tr(fromShares.internalKey, undefined, REGTEST).address);
      });
    }
  }

  test('refuses another network than the setup\'s', () => {
    const run = runDkg(2, 3, 'vault-key/network');
    expect(() => frostVaultFromCertificate(verifyCertificate(run.certificate), 'mainnet')).toThrow(ConclaveError);
    try {
      frostVaultFromCertificate(verifyCertificate(run.certificate), 'mainnet');
    } catch (e) {
      expect((e as ConclaveError).code).toBe('ADDRESS_WRONG_NETWORK');
    }
  });

  test('refuses round-1 packages that do not sum to the transcript\'s group key', () => {
    const run = runDkg(2, 3, 'vault-key/tamper');
    const verified = verifyCertificate(run.certificate);
    const other = runDkg(2, 3, 'vault-key/other');
    const swapped = { ...verified, round1Packages: [other.round1[0].body.package, ...verified.round1Packages.slice(1)] };
    expect(() => frostVaultFromCertificate(swapped, 'regtest')).toThrow(/not the transcript's group key/);
  });
});
