/**
 * Caravan's wallet configuration JSON for a script-multisig vault, so keyholders and auditors
 * can watch it, and co-sign from it, in Caravan (https://github.com/caravan-bitcoin/caravan).
 *
 * Field names and spellings are Caravan's: its wallet config download and `@caravan/wallets`
 * MultisigWalletConfig (name, uuid, addressType, network, client, quorum {requiredSigners,
 * totalSigners}, extendedPublicKeys [{name, bip32Path, xpub, xfp, method}], startingAddressIndex),
 * the same fields Sparrow's CaravanMultisig exporter writes (`client: { type: "public" }` for a
 * config that brings no node credentials). Networks are spelled as `@caravan/bitcoin`'s Network
 * enum: mainnet, testnet, regtest, signet. Caravan speaks only P2SH/P2WSH multisig, so a FROST
 * Taproot vault is VAULT_KIND_UNSUPPORTED here (export it for Sparrow or Core instead).
 */
import { ConclaveError } from '../errors';
import { type VaultDescriptor, formatVaultDescriptor } from '../descriptor';
import type { NetworkName } from '../network';

export interface CaravanExtendedPublicKey {
  name: string;
  /** The key origin path as Caravan writes it: `m/48'/1'/0'/2'`. */
  bip32Path: string;
  xpub: string;
  /** Master key fingerprint, 8 lowercase hex characters. */
  xfp: string;
  /** How Caravan got the key; "text" is a pasted xpub (no device). */
  method: 'text';
}

export interface CaravanWalletConfig {
  name: string;
  uuid: string;
  addressType: 'P2WSH';
  network: NetworkName;
  client: { type: 'public' };
  quorum: { requiredSigners: number; totalSigners: number };
  extendedPublicKeys: CaravanExtendedPublicKey[];
  startingAddressIndex: 0;
}

export interface CaravanExportOptions {
  /** The vault's name. */
  name: string;
  /** The vault id (Caravan's `uuid`). */
  uuid: string;
  /** A name per key, in descriptor key order (the keyholders' names). */
  keyNames: readonly string[];
}

/** `48h/1h/0h/2h` (or with `'`) as Caravan writes it: `m/48'/1'/0'/2'`. */
function caravanPath(path: string): string {
  return `m/${path.replace(/h/g, "'")}`;
}

export function caravanWalletConfig(d: VaultDescriptor, options: CaravanExportOptions): CaravanWalletConfig {
  if (d.kind === 'tr-frost') {
    throw new ConclaveError('VAULT_KIND_UNSUPPORTED', 'caravan: Caravan speaks only script multisig (P2SH/P2WSH), not a FROST Taproot vault; export it as core or sparrow instead');
  }
  formatVaultDescriptor(d); // every vault rule checked: keys, origins, threshold, network
  if (options.keyNames.length !== d.keys.length) {
    throw new ConclaveError('VALIDATION_FAILED', `caravan: ${options.keyNames.length} key names for ${d.keys.length} keys`);
  }
  return {
    name: options.name,
    uuid: options.uuid,
    addressType: 'P2WSH',
    network: d.network,
    client: { type: 'public' },
    quorum: { requiredSigners: d.threshold, totalSigners: d.keys.length },
    extendedPublicKeys: d.keys.map((k, i) => ({
      name: options.keyNames[i], bip32Path: caravanPath(k.path), xpub: k.xpub, xfp: k.fingerprint, method: 'text',
    })),
    startingAddressIndex: 0,
  };
}
