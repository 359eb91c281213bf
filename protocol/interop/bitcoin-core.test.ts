/** Bitcoin Core importdescriptors request: checksummed single-path descriptors that derive the vault's own addresses. */
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConclaveError } from '../errors';
import { deriveVaultScript, descriptorChecksum, descriptorOutputScript, parseDescriptor, type VaultDescriptor } from '../descriptor';
import { coreImportDescriptors, coreImportDescriptorsText } from './bitcoin-core';
import { vault as multisigVault } from '../../test/support/withdrawal-fixture';
import { HDKey } from '@scure/bip32';
import { networkParams } from '../network';
import type { FrostVaultDescriptor } from '../descriptor';

/** A stand-in FROST group key: a depth-0 key of a throwaway seed (the DKG makes one like it). */
const frostVault: FrostVaultDescriptor = {
  kind: 'tr-frost', network: 'regtest', groupXpub: HDKey.fromMasterSeed(new Uint8Array(32).fill(9), networkParams('regtest').bip32).publicExtendedKey,
};

describe.each<[string, VaultDescriptor]>([['wsh-sortedmulti 2-of-3', multisigVault], ['tr-frost', frostVault]])('importdescriptors for a %s vault', (_name, vault) => {
  const request = coreImportDescriptors(vault, { timestamp: 1772366400, rangeEnd: 99 });

  it('is the receive and the change descriptor, both active, with the range and timestamp given', () => {
    expect(request).toEqual([
      { desc: expect.stringContaining('/0/*)'), active: true, internal: false, range: [0, 99], timestamp: 1772366400 },
      { desc: expect.stringContaining('/1/*)'), active: true, internal: true, range: [0, 99], timestamp: 1772366400 },
    ]);
    expect(JSON.parse(coreImportDescriptorsText(vault, { timestamp: 'now', rangeEnd: 5 }))[0]).toMatchObject({ timestamp: 'now', range: [0, 5] });
  });

  it('gives each descriptor its own valid BIP380 checksum', () => {
    for (const { desc } of request) {
      const [body, checksum] = desc.split('#');
      expect(checksum).toBe(descriptorChecksum(body));
      expect(() => parseDescriptor(desc, { requireChecksum: true })).not.toThrow();
    }
    expect(request[0].desc.split('#')[1]).not.toBe(request[1].desc.split('#')[1]);
  });

  it('derives, parsed back, the same scripts as deriveVaultScript on both chains', () => {
    request.forEach(({ desc }, change) => {
      const parsed = parseDescriptor(desc, { requireChecksum: true });
      for (const index of [0, 1, 7, 99]) {
        expect(bytesToHex(descriptorOutputScript(parsed, index))).toBe(bytesToHex(deriveVaultScript(vault, change as 0 | 1, index).scriptPubKey));
      }
    });
  });
});

it('refuses a negative range end and a fractional timestamp', () => {
  expect(() => coreImportDescriptors(multisigVault, { timestamp: 0, rangeEnd: -1 })).toThrow(ConclaveError);
  expect(() => coreImportDescriptors(multisigVault, { timestamp: 1.5, rangeEnd: 10 })).toThrow(ConclaveError);
});
