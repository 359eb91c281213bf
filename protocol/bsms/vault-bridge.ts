/**
 * BIP129 records for Conclave's script-multisig vaults (DESIGN.md, "Two kinds of vault"):
 * a vault `wsh(sortedmulti(m, [fp/48h/c h/a h/2h]xpub/<0;1>/*, ...))` is the BIP129 template
 * `wsh(sortedmulti(m, [fp/48'/c'/a'/2']xpub/**, ...))` with restrictions `/0/*,/1/*`, whose
 * first address is the vault's receive address 0. Records are written with `'` hardened
 * markers, as BIP129's own examples are, which every BSMS wallet reads.
 *
 * Conversion goes through protocol/descriptor, so a record admits exactly the vaults that
 * parseVaultDescriptor admits (BIP48 P2WSH account keys of the vault's network, 1..15 distinct
 * keys), and the first address is checked against deriveVaultScript.
 */
import { HARDENED_OFFSET } from '@scure/bip32';
import { equalBytes } from '@noble/curves/utils.js';
import type { KeyOrigin } from '../api';
import { addressToScript } from '../address';
import { ConclaveError } from '../errors';
import type { NetworkName } from '../network';
import {
  addChecksum, deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor, validateAccountKey, type MultisigVaultDescriptor,
} from '../descriptor';
import { checkRecordKeysNetwork, formatDescriptorRecord, formatPathRestrictions, parseDescriptorRecord, TEMPLATE_MARKER } from './descriptor-record';
import type { KeyRecord } from './key-record';
import { CONCLAVE_PATH_RESTRICTIONS } from './signer-check';

/** `48h/1h/0h/2h` as BIP129 records write it: `48'/1'/0'/2'`. */
function apostrophes(path: string): string {
  return path.replace(/h/g, "'");
}

/** The KEY line of a vault member's key record: `[fingerprint/48'/c'/a'/2']xpub`. */
export function keyRecordKey(key: KeyOrigin): string {
  return `[${key.fingerprint}/${apostrophes(key.path)}]${key.xpub}`;
}

/**
 * The vault account key a key record offers, checked as a member's account key: an xpub (not a
 * bare public key) at a BIP48 P2WSH path for `network`, at the depth its origin says.
 * Throws KEY_INVALID otherwise (an xpub offered for a test network, for instance).
 */
export function accountKeyFromKeyRecord(record: KeyRecord, network: NetworkName): KeyOrigin {
  if (record.xpub === undefined) {
    throw new ConclaveError('KEY_INVALID', 'bsms key record line 3: a vault key is an extended public key (xpub/tpub), not a bare public key');
  }
  const path = record.path.map((v) => (v >= HARDENED_OFFSET ? `${v - HARDENED_OFFSET}h` : String(v))).join('/');
  const key: KeyOrigin = { fingerprint: record.fingerprint, path, xpub: record.xpub };
  validateAccountKey(key, network);
  return key;
}

/** The Round 2 descriptor record of a vault: template, `/0/*,/1/*` and receive address 0. */
export function descriptorRecordFor(vault: MultisigVaultDescriptor): string {
  formatVaultDescriptor(vault); // every rule of the vault shape, or throws
  const keys = vault.keys.map((k) => `${keyRecordKey(k)}${TEMPLATE_MARKER}`);
  return formatDescriptorRecord({
    descriptor: `wsh(sortedmulti(${vault.threshold},${keys.join(',')}))`,
    pathRestrictions: CONCLAVE_PATH_RESTRICTIONS.split(','),
    firstAddress: deriveVaultScript(vault, 0, 0).address,
  });
}

/**
 * The vault a plaintext descriptor record describes on `network`. Accepts the template form
 * (`/**` with `/0/*,/1/*`) and the concrete `<0;1>/*` form; refuses anything that is not a
 * Conclave vault (DESCRIPTOR_INVALID, KEY_INVALID), other restrictions (BSMS_PATH_RESTRICTIONS)
 * and a FIRST_ADDRESS that is not the vault's receive address 0 (BSMS_FIRST_ADDRESS_MISMATCH).
 * It does not look for the caller's own key: run checkDescriptorRecord for that.
 */
export function vaultFromDescriptorRecord(text: string, network: NetworkName): MultisigVaultDescriptor {
  const record = parseDescriptorRecord(text);
  const restrictions = formatPathRestrictions(record.effectivePathRestrictions);
  if (restrictions !== CONCLAVE_PATH_RESTRICTIONS) {
    throw new ConclaveError('BSMS_PATH_RESTRICTIONS', `bsms descriptor record line 3: a Conclave vault derives along ${CONCLAVE_PATH_RESTRICTIONS}, not ${JSON.stringify(restrictions)}`);
  }
  if (record.scriptType !== 'wsh' || !record.sorted) {
    throw new ConclaveError('DESCRIPTOR_INVALID', 'bsms descriptor record line 2: a Conclave vault is wsh(sortedmulti(m, ...))');
  }
  checkRecordKeysNetwork(record, network);
  const keys = record.keys.map((k) => (k.origin ? `[${k.origin.text}]` : '') + (k.type === 'extended' ? `${k.text}/<0;1>/*` : k.text));
  const vault = parseVaultDescriptor(addChecksum(`wsh(sortedmulti(${record.threshold},${keys.join(',')}))`), network);
  const claimed = addressToScript(record.firstAddress, network, 'bsms descriptor record line 4');
  const derived = deriveVaultScript(vault, 0, 0);
  if (!equalBytes(claimed, derived.scriptPubKey)) {
    throw new ConclaveError('BSMS_FIRST_ADDRESS_MISMATCH',
      `bsms descriptor record line 4: first address ${record.firstAddress} is not the vault's receive address 0, ${derived.address}`,
      { claimed: record.firstAddress, derived: derived.address });
  }
  return vault;
}
