/**
 * What a FROST signer signs for each input of a withdrawal it verified: the BIP341 key-path
 * digest, and the vault position whose child key signs it (recomputed from the pinned
 * descriptor, never taken from the PSBT's hints). Part of verify-withdrawal.ts's verdict.
 */
import type { VaultDescriptor } from '../descriptor';
import { deriveVaultScript } from '../descriptor';
import { ConclaveError } from '../errors';
import { type DecodedPsbt, taprootKeySpendSighashes } from '../psbt';
import type { PsbtSummary } from '../psbt/types';

/** What a FROST signer needs for one input: the digest to sign and the child key that signs it. */
export interface TaprootKeySpend {
  input: number;
  /** Position of the coin in the vault: its key is the group key's BIP32 child at change/index. */
  change: 0 | 1;
  index: number;
  /** x-only internal key P_i (32 bytes), and output key Q_i (32 bytes) the signature must verify under. */
  internalKey: Uint8Array;
  outputKey: Uint8Array;
  /** BIP341 key-path SIGHASH_DEFAULT digest (32 bytes). */
  sighash: Uint8Array;
}

/** Per input of a FROST vault's withdrawal (all checked as the vault's), the digest and child key to sign with. */
export function taprootKeySpends(
  descriptor: Extract<VaultDescriptor, { kind: 'tr-frost' }>, decoded: DecodedPsbt, summary: PsbtSummary, reasons: string[],
): TaprootKeySpend[] | null {
  let digests: Uint8Array[];
  try {
    digests = taprootKeySpendSighashes(decoded);
  } catch (error) {
    reasons.push(error instanceof ConclaveError ? error.message : `psbt: no Taproot sighash (${String(error)})`);
    return null;
  }
  const spends: TaprootKeySpend[] = [];
  for (const input of summary.inputs) {
    if (input.vault === null) {
      reasons.push(`psbt/input[${input.index}]: not a coin of this vault`);
      return null;
    }
    const { change, index } = input.vault;
    const script = deriveVaultScript(descriptor, change, index);
    spends.push({ input: input.index, change, index, internalKey: script.internalKey, outputKey: script.outputKey, sighash: digests[input.index] });
  }
  return spends;
}
