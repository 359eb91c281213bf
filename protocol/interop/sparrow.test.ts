/** Sparrow descriptor text: one comment line Sparrow skips, then the checksummed BIP389 descriptor. */
import { formatVaultDescriptor, parseVaultDescriptor } from '../descriptor';
import { sparrowDescriptorExport } from './sparrow';
import { vault as multisigVault } from '../../test/support/withdrawal-fixture';
import { HDKey } from '@scure/bip32';
import { networkParams } from '../network';
import type { FrostVaultDescriptor } from '../descriptor';

/** A stand-in FROST group key: a depth-0 key of a throwaway seed (the DKG makes one like it). */
const frostVault: FrostVaultDescriptor = {
  kind: 'tr-frost', network: 'regtest', groupXpub: HDKey.fromMasterSeed(new Uint8Array(32).fill(9), networkParams('regtest').bip32).publicExtendedKey,
};

it('is a # comment line and the canonical multipath descriptor, for both kinds', () => {
  const text = sparrowDescriptorExport(multisigVault, { name: 'treasury\nsecond line' });
  const lines = text.split('\n');
  expect(lines).toEqual([expect.stringMatching(/^# Conclave 2-of-3 multisig vault "treasury second line": /), formatVaultDescriptor(multisigVault), '']);
  expect(parseVaultDescriptor(lines[1], 'regtest')).toEqual(multisigVault);

  const frost = sparrowDescriptorExport(frostVault).split('\n');
  expect(frost[0].startsWith('# Conclave FROST Taproot vault:')).toBe(true);
  expect(parseVaultDescriptor(frost[1], 'regtest', ['tr-frost'])).toEqual(frostVault);
});
