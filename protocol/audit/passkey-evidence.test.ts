/**
 * Passkey approvals (and web proposals) in the audit log: the statement must verify under the key its event's
 * payload records, by the event's actor (checkAuditEvidence), and that key must be pinned for
 * the actor in the vault's member set as the log establishes it at that point (PinnedPolicyLog,
 * which follows governance.applied events and checks the parts they claim).
 */
import { SoftwarePasskey } from '../../test/support/software-passkey';
import { MESSAGE_TYPES } from '../api';
import { canonicalJson } from '../canonical-json';
import { governedPolicyOf, policyHash } from '../policy';
import { applyOp } from '../policy-engine/change-ops';
import { changeId } from '../policy-engine/changes';
import { pinnedStateHashes } from '../policy-engine/state';
import { NOW, VAULT_ID, WITHDRAWAL_ID, ada, cy, pinned, propose } from '../policy-engine/test-fixture';
import { checkAuditEvidence } from './event-kinds';
import type { PasskeyEvidence } from './passkey-evidence';
import { PinnedPolicyLog } from './pinned-policy-log';

const BODY = { withdrawalId: WITHDRAWAL_ID, vaultId: VAULT_ID, intentHash: 'cd'.repeat(32) };
const passkey = new SoftwarePasskey();

function event(statement: unknown, payload: Record<string, unknown>, overrides: { kind?: string; actor?: string } = {}) {
  return {
    seq: 7, kind: overrides.kind ?? 'approval.received', actor: overrides.actor ?? cy.key,
    evidence: canonicalJson(statement), payload: canonicalJson(payload),
  };
}

describe('passkey evidence in the audit log', () => {
  const statement = passkey.statement(MESSAGE_TYPES.withdrawalApprove, BODY, cy.key, NOW);

  it('verifies a passkey approval under the key its payload records, by the actor', () => {
    const check = checkAuditEvidence(event(statement, { count: 1, passkey: passkey.pinned }));
    expect(check.problem).toBeNull();
    expect(check).toMatchObject({ envelope: null, passkey: { signer: cy.key, body: BODY, passkey: passkey.pinned } });
  });

  it('refuses one without a recorded key, under another key, by another actor, tampered, or for a kind that takes no passkey', () => {
    expect(checkAuditEvidence(event(statement, { count: 1 })).problem).toMatch(/payload\.passkey does not name the credential and key/);
    const other = new SoftwarePasskey();
    expect(checkAuditEvidence(event(statement, { passkey: { ...other.pinned, credentialId: passkey.credentialId } })).problem).toMatch(/PASSKEY_BAD_SIGNATURE/);
    expect(checkAuditEvidence(event(statement, { passkey: other.pinned })).problem).toMatch(/PASSKEY_NOT_PINNED/);
    expect(checkAuditEvidence(event(statement, { passkey: passkey.pinned }, { actor: ada.key })).problem).toMatch(/not of the actor/);
    expect(checkAuditEvidence(event({ ...statement, body: { ...BODY, intentHash: 'ef'.repeat(32) } }, { passkey: passkey.pinned })).problem).toMatch(/PASSKEY_CHALLENGE_MISMATCH/);
    // A cancellation is an identity-key envelope only (signer-cli); a passkey statement is not one.
    const cancel = passkey.statement(MESSAGE_TYPES.withdrawalCancel, BODY, cy.key, NOW);
    expect(checkAuditEvidence(event(cancel, { passkey: passkey.pinned }, { kind: 'withdrawal.cancelled' })).problem).toMatch(/ENVELOPE_INVALID/);
  });

  it('takes a withdrawal proposed in the web app with a passkey, under the key its payload records', () => {
    const proposal = passkey.statement(MESSAGE_TYPES.withdrawalPropose, BODY, cy.key, NOW);
    expect(checkAuditEvidence(event(proposal, { passkey: passkey.pinned }, { kind: 'withdrawal.proposed' })).problem).toBeNull();
    expect(checkAuditEvidence(event(proposal, { passkey: new SoftwarePasskey().pinned }, { kind: 'withdrawal.proposed' })).problem).toMatch(/PASSKEY_NOT_PINNED/);
  });
});

describe('PinnedPolicyLog', () => {
  const evidence = (who: string, key = passkey.pinned): PasskeyEvidence => ({
    signer: who, type: MESSAGE_TYPES.withdrawalApprove, body: BODY, created: NOW.toISOString(), passkey: key, statementId: '00'.repeat(32),
  });
  const state = pinned();
  const proposal = propose(state, { op: 'member.replace-credentials', identityKey: cy.key, passkeys: [passkey.pinned] }, ada, NOW);
  const logged = { changeId: changeId(proposal), change: proposal.body as never, proposedAt: proposal.created };
  const next = applyOp(state, logged.change, logged.changeId, NOW);
  const appliedPayload = { parts: pinnedStateHashes(next), policyHash: policyHash(governedPolicyOf(next)), quorumReachedAt: NOW.toISOString() };

  it('takes a passkey as pinned only once a logged change pinned it for that member', () => {
    const log = new PinnedPolicyLog();
    log.formed(VAULT_ID, 'regtest', governedPolicyOf(state));
    expect(() => log.passkeyPinned(VAULT_ID, evidence(cy.key))).toThrow(/is not pinned for Cy/);
    log.applied(VAULT_ID, logged, appliedPayload);
    expect(() => log.passkeyPinned(VAULT_ID, evidence(cy.key))).not.toThrow();
    expect(() => log.passkeyPinned(VAULT_ID, evidence(ada.key))).toThrow(/is not pinned for Ada/);
    expect(() => log.passkeyPinned(VAULT_ID, evidence(cy.key, { ...new SoftwarePasskey().pinned, credentialId: passkey.credentialId }))).toThrow(/not the one pinned for Cy/);
    expect(() => log.passkeyPinned(VAULT_ID, evidence('ee'.repeat(32)))).toThrow(/not a member/);
  });

  it('refuses an applied change whose recorded parts are not where the logged change leads', () => {
    const log = new PinnedPolicyLog();
    log.formed(VAULT_ID, 'regtest', governedPolicyOf(state));
    const claimed = { ...appliedPayload, parts: { ...appliedPayload.parts, members: 'ab'.repeat(32) } };
    expect(() => log.applied(VAULT_ID, logged, claimed)).toThrow(/payload\.parts/);
    expect(() => log.passkeyPinned(VAULT_ID, evidence(cy.key))).toThrow(/is not pinned for Cy/);
  });

  it('knows no passkeys for a vault with a simple policy, nor for one the log never formed', () => {
    const log = new PinnedPolicyLog();
    log.formed(VAULT_ID, 'regtest', { version: 1, requiredApprovals: 1, maxFeeSats: '1000', maxFeeRate: '10' });
    expect(() => log.passkeyPinned(VAULT_ID, evidence(cy.key))).toThrow(/simple \(version 1\) policy/);
    expect(() => log.passkeyPinned('11111111-2222-4333-8444-555555555555', evidence(cy.key))).toThrow(/does not appear earlier/);
  });
});
