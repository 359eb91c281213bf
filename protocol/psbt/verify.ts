/**
 * Verification of keyholders' partial signatures (BIP174 partial_sig, BIP143 digests) before the
 * coordinator stores, relays or combines them. `verifyPartialSignatures` is the one to use on
 * anything received: it checks each input is the vault's (recomputed with the oracle), that the
 * key is one of the vault's keys for that address, and that the signature verifies. Digests are
 * computed once per PSBT, so checking N inputs costs N, not N squared.
 */
import { equalBytes } from '@scure/btc-signer/utils.js';
import type { PartialSignature } from '../api';
import { ConclaveError } from '../errors';
import { type PsbtLike, resolvePsbt } from './decode';
import { indexOfKey, parseMultisig } from './multisig';
import { matchVaultScript, memoizeOracle } from './ownership';
import { InputDigests, parsePartialSignature, signatureVerifies } from './signature';
import type { DerivedVaultScript, VaultScriptOracle } from './types';

/**
 * Checks one signature against the witness script the PSBT itself gives for that input.
 * Returns whether the ECDSA signature verifies; throws (with a stable code) when the question
 * cannot be asked: no such input, a sighash type other than ALL, a key that is not in the
 * input's witness script, or an input without witness script or spent output.
 */
export function verifyPartialSignature(psbt: PsbtLike, sig: PartialSignature): boolean {
  const decoded = resolvePsbt(psbt);
  const parsed = parsePartialSignature(sig, decoded.raw.inputs.length);
  const where = `psbt/input[${parsed.input}]`;
  const witnessScript = decoded.raw.inputs[parsed.input].witnessScript;
  const multisig = witnessScript === undefined ? null : parseMultisig(witnessScript);
  if (witnessScript === undefined || multisig === null) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: no multisig witness script to check the signature against`, { input: parsed.input });
  }
  if (indexOfKey(multisig, parsed.pubkey) < 0) {
    throw new ConclaveError('SIGNER_NOT_IN_VAULT', `${where}: ${parsed.pubkeyHex} is not a key of this input's witness script`, { input: parsed.input });
  }
  const digest = new InputDigests(decoded).digest(parsed.input, witnessScript);
  return signatureVerifies(parsed.signature, digest, parsed.pubkey);
}

/**
 * Checks every signature against the vault's own script for its input; throws on the first
 * failure: SIGNATURE_INVALID (`psbt/input[i]: signature by <pubkey> does not verify`),
 * SIGNER_NOT_IN_VAULT (the key is not one of the vault's keys at that address) or
 * PSBT_MISMATCH (the input is not the vault's).
 */
export function verifyPartialSignatures(psbt: PsbtLike, sigs: PartialSignature[], vaultOracle: VaultScriptOracle): void {
  const decoded = resolvePsbt(psbt);
  const oracle = memoizeOracle(vaultOracle);
  const digests = new InputDigests(decoded);
  const owners = new Map<number, DerivedVaultScript>();
  for (const sig of sigs) {
    const parsed = parsePartialSignature(sig, decoded.raw.inputs.length);
    const i = parsed.input;
    let derived = owners.get(i);
    if (derived === undefined) {
      const input = decoded.raw.inputs[i];
      const prevout = decoded.prevouts[i];
      const match = prevout === null ? null : matchVaultScript(oracle, input.bip32Derivation, prevout.script, input.witnessScript);
      if (match === null) throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: not an input of this vault`, { input: i });
      derived = match;
      owners.set(i, derived);
    }
    const key = derived.keys.findIndex((k) => equalBytes(k.pubkey, parsed.pubkey));
    if (key < 0) {
      throw new ConclaveError('SIGNER_NOT_IN_VAULT', `psbt/input[${i}]: ${parsed.pubkeyHex} is not a vault key for this input`, { input: i });
    }
    if (!signatureVerifies(parsed.signature, digests.digest(i, derived.witnessScript), parsed.pubkey)) {
      throw new ConclaveError('SIGNATURE_INVALID', `psbt/input[${i}]: signature by ${parsed.pubkeyHex} does not verify`, { input: i });
    }
  }
}
