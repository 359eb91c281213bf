/**
 * Governance of a governed vault (issue 5; DESIGN.md, root of trust and invariant 8): members
 * propose changes to the rule set, the members and the address book, and approve them, each by
 * a signed statement that the coordinator verifies, stores as evidence and logs (actor: its
 * signer). The coordinator can make no change: its copy of the policy takes one only when the
 * policy engine accepts the stored statements (ChangeSettlement), and every keyholder is told
 * of every step. Bad input is refused whole, before anything is written.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MESSAGE_TYPES } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import type { Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import type { ChangeStatus, ChangeView, PolicyView } from '../../protocol/governance-api';
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION, type GovernedPolicy, type VaultPolicy, pinnedPolicyState } from '../../protocol/policy';
import {
  type ChangeApproval, type ChangeProposal, changeApprovalSchema, changeId as changeIdOf, changeProposalSchema, pinnedStateHashes, reviewChange, ruleFor,
} from '../../protocol/policy-engine';
import { findMember } from '../../protocol/policy-engine/members';
import type { PinnedPasskey } from '../../protocol/webauthn/verify-passkey-statement';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { StatementVerifier } from '../replay/statement-verifier';
import type { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import { judgeChange } from './change-review';
import { ChangeSettlement } from './change-settlement';
import { toChangeView } from './change-view';
import { CredentialReplacement } from './credential-replacement';
import { GovernanceRepository } from './governance.repository';

@Injectable()
export class GovernanceService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly statements: StatementVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly repo: GovernanceRepository,
    private readonly settlement: ChangeSettlement,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
    private readonly credentials: CredentialReplacement,
  ) {}

  /** Files a signed proposal; the same envelope sent again returns the change (created: false). */
  async propose(vaultId: string, input: unknown): Promise<{ created: boolean; change: ChangeView }> {
    const outcome = await this.tx.run(async (manager) => {
      const signed = this.envelopes.check<ChangeProposal>(input, MESSAGE_TYPES.governancePropose);
      const id = changeIdOf(signed);
      const vault = await this.vaults.find(vaultId, manager, true);
      governed(vault);
      const existing = await this.repo.exists(manager, id);
      if (existing) {
        if (existing.vaultId !== vaultId) throw new ConclaveError('VALIDATION_FAILED', `envelope: change ${id} belongs to another vault`);
        return { created: false, id };
      }
      const envelope = await this.envelopes.consume<ChangeProposal>(manager, input, MESSAGE_TYPES.governancePropose);
      const change = parseWith(changeProposalSchema, envelope.body, 'envelope.body');
      if (change.vaultId !== vaultId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.vaultId: does not match the route');
      // Changes apply in order: one that is due applies before a new one is judged.
      const current = await this.settled(manager, vault);
      if (findMember(current.members, envelope.signer) === undefined) throw new ConclaveError('NOT_A_MEMBER', 'the proposer is not a member of this vault\'s policy');
      const state = pinnedPolicyState(vaultId, vault.network as NetworkName, current);
      const review = reviewChange({ state, proposal: envelope, approvals: [] });
      if (review.problems.length > 0) {
        throw new ConclaveError('POLICY_CHANGE_REFUSED', `change: ${review.problems.join('; ')}`, { problems: review.problems });
      }
      if (change.op === 'member.replace-credentials' && change.newIdentityKey !== undefined) await this.credentials.checkNewKey(manager, change.newIdentityKey);
      const judged = judgeChange(state, envelope, [], this.clock.now());
      await this.repo.insert(manager, {
        changeId: id, vaultId, op: change.op, base: change.base, proposal: canonicalJson(envelope), proposedBy: envelope.signer, status: 'pending',
        review: canonicalJson(judged.review), quorumReachedAt: null, effectiveAt: null, settledAt: null, createdAt: this.clock.now().toISOString(),
      });
      const rule = ruleFor(state, change);
      await this.audit.append(manager, {
        kind: 'governance.proposed', actor: envelope.signer, subject: id, evidence: envelope,
        payload: { vaultId, op: change.op, base: change.base, quorum: judged.review.quorum.description, delaySeconds: rule.delaySeconds },
      });
      await this.hub.publishToVault(manager, vaultId, { kind: 'governance.proposed', vaultId, changeId: id, op: change.op });
      return { created: true, id };
    });
    return { created: outcome.created, change: await this.get(vaultId, outcome.id) };
  }

  async approve(vaultId: string, changeId: string, input: unknown): Promise<ChangeView> {
    await this.tx.run(async (manager) => {
      // The vault's current policy (due changes applied first), loaded once: a passkey statement
      // is verified against the passkeys its member set pins.
      let current: { vault: VaultEntity; policy: GovernedPolicy } | null = null;
      const load = async () => {
        if (current === null) {
          const vault = await this.vaults.find(vaultId, manager, true);
          current = { vault, policy: await this.settled(manager, vault) };
        }
        return current;
      };
      const pinnedFor = async (signer: string): Promise<readonly PinnedPasskey[]> => findMember((await load()).policy.members, signer)?.passkeys ?? [];
      const statement = await this.statements.consume<ChangeApproval>(manager, input, MESSAGE_TYPES.governanceApprove, pinnedFor);
      const where = statement.passkey === null ? 'envelope' : 'statement';
      const body = parseWith(changeApprovalSchema, statement.body, `${where}.body`);
      if (body.vaultId !== vaultId || body.changeId !== changeId) throw new ConclaveError('VALIDATION_FAILED', `${where}.body: names another vault or change than the route`);
      const { vault, policy } = await load();
      const change = await this.repo.find(vaultId, changeId, manager);
      this.checkApprover(vault, policy, change.proposal, statement.signer);
      if (await this.repo.approval(manager, changeId, statement.signer)) return;
      if (change.status !== 'pending') throw new ConclaveError('CHANGE_NOT_PENDING', `change ${changeId}: is ${change.status}`);
      const now = this.clock.now();
      await this.repo.insertApproval(manager, { changeId, identityKey: statement.signer, statement: canonicalJson(statement.evidence), createdAt: now.toISOString() });
      const approvals = (await this.repo.approvals(changeId, manager)).map((a) => JSON.parse(a.statement) as unknown);
      const judged = judgeChange(pinnedPolicyState(vaultId, vault.network as NetworkName, policy), JSON.parse(change.proposal), approvals, now);
      await this.repo.update(manager, changeId, { review: canonicalJson(judged.review), quorumReachedAt: judged.review.quorumReachedAt, effectiveAt: judged.review.effectiveAt });
      await this.audit.append(manager, {
        kind: 'governance.approved', actor: statement.signer, subject: changeId, evidence: statement.evidence,
        payload: {
          vaultId, counted: judged.review.counted.length, byGroup: judged.review.quorum.byGroup, quorumMet: judged.review.quorum.met,
          // The key a passkey statement was verified with, so that the log verifies on its own.
          ...(statement.passkey === null ? {} : { passkey: statement.passkey }),
        },
      });
      await this.hub.publishToVault(manager, vaultId, { kind: 'governance.approved', vaultId, changeId, identityKey: statement.signer });
      await this.settlement.settle(manager, vault);
    });
    return this.get(vaultId, changeId);
  }

  async list(vaultId: string, status?: ChangeStatus): Promise<ChangeView[]> {
    const { vault, policy } = await this.settleForRead(vaultId);
    const now = this.clock.now();
    return Promise.all((await this.repo.list(vaultId, status)).map(async (c) => toChangeView(c, await this.repo.approvals(c.changeId), vault, policy, now)));
  }

  async get(vaultId: string, changeId: string): Promise<ChangeView> {
    const { vault, policy } = await this.settleForRead(vaultId);
    const change = await this.repo.find(vaultId, changeId);
    return toChangeView(change, await this.repo.approvals(changeId), vault, policy, this.clock.now());
  }

  async policy(vaultId: string): Promise<PolicyView> {
    const vault = await this.vaults.find(vaultId);
    const policy = JSON.parse(vault.policy) as VaultPolicy;
    if (policy.version !== GOVERNED_POLICY_VERSION) return { vaultId, version: policy.version, policy, policyHash: vault.policyHash, parts: null };
    const settled = await this.settleForRead(vaultId);
    return {
      vaultId, version: GOVERNED_POLICY_VERSION, policy: settled.policy, policyHash: settled.vault.policyHash,
      parts: pinnedStateHashes(pinnedPolicyState(vaultId, vault.network as NetworkName, settled.policy)),
    };
  }

  /** A read shows the policy as of now: changes whose delay ended are applied first. */
  private async settleForRead(vaultId: string): Promise<{ vault: VaultEntity; policy: GovernedPolicy }> {
    return this.tx.run(async (manager) => {
      const vault = await this.vaults.find(vaultId, manager, true);
      const policy = await this.settled(manager, vault);
      return { vault, policy };
    });
  }

  /** The vault's governed policy once due changes are applied (`vault` is updated in place). */
  private async settled(manager: EntityManager, vault: VaultEntity): Promise<GovernedPolicy> {
    governed(vault);
    await this.settlement.settle(manager, vault);
    return governed(vault);
  }

  /** A pinned member, who neither proposed the change nor is the member it is about. */
  private checkApprover(vault: VaultEntity, policy: GovernedPolicy, proposal: string, signer: string): void {
    const member = findMember(policy.members, signer);
    if (member === undefined) throw new ConclaveError('NOT_A_MEMBER', 'the approver is not a member of this vault\'s policy');
    const envelope = JSON.parse(proposal) as Envelope<ChangeProposal>;
    if (envelope.signer === signer) throw new ConclaveError('FORBIDDEN', 'the proposer\'s approval never counts: another member must approve');
    const { subject } = ruleFor(pinnedPolicyState(vault.id, vault.network as NetworkName, policy), envelope.body);
    if (subject === signer) throw new ConclaveError('FORBIDDEN', `${member.name} is the member this change is about, whose approval never counts`);
  }
}

/** The vault's governed policy, or POLICY_NOT_GOVERNED. */
function governed(vault: VaultEntity): GovernedPolicy {
  const policy = JSON.parse(vault.policy) as VaultPolicy;
  if (policy.version !== GOVERNED_POLICY_VERSION) {
    throw new ConclaveError('POLICY_NOT_GOVERNED', `vault ${vault.id}: has a simple (version 1) policy; changes by quorum need a governed (version 2) policy`);
  }
  return policy;
}
