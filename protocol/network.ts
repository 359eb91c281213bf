/**
 * Bitcoin networks Conclave speaks, with the parameters the rest of the code needs:
 * bech32 prefix (BIP173), base58 versions, BIP32 extended-key versions and the BIP44/48
 * coin type (0 for mainnet, 1 for every test network, per SLIP-44).
 */
import { ConclaveError } from './errors';

export const NETWORK_NAMES = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

export interface NetworkParams {
  readonly name: NetworkName;
  readonly bech32: string;
  readonly pubKeyHash: number;
  readonly scriptHash: number;
  readonly wif: number;
  readonly bip32: { readonly public: number; readonly private: number };
  readonly coinType: 0 | 1;
}

const TEST_BIP32 = { public: 0x043587cf, private: 0x04358394 } as const;

const PARAMS: Record<NetworkName, NetworkParams> = {
  mainnet: { name: 'mainnet', bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80, bip32: { public: 0x0488b21e, private: 0x0488ade4 }, coinType: 0 },
  testnet: { name: 'testnet', bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef, bip32: TEST_BIP32, coinType: 1 },
  signet: { name: 'signet', bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef, bip32: TEST_BIP32, coinType: 1 },
  regtest: { name: 'regtest', bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef, bip32: TEST_BIP32, coinType: 1 },
};

export function networkParams(name: string): NetworkParams {
  if (!(NETWORK_NAMES as readonly string[]).includes(name)) {
    throw new ConclaveError('VALIDATION_FAILED', `network: "${name}" is not one of ${NETWORK_NAMES.join(', ')}`);
  }
  return PARAMS[name as NetworkName];
}
