/**
 * The witness scripts a vault spends: bare `m <pubkey>... n OP_CHECKMULTISIG` (BIP11 multisig
 * inside P2WSH, BIP141), compressed keys only (uncompressed keys in P2WSH are non-standard,
 * BIP143 "Restrictions on public key type"), and only in the one canonical encoding, so a
 * script that merely looks like multisig to a lenient parser is never treated as one.
 */
import { OutScript } from '@scure/btc-signer/payment.js';
import { Script } from '@scure/btc-signer/script.js';
import { equalBytes, sha256 } from '@scure/btc-signer/utils.js';

export interface MultisigScript {
  m: number;
  /** Keys in script order, which is the order signatures must follow in the witness. */
  pubkeys: Uint8Array[];
}

/** Parses a witness script as canonical m-of-n multisig; null for anything else. */
export function parseMultisig(witnessScript: Uint8Array): MultisigScript | null {
  const decoded = decodeOutScript(witnessScript);
  if (decoded === null || decoded.type !== 'ms') return null;
  const { m, pubkeys } = decoded;
  if (pubkeys.some((key) => key.length !== 33)) return null;
  // Re-encoding must give the same bytes: rules out non-minimal pushes of the same keys.
  if (!equalBytes(OutScript.encode({ type: 'ms', m, pubkeys }), witnessScript)) return null;
  return { m, pubkeys };
}

function decodeOutScript(script: Uint8Array) {
  try {
    return OutScript.decode(script);
  } catch {
    return null;
  }
}

/** `0 <sha256(witnessScript)>`, the P2WSH scriptPubKey (BIP141). */
export function p2wshScriptPubKey(witnessScript: Uint8Array): Uint8Array {
  return Script.encode([0, sha256(witnessScript)]);
}

export function indexOfKey(multisig: MultisigScript, pubkey: Uint8Array): number {
  return multisig.pubkeys.findIndex((key) => equalBytes(key, pubkey));
}
