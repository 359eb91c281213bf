/**
 * Whether a script belongs to the vault, recomputed from the pinned descriptor. A PSBT's BIP32
 * derivation fields (BIP174 PSBT_IN/OUT_BIP32_DERIVATION, BIP371 PSBT_IN/OUT_TAP_BIP32_DERIVATION)
 * are written by whoever built it, so they are only hints of which (change, index) to try: the
 * answer is yes only when the oracle derives, at that position, exactly the script the
 * transaction really spends or pays (and the witness script or Taproot internal key the PSBT
 * offers, when it offers one).
 */
import { equalBytes } from '@scure/btc-signer/utils.js';
import { type RawBip32Derivation, type RawPsbtInput, type RawPsbtOutput, fingerprintToHex } from './raw';
import type {
  DerivedVaultScript, TaprootVaultScript, TaprootVaultScriptOracle, VaultOracle, VaultPosition, VaultScript, VaultScriptOracle,
} from './types';

const HARDENED = 0x80000000;

/**
 * The oracle, remembering what it derived for the length of one call: a consolidation spends
 * many coins of the same few addresses, and each derivation costs several EC multiplications.
 */
export function memoizeOracle<O extends VaultOracle>(oracle: O): O {
  const derived = new Map<string, VaultScript>();
  const derive = (change: 0 | 1, index: number): VaultScript => {
    const key = `${change}/${index}`;
    let script = derived.get(key);
    if (script === undefined) {
      script = oracle.derive(change, index);
      derived.set(key, script);
    }
    return script;
  };
  return { ...oracle, derive } as O;
}

/** The multisig vault address `scriptPubKey` is, per the oracle, or null when it is not provably one. */
export function matchVaultScript(
  oracle: VaultScriptOracle,
  derivations: ReadonlyArray<[Uint8Array, RawBip32Derivation]> | undefined,
  scriptPubKey: Uint8Array,
  witnessScript: Uint8Array | undefined,
): DerivedVaultScript | null {
  for (const { change, index } of candidatePositions(oracle.fingerprints, (derivations ?? []).map(([, d]) => d))) {
    const derived = oracle.derive(change, index);
    if (!equalBytes(derived.scriptPubKey, scriptPubKey)) continue;
    if (witnessScript !== undefined && !equalBytes(derived.witnessScript, witnessScript)) continue;
    return derived;
  }
  return null;
}

/**
 * The FROST vault address `scriptPubKey` is, or null. The vault's outputs are key-path only, so
 * a map that claims a script tree (merkle root, leaf scripts, tap tree) or a segwit v0 script
 * does not describe one of them; a Taproot internal key, when given, must be the derived one.
 */
export function matchTaprootVaultScript(
  oracle: TaprootVaultScriptOracle,
  map: RawPsbtInput | RawPsbtOutput,
  scriptPubKey: Uint8Array,
): TaprootVaultScript | null {
  const claimsScripts = map.tapMerkleRoot !== undefined || map.tapLeafScript !== undefined || map.tapTree !== undefined
    || map.witnessScript !== undefined || map.redeemScript !== undefined;
  if (claimsScripts) return null;
  // BIP371: the key-path derivation is the one with no leaf hashes.
  const keyPath = (map.tapBip32Derivation ?? []).filter(([, d]) => d.hashes.length === 0).map(([, d]) => d.der);
  for (const { change, index } of candidatePositions(oracle.fingerprints, keyPath)) {
    const derived = oracle.derive(change, index);
    if (!equalBytes(derived.scriptPubKey, scriptPubKey)) continue;
    if (map.tapInternalKey !== undefined && !equalBytes(map.tapInternalKey, derived.internalKey)) continue;
    return derived;
  }
  return null;
}

/** The vault address an input or output map with this script is, for either kind of vault. */
export function matchVaultMap(oracle: VaultOracle, map: RawPsbtInput | RawPsbtOutput, scriptPubKey: Uint8Array): VaultScript | null {
  if (oracle.kind === 'tr-frost') return matchTaprootVaultScript(oracle, map, scriptPubKey);
  return matchVaultScript(oracle, map.bip32Derivation, scriptPubKey, map.witnessScript);
}

/**
 * Distinct (change, index) pairs claimed by derivations under a vault fingerprint. An honest
 * PSBT claims one position per script; at most as many as the vault has fingerprints are tried,
 * so a PSBT stuffed with derivations cannot make us derive thousands of addresses.
 */
function candidatePositions(vaultFingerprints: readonly string[], derivations: readonly RawBip32Derivation[]): VaultPosition[] {
  const fingerprints = new Set(vaultFingerprints.map((fp) => fp.toLowerCase()));
  const seen = new Set<string>();
  const out: VaultPosition[] = [];
  for (const { fingerprint, path } of derivations) {
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
