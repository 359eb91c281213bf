/**
 * Shared shapes of the PSBT module (BIP174 version 0) for both vault kinds, P2WSH `sortedmulti`
 * (BIP48/67) and FROST key-path Taproot (BIP341/371): the vault-script oracle the module
 * recomputes ownership with, and the summary a signer or the coordinator reads before it signs
 * or relays anything.
 */

// The address shapes come from the descriptor module, which derives them.
import type { DerivedVaultScript, TaprootVaultScript } from '../descriptor';

export type { DerivedVaultScript, TaprootVaultScript, VaultKeyDerivation, VaultScript } from '../descriptor';

/**
 * What this module needs to know about a multisig vault: the pinned descriptor, able to derive
 * any address. Ownership of an input or output is always recomputed through `derive`, never read
 * from the PSBT: BIP32 derivation fields are only hints of which (change, index) to try.
 */
export interface VaultScriptOracle {
  /** Optional so that oracles written before FROST vaults still type-check; absent means multisig. */
  kind?: 'wsh-sortedmulti';
  threshold: number;
  /** Master fingerprints of the vault's keys, 8 lowercase hex digits each. */
  fingerprints: string[];
  derive(change: 0 | 1, index: number): DerivedVaultScript;
}

/** The same for a FROST Taproot vault; its BIP371 tap derivations are the hints. */
export interface TaprootVaultScriptOracle {
  kind: 'tr-frost';
  /** The group xpub's own fingerprint (8 lowercase hex digits), the only one its derivations carry. */
  fingerprints: string[];
  derive(change: 0 | 1, index: number): TaprootVaultScript;
}

/** An oracle of either kind of vault. */
export type VaultOracle = VaultScriptOracle | TaprootVaultScriptOracle;

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
  /** True when the input also carries PSBT_IN_WITNESS_UTXO (which, with a full transaction, was checked to match it). */
  hasWitnessUtxo: boolean;
  /**
   * Distinct sighash types the input declares (PSBT_IN_SIGHASH_TYPE) or its signatures use:
   * partial signatures' last byte, and for Taproot (BIP371) 0x00 (SIGHASH_DEFAULT) for a 64-byte
   * signature or the 65th byte.
   */
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
  /**
   * Estimated virtual size once fully signed: 72-byte signatures for multisig (the largest low-S
   * DER), one 64-byte BIP340 signature per key-path Taproot input.
   */
  vsize: number;
  /** fee / vsize in sat/vB; a lower bound of the final rate, since the size estimate is an upper bound. */
  feeRate: number;
}
