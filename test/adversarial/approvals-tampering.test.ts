/**
 * Malicious-coordinator suite, approvals (DESIGN.md invariants 2 and 3, "Policy"): the vault's
 * pinned policy needs one approval by a keyholder other than the proposer. The proxy shows
 * Bob's real `listen` a withdrawal that still awaits approval as if it were ready to sign, with
 * the approvals it likes, and pushes him the signing request the coordinator never sent. Bob
 * re-verifies every approval against his pinned keys and policy, refuses, and signs nothing.
 */
import { randomBytes } from 'node:crypto';
import { MESSAGE_TYPES, type WithdrawalView } from '../../protocol/api';
import { signEnvelope } from '../../protocol/envelope';
import { identityFingerprint } from '../../protocol/identity';
import {
  DB_LABEL, type Attack, type Stage, attack, closeStage, direct, expectRefused, expectSignedNothing, formVault, fund, journal, listen,
  mallory, openStage, propose, run, settle, signersAtCoordinator,
} from './harness';

const random = (n: number) => new Uint8Array(randomBytes(n));
const approvalOf = (view: WithdrawalView) => ({ withdrawalId: view.id, vaultId: view.vaultId, intentHash: view.intentHash });

describe(`a signer behind a tampering coordinator refuses forged or missing approvals (${DB_LABEL})`, () => {
  let stage: Stage;
  let honest: Promise<Attack & { approval: unknown }> | undefined;

  beforeAll(async () => {
    stage = await openStage();
    await formVault(stage, { createArgs: ['--approvals', '1'] });
    await fund(stage, 8, 1_000_000n);
  });
  afterAll(() => closeStage(stage));

  /** Withdrawal X: Carol approves through the proxy, the coordinator asks for signatures, Bob signs. */
  const approvedAndSigned = () => (honest ??= (async () => {
    const { bob, carol } = stage.keyholders;
    const listener = await listen(stage, bob);
    const since = stage.proxy.requests.length;
    let outcome;
    try {
      const withdrawal = await propose(stage);
      expect(withdrawal.state).toBe('awaiting_approval');
      const approved = await run(carol, ['approve', withdrawal.id, '--yes']);
      expect(approved).toMatchObject({ code: 0, json: { state: 'signing', approvals: 1, required: 1 } });
      outcome = await listener.outcome(withdrawal.id);
      const approval = (await direct<WithdrawalView>(stage, `/api/v1/withdrawals/${withdrawal.id}`)).approvals[0];
      return { withdrawal, outcome, listener, since, approval };
    } finally {
      await settle(listener, outcome);
    }
  })());

  /** Shows a withdrawal awaiting approval as `signing` with these approvals, and pushes Bob a signing request for it. */
  const asIfApproved = (approvals: (view: WithdrawalView) => unknown[]) => ({
    edit: (view: WithdrawalView): WithdrawalView => ({ ...view, state: 'signing', approvals: approvals(view) }),
    after: (w: WithdrawalView) => {
      expect(w.state).toBe('awaiting_approval');
      expect(stage.proxy.inject({ kind: 'signing.requested', vaultId: w.vaultId, withdrawalId: w.id }, stage.keyholders.bob.identityKey)).toBe(1);
    },
  });

  it('signs once a keyholder other than the proposer approved (control)', async () => {
    const { withdrawal, outcome, listener } = await approvedAndSigned();
    expect(outcome).toMatchObject({ event: 'signed', withdrawalId: withdrawal.id });
    expect(await listener.exited).toBe(0);
    expect(await signersAtCoordinator(stage, withdrawal.id)).toEqual([stage.keyholders.bob.identityKey]);
  });

  it('refuses a withdrawal shown as ready to sign with fewer approvals than the policy requires', async () => {
    // This time the coordinator's own push ("now awaiting approval") is rewritten into a signing request.
    const stopRewriting = stage.proxy.rewriteFrames((frame) => (frame.type === 'event' && frame.event.kind === 'withdrawal.state' && frame.event.state === 'awaiting_approval'
      ? { type: 'event', event: { kind: 'signing.requested', vaultId: frame.event.vaultId, withdrawalId: frame.event.withdrawalId } }
      : frame));
    let attempt;
    try {
      attempt = await attack(stage, { edit: (view) => ({ ...view, state: 'signing', approvals: [] }) });
    } finally {
      stopRewriting();
    }
    const { withdrawal, outcome, listener, since } = attempt;
    expectRefused(outcome, /^approvals: 0 valid of the 1 the pinned policy requires$/);
    await expectSignedNothing(stage, withdrawal.id, since, listener);
    expect((await direct<WithdrawalView>(stage, `/api/v1/withdrawals/${withdrawal.id}`)).state).toBe('awaiting_approval');
  });

  it('refuses a forged approval: a keyholder named as signer who never signed it', async () => {
    const { carol } = stage.keyholders;
    const { withdrawal, outcome, listener, since } = await attack(stage, asIfApproved((view) => [
      { ...signEnvelope(MESSAGE_TYPES.withdrawalApprove, approvalOf(view), mallory.identitySecret, { now: new Date(), randomBytes: random }), signer: carol.identityKey },
    ]));
    expectRefused(outcome,
      new RegExp(`^approvals\\[0\\]: envelope\\.sig: signature by ${carol.identityKey} does not verify$`),
      /^approvals: 0 valid of the 1 the pinned policy requires$/);
    await expectSignedNothing(stage, withdrawal.id, since, listener);
  });

  it('refuses an approval signed by a key that is not a pinned keyholder', async () => {
    const { withdrawal, outcome, listener, since } = await attack(stage, asIfApproved((view) => [mallory.sign(MESSAGE_TYPES.withdrawalApprove, approvalOf(view))]));
    expectRefused(outcome,
      new RegExp(`^approvals\\[0\\]: by ${identityFingerprint(mallory.identityKey)}, who is not a pinned keyholder$`),
      /^approvals: 0 valid of the 1 the pinned policy requires$/);
    await expectSignedNothing(stage, withdrawal.id, since, listener);
  });

  it('refuses the initiator approving their own withdrawal', async () => {
    // Alice's own key signs it, as a compromised initiator would (her signer CLI refuses to).
    const { withdrawal, outcome, listener, since } = await attack(stage, asIfApproved((view) => [
      stage.proposer!.signEnvelope(MESSAGE_TYPES.withdrawalApprove, approvalOf(view), { now: new Date() }),
    ]));
    expectRefused(outcome,
      /^approvals\[0\]: by the proposer, who may not approve their own withdrawal$/,
      /^approvals: 0 valid of the 1 the pinned policy requires$/);
    await expectSignedNothing(stage, withdrawal.id, since, listener);
  });

  it("refuses a keyholder's real approval replayed from another withdrawal", async () => {
    const { approval } = await approvedAndSigned();
    const { withdrawal, outcome, listener, since } = await attack(stage, asIfApproved(() => [approval]));
    expectRefused(outcome,
      /^approvals\[0\]: approves another withdrawal or intent$/,
      /^approvals: 0 valid of the 1 the pinned policy requires$/);
    await expectSignedNothing(stage, withdrawal.id, since, listener);
    expect(journal(stage.keyholders.bob).map((e) => e.withdrawalId)).not.toContain(withdrawal.id);
  });
});
