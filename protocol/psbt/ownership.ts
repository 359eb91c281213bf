/**
 * Whether a script belongs to the vault, recomputed from the pinned descriptor. A PSBT's BIP32
 * derivation fields (BIP174 PSBT_IN/OUT_BIP32_DERIVATION) are written by whoever built it, so
 * they are only hints of which (change, index) to try: the answer is yes only when the oracle
 * derives, at that position, exactly the script the transaction really spends or pays
 * (and the witness script the PSBT offers, when it offers one).
 */
import { equalBytes } from '@scure/btc-signer/utils.js';
import { type RawBip32Derivation, fingerprintToHex } from './raw';
import type { DerivedVaultScript, VaultPosition, VaultScriptOracle } from './types';

const HARDENED = 0x80000000;

/**
 * The oracle, remembering what it derived for the length of one call: a consolidation spends
 * many coins of the same few addresses, and each derivation costs several EC multiplications.
 */
export function memoizeOracle(oracle: VaultScriptOracle): VaultScriptOracle {
  const derived = new Map<string, DerivedVaultScript>();
  return {
    threshold: oracle.threshold,
    fingerprints: oracle.fingerprints,
    derive(change, index) {
      const key = `${change}/${index}`;
      let script = derived.get(key);
      if (script === undefined) {
        script = oracle.derive(change, index);
        derived.set(key, script);
      }
      return script;
    },
  };
}

/** The vault address `scriptPubKey` is, per the oracle, or null when it is not provably one. */
export function matchVaultScript(
  oracle: VaultScriptOracle,
  derivations: ReadonlyArray<[Uint8Array, RawBip32Derivation]> | undefined,
  scriptPubKey: Uint8Array,
  witnessScript: Uint8Array | undefined,
): DerivedVaultScript | null {
  for (const { change, index } of candidatePositions(oracle, derivations)) {
    const derived = oracle.derive(change, index);
    if (!equalBytes(derived.scriptPubKey, scriptPubKey)) continue;
    if (witnessScript !== undefined && !equalBytes(derived.witnessScript, witnessScript)) continue;
    return derived;
  }
  return null;
}

/**
 * Distinct (change, index) pairs claimed by derivations under a vault fingerprint. An honest
 * PSBT claims one position per script; at most as many as the vault has keys are tried, so a
 * PSBT stuffed with derivations cannot make us derive thousands of addresses.
 */
function candidatePositions(
  oracle: VaultScriptOracle,
  derivations: ReadonlyArray<[Uint8Array, RawBip32Derivation]> | undefined,
): VaultPosition[] {
  const fingerprints = new Set(oracle.fingerprints.map((fp) => fp.toLowerCase()));
  const seen = new Set<string>();
  const out: VaultPosition[] = [];
  for (const [, { fingerprint, path }] of derivations ?? []) {
    if (out.length >= fingerprints.size) break;
    if (!fingerprints.has(fingerprintToHex(fingerprint)) || path.length < 2) continue;
    const change = path[path.length - 2];
    const index = path[path.length - 1];
    if ((change !== 0 && change !== 1) || index >= HARDENED) continue;
    const key = `${change}/${index}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ change, index });
  }
  return out;
}
