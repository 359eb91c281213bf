/**
 * The keyholder's BIP48 multisig account key (m/48'/coin'/0'/2', script type 2 = native
 * segwit P2WSH), derived from the BIP39 seed. The account key with its origin
 * `[fingerprint/48h/coin h/0h/2h]xpub` is what a descriptor lists (BIP380 key expressions);
 * coin type is 0 on mainnet and 1 on every test network (SLIP-44).
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import type { KeyOrigin } from '../../protocol/api';
import { accountOriginPath } from '../../protocol/descriptor';
import { networkParams, type NetworkName } from '../../protocol/network';

export const BIP48_ACCOUNT = 0;
/** BIP48 script type 2: native segwit multisig (P2WSH). */
export const BIP48_SCRIPT_TYPE_P2WSH = 2;

export function accountPath(network: NetworkName): string {
  return `48h/${networkParams(network).coinType}h/${BIP48_ACCOUNT}h/${BIP48_SCRIPT_TYPE_P2WSH}h`;
}

/** The origin path as child indexes (hardened ones offset by 2^31), as PSBT BIP32 derivations carry it. */
export function accountPathIndexes(network: NetworkName): number[] {
  return accountOriginPath(accountPath(network), network);
}

export interface AccountKeys {
  /** Private account-level key; the caller MUST call `wipePrivateData()` when done. */
  account: HDKey;
  origin: KeyOrigin;
}

export function deriveAccount(mnemonic: string, network: NetworkName): AccountKeys {
  const seed = mnemonicToSeedSync(mnemonic);
  const master = HDKey.fromMasterSeed(seed, networkParams(network).bip32);
  seed.fill(0);
  const path = accountPath(network);
  const account = master.derive(`m/${path.replaceAll('h', "'")}`);
  const fingerprint = master.fingerprint.toString(16).padStart(8, '0');
  master.wipePrivateData();
  return { account, origin: { fingerprint, path, xpub: account.publicExtendedKey } };
}
