/**
 * Shared shapes of the PSBT module (BIP174 version 0, P2WSH `sortedmulti` vaults per BIP48/67):
 * the vault-script oracle the module recomputes ownership with, and the summary a signer or the
 * coordinator reads before it signs or relays anything.
 */

// The address shapes come from the descriptor module, which derives them.
import type { DerivedVaultScript } from '../descriptor/vault-descriptor';

export type { DerivedVaultScript, VaultKeyDerivation } from '../descriptor/vault-descriptor';

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
