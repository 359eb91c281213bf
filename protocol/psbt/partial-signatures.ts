/**
 * The partial signatures (BIP174 PSBT_IN_PARTIAL_SIG) a PSBT carries, as Conclave's wire
 * form. Lets a keyholder sign in another wallet (a hardware signer, Sparrow, Core) and submit
 * the signed PSBT; the signatures are then checked like any others.
 */
import type { PartialSignature } from '../api';
import { type PsbtLike, resolvePsbt } from './decode';
import { toPartialSignature } from './signature';

export function extractPartialSignatures(psbt: PsbtLike): PartialSignature[] {
  const { raw } = resolvePsbt(psbt);
  return raw.inputs.flatMap((input, index) => (input.partialSig ?? []).map(([pubkey, signature]) => toPartialSignature(index, pubkey, signature)));
}
