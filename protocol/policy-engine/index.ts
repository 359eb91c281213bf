/**
 * The policy engine (DESIGN.md, "Policy"; issue 5): versioned rule sets, members in groups,
 * the address book, quorum-approved changes to them, and the verdict on a withdrawal. Pure.
 */
export {
  addressBookHash, addressBookSchema, checkDestinations, entryStatus, lastUses, scriptKey, type AddressBook, type AddressBookEntry, type EntryStatus,
} from './address-book';
export { applyChange, reviewChange, type ApplyChangeResult, type ChangeInput, type ChangeReview } from './apply-change';
export { ruleFor, type ChangeRule } from './change-ops';
export {
  GOVERNANCE_MESSAGE_TYPES, changeApprovalSchema, changeId, changeProposalSchema, partOf,
  type ChangeApproval, type ChangeOp, type ChangeProposal, type StatePart,
} from './changes';
export { countWithdrawalApprovals, evaluateWithdrawal, type EvaluateWithdrawalInput, type WithdrawalEvaluation, type WithdrawalVerdict } from './evaluate-withdrawal';
export { GROUPS, MAX_MEMBERS, memberSchema, memberSetHash, memberSetSchema, passkeySchema, type Member, type MemberSet } from './members';
export { fillQuorum, quorumReachedAt, type QuorumFill } from './quorum';
export { unreachableQuorums } from './reachability';
export {
  POLICY_RULES_FORMAT, POLICY_RULES_HASH_TAG, describeQuorum, policyRulesHash, policyRulesProblems, policyRulesSchema, quorumSchema, tierFor,
  type PolicyRules, type Quorum, type Tier, type VelocityLimit,
} from './rules';
export { parsePinnedPolicyState, pinnedPolicyStateSchema, pinnedStateHashes, pinnedStateProblems, type PinnedPolicyState } from './state';
export { checkVelocity, paidOut, paidOutRecord, type PaidOutRecord, type VelocityUse } from './velocity';
export { assertGovernedPolicy, governedPolicyFromFile, governedPolicyProblems, policyFileSchema, type PolicyFile } from './vault-formation';
