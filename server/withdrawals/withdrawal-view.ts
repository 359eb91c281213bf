/** Maps stored withdrawals to their REST view. */
import type { WithdrawalView } from '../../protocol/api';
import { identityFingerprint } from '../../protocol/identity';
import type { PartialSignatureEntity } from '../signing/partial-signature.entity';
import type { ApprovalEntity } from './approval.entity';
import type { WithdrawalEntity } from './withdrawal.entity';

export function toWithdrawalView(w: WithdrawalEntity, signatures: PartialSignatureEntity[], approvals: ApprovalEntity[]): WithdrawalView {
  return {
    id: w.id, vaultId: w.vaultId, state: w.state, requestId: w.requestId, intent: JSON.parse(w.intent), intentHash: w.intentHash,
    proposal: JSON.parse(w.proposalEnvelope), proposedBy: w.proposedBy, psbt: w.psbt, unsignedTxid: w.unsignedTxid, fee: w.fee,
    approvals: approvals.map((a) => JSON.parse(a.envelope) as unknown),
    signatures: signatures.map((s) => ({ identityKey: s.identityKey, fingerprint: identityFingerprint(s.identityKey), createdAt: s.createdAt })),
    txid: w.txid, txHex: w.txHex, createdAt: w.createdAt, updatedAt: w.updatedAt,
  };
}
