/** Maps stored withdrawals to their REST view. */
import type { WithdrawalView } from '../../protocol/api';
import { identityFingerprint } from '../../protocol/identity';
import type { PartialSignatureEntity } from '../signing/partial-signature.entity';
import type { WithdrawalEntity } from './withdrawal.entity';

export function toWithdrawalView(w: WithdrawalEntity, signatures: PartialSignatureEntity[]): WithdrawalView {
  return {
    id: w.id, vaultId: w.vaultId, state: w.state, requestId: w.requestId, intent: JSON.parse(w.intent), intentHash: w.intentHash,
    proposal: JSON.parse(w.proposalEnvelope), proposedBy: w.proposedBy, psbt: w.psbt, unsignedTxid: w.unsignedTxid, fee: w.fee,
    signatures: signatures.map((s) => ({ identityKey: s.identityKey, fingerprint: identityFingerprint(s.identityKey), createdAt: s.createdAt })),
    txid: w.txid, txHex: w.txHex, createdAt: w.createdAt, updatedAt: w.updatedAt,
  };
}
