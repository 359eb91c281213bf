/** The tamper-evident audit log, shared by the coordinator and the signers (issue 3, point 4). */
export {
  AUDIT_EVENT_TAG, GENESIS_HASH, auditEventHash, auditRecordFromView, verifyAuditChain,
  type AuditFailureCode, type AuditLink, type AuditRecord, type ChainCheck, type VerifyChainOptions,
} from './audit-chain';
export { COORDINATOR_SIGNATURE_TAG, auditHeadDigest, signAuditHead, verifyAuditHeadSignature, type AuditHead } from './coordinator-signature';
export { AUDIT_EVENT_KINDS, checkAuditEvidence, isAuditEventKind, type AuditEventKind, type EvidenceCheck } from './event-kinds';
export { EvidenceBinder, type BindableEvent } from './evidence-binding';
export { DEFAULT_SEEN_HEADS_KEPT, findRewrittenHeads, rememberHead, type RememberResult, type RewrittenHead, type SeenHead } from './seen-heads';
