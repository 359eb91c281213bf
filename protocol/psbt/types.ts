/**
 * Shared shapes of the PSBT module (BIP174 version 0, P2WSH `sortedmulti` vaults per BIP48/67):
 * the vault-script oracle the module recomputes ownership with, and the summary a signer or the
 * coordinator reads before it signs or relays anything.
 */

/** One vault key at one address: its public key and the BIP32 origin a PSBT records for it. */
export interface VaultKeyDerivation {
  /** 33-byte compressed public key. */
  pubkey: Uint8Array;
  /** Master key fingerprint, 8 lowercase hex digits. */
  fingerprint: string;
  /** Full BIP32 path from the master key, hardened elements with the 0x80000000 offset, ending in change, index. */
  path: number[];
}

/** One address of a vault, as the descriptor derives it. */
export interface DerivedVaultScript {
  change: 0 | 1;
  index: number;
  address: string;
  /** `0 <sha256(witnessScript)>` */
  scriptPubKey: Uint8Array;
  /** `m <key1> ... <keyn> n OP_CHECKMULTISIG`, keys sorted per BIP67. */
  witnessScript: Uint8Array;
  /** In BIP67 order, the order of the witness script. */
  keys: VaultKeyDerivation[];
}

/**
 * What this module needs to know about a vault: the pinned descriptor, able to derive any address.
 * Ownership of an input or output is always recomputed through `derive`, never read from the PSBT:
 * BIP32 derivation fields are only hints of which (change, index) to try.
 */
export interface VaultScriptOracle {
  threshold: number;
  /** Master fingerprints of the vault's keys, 8 lowercase hex digits each. */
  fingerprints: string[];
  derive(change: 0 | 1, index: number): DerivedVaultScript;
}

/** Where a script sits in the vault, when it does. */
export interface VaultPosition {
  change: 0 | 1;
  index: number;
}

export interface PsbtInputSummary {
  index: number;
  /** Txid of the coin spent, in the usual (reversed) hex. */
  txid: string;
  vout: number;
  sequence: number;
  amount: bigint;
  /** Null when the previous output's script has no address form (for example OP_RETURN). */
  address: string | null;
  scriptPubKey: string;
  /** Recomputed with the oracle; null for anything that is not provably the vault's. */
  vault: VaultPosition | null;
  /** True when the amount and script come from the full previous transaction (non_witness_utxo). */
  hasFullPrevTx: boolean;
  /** Distinct sighash types the input declares (PSBT_IN_SIGHASH_TYPE) or its partial signatures use. */
  sighashTypes: number[];
}

export interface PsbtOutputSummary {
  index: number;
  address: string | null;
  scriptPubKey: string;
  amount: bigint;
  /** Pays back to the vault (either chain): the same as `vault !== null`. */
  isChange: boolean;
  vault: VaultPosition | null;
}

export interface PsbtSummary {
  /** Txid of the unsigned transaction; segwit signatures do not change it. */
  unsignedTxid: string;
  txVersion: number;
  locktime: number;
  inputs: PsbtInputSummary[];
  outputs: PsbtOutputSummary[];
  totalIn: bigint;
  totalOut: bigint;
  fee: bigint;
  /** Estimated virtual size once fully signed, counting 72-byte signatures (the largest low-S DER). */
  vsize: number;
  /** fee / vsize in sat/vB; a lower bound of the final rate, since the size estimate is an upper bound. */
  feeRate: number;
}
