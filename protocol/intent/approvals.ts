/**
 * Approvals of a withdrawal: `withdrawal.approve` envelopes over the intent hash. Counted only
 * when valid, by a pinned keyholder other than the proposer (an initiator never approves their
 * own request), bound to this withdrawal and intent, and one per person. Pure; used by the
 * coordinator to move a withdrawal forward and by every signer before it signs.
 */
import { z } from 'zod';
import { MESSAGE_TYPES, hash256Schema, idSchema } from '../api';
import { verifyEnvelope } from '../envelope';
import { ConclaveError } from '../errors';
import { identityFingerprint } from '../identity';

export const approvalBodySchema = z.object({
  withdrawalId: idSchema,
  vaultId: idSchema,
  intentHash: hash256Schema,
}).strict();
export type ApprovalBody = z.infer<typeof approvalBodySchema>;

export interface ApprovalContext {
  withdrawalId: string;
  vaultId: string;
  intentHash: string;
  proposer: string;
  memberKeys: readonly string[];
  now: Date;
}

/** The approvers whose envelopes count; every envelope that does not count adds a reason. */
export function countApprovals(envelopes: readonly unknown[], context: ApprovalContext, reasons: string[]): string[] {
  const approvers: string[] = [];
  envelopes.forEach((input, i) => {
    const where = `approvals[${i}]`;
    let signer: string;
    let body: unknown;
    try {
      // Stored evidence: approvals stay valid while the intent has not expired.
      const envelope = verifyEnvelope(input, { now: context.now, expectedType: MESSAGE_TYPES.withdrawalApprove, checkTime: false });
      signer = envelope.signer;
      body = envelope.body;
    } catch (error) {
      reasons.push(`${where}: ${error instanceof ConclaveError ? error.message : 'cannot be verified'}`);
      return;
    }
    const parsed = approvalBodySchema.safeParse(body);
    if (!parsed.success) return void reasons.push(`${where}: the signed body is not an approval`);
    const { withdrawalId, vaultId, intentHash } = parsed.data;
    if (withdrawalId !== context.withdrawalId || vaultId !== context.vaultId || intentHash !== context.intentHash) {
      return void reasons.push(`${where}: approves another withdrawal or intent`);
    }
    if (!context.memberKeys.includes(signer)) return void reasons.push(`${where}: by ${identityFingerprint(signer)}, who is not a pinned keyholder`);
    if (signer === context.proposer) return void reasons.push(`${where}: by the proposer, who may not approve their own withdrawal`);
    if (approvers.includes(signer)) return void reasons.push(`${where}: a second approval by ${identityFingerprint(signer)}`);
    approvers.push(signer);
  });
  return approvers;
}
