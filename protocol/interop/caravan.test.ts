/** Caravan wallet configuration of the 2-of-3 fixture vault; a FROST vault is refused. */
import { testKeyholder, TEST_MNEMONICS } from '../../test/support/psbt-vault-fixture';
import { ConclaveError } from '../errors';
import { caravanWalletConfig } from './caravan';
import { vault as multisigVault, VAULT_ID } from '../../test/support/withdrawal-fixture';
import { HDKey } from '@scure/bip32';
import { networkParams } from '../network';
import type { FrostVaultDescriptor } from '../descriptor';

/** A stand-in FROST group key: a depth-0 key of a throwaway seed (the DKG makes one like it). */
const frostVault: FrostVaultDescriptor = {
  kind: 'tr-frost', network: 'regtest', groupXpub: HDKey.fromMasterSeed(new Uint8Array(32).fill(9), networkParams('regtest').bip32).publicExtendedKey,
};

const NAMES = ['alice', 'bob', 'carol'];

it('has exactly the documented fields and values, keys in descriptor order', () => {
  const config = caravanWalletConfig(multisigVault, { name: 'treasury', uuid: VAULT_ID, keyNames: NAMES });
  // Keys derived here from the mnemonics, independently of protocol/descriptor.
  const holders = TEST_MNEMONICS.slice(0, 3).map((m) => testKeyholder(m, 'regtest'));
  expect(config).toStrictEqual({
    name: 'treasury',
    uuid: VAULT_ID,
    addressType: 'P2WSH',
    network: 'regtest',
    client: { type: 'public' },
    quorum: { requiredSigners: 2, totalSigners: 3 },
    extendedPublicKeys: holders.map((h, i) => ({ name: NAMES[i], bip32Path: "m/48'/1'/0'/2'", xpub: h.xpub, xfp: h.fingerprint, method: 'text' })),
    startingAddressIndex: 0,
  });
  expect(config.extendedPublicKeys[0].xfp).toBe('73c5da0a');
  // The descriptor's own key origins, one for one.
  config.extendedPublicKeys.forEach((k, i) => {
    const origin = multisigVault.keys[i];
    expect([k.xfp, k.xpub, k.bip32Path]).toEqual([origin.fingerprint, origin.xpub, `m/${origin.path.replace(/h/g, "'")}`]);
  });
  expect(JSON.parse(JSON.stringify(config))).toEqual(config);
});

it('refuses a FROST Taproot vault with VAULT_KIND_UNSUPPORTED', () => {
  let error: unknown;
  try {
    caravanWalletConfig(frostVault, { name: 'frost', uuid: VAULT_ID, keyNames: [] });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConclaveError);
  expect((error as ConclaveError).code).toBe('VAULT_KIND_UNSUPPORTED');
});

it('refuses key names that do not match the keys one for one', () => {
  expect(() => caravanWalletConfig(multisigVault, { name: 't', uuid: VAULT_ID, keyNames: ['a'] })).toThrow(/3 keys/);
});
