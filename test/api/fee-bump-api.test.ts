/**
 * The coordinator's side of a fee bump: a replacement must name the current intent, pay the same
 * outputs at a higher fee rate, and come from a keyholder; every refusal leaves the withdrawal,
 * its coins and its signatures exactly as they were. An accepted bump keeps the same coin
 * reserved by the same withdrawal and remembers the replaced transaction.
 */
import { MESSAGE_TYPES, type UtxoView, type VaultView, type WithdrawalView, type WithdrawalIntent } from '../../protocol/api';
import { intentHash } from '../../protocol/intent/intent-hash';
import { signVaultInputs } from '../../protocol/psbt';
import { WithdrawalEndingsService } from '../../server/withdrawals/withdrawal-endings.service';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string } };

describe('fee bump on the coordinator', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let vault: VaultView;
  let exported: WithdrawalView;
  let original: WithdrawalIntent;

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders);
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    original = intent(vault);
    const w = (await propose(coord, vault, keyholders[0]!, original)).body;
    for (const k of [keyholders[1]!, keyholders[2]!]) {
      await coord.call('POST', `/api/v1/withdrawals/${w.id}/signatures`, k.sign(MESSAGE_TYPES.withdrawalSignature, {
        withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid,
        partialSigs: signVaultInputs(w.psbt, k.account, { fingerprint: k.accountKey.fingerprint, path: k.accountPath }, [0]).partialSigs,
      }));
    }
    exported = (await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body;
    expect(exported.state).toBe('exported');
  });
  afterEach(async () => coord.close());

  const bump = (body: Partial<WithdrawalIntent>, by: TestKeyholder = keyholders[1]!) =>
    coord.call<WithdrawalView & ErrorBody>('POST', `/api/v1/withdrawals/${exported.id}/bump`, by.sign(MESSAGE_TYPES.withdrawalBump, { ...original, feeRate: '6', replaces: exported.intentHash, ...body }));
  const coins = async () => (await coord.call<UtxoView[]>('GET', `/api/v1/vaults/${vault.id}/utxos`)).body.map((u) => [u.status, u.reservedBy]);
  const unchanged = async () => {
    const now = (await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${exported.id}`)).body;
    expect(now).toEqual(exported);
    expect(await coins()).toEqual([['spent', exported.id]]);
  };

  it('rebuilds the same coin and payment at a higher fee, back to signing, the old transaction kept', async () => {
    const res = await bump({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: exported.id, state: 'signing', intentHash: intentHash({ ...original, feeRate: '6', replaces: exported.intentHash }), signatures: [] });
    expect(BigInt(res.body.fee)).toBeGreaterThan(BigInt(exported.fee));
    expect(res.body.unsignedTxid).not.toBe(exported.unsignedTxid);
    expect(await coins()).toEqual([['reserved', exported.id]]);
    const audit = (await coord.call<Array<{ kind: string; payload: Record<string, unknown> }>>('GET', `/api/v1/audit?subject=${exported.id}`)).body;
    expect(audit.map((e) => e.kind).slice(-2)).toEqual(['withdrawal.bumped', 'withdrawal.signing']);
    expect(audit.at(-2)!.payload).toMatchObject({ replaces: exported.intentHash, replacedTxid: exported.txid, replacedFee: exported.fee });
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });

  it('refuses a bump of another intent, other outputs, no higher fee rate, or by a stranger, changing nothing', async () => {
    expect((await bump({ replaces: 'ab'.repeat(32) })).body.error.code).toBe('FEE_BUMP_INVALID');
    expect((await bump({ outputs: [{ address: original.outputs[0]!.address, amount: '260000' }] })).body.error.code).toBe('FEE_BUMP_INVALID');
    expect((await bump({ feeRate: '2' })).body.error.code).toBe('FEE_BUMP_INVALID');
    expect((await bump({ requestId: 'another' })).body.error.code).toBe('FEE_BUMP_INVALID');
    expect((await bump({ feeRate: '9999' })).body.error).toMatchObject({ code: expect.stringMatching(/POLICY_MISMATCH|INSUFFICIENT_FUNDS|FEE_RATE_INVALID/) });
    const mallory = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    await coord.call('POST', '/api/v1/members', mallory.sign(MESSAGE_TYPES.memberJoin, { name: 'mallory', network: 'regtest', accountKey: mallory.accountKey }));
    expect((await bump({}, mallory)).body.error.code).toBe('NOT_A_MEMBER');
    const asProposal = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${exported.id}/bump`, keyholders[1]!.sign(MESSAGE_TYPES.withdrawalPropose, { ...original, feeRate: '6', replaces: exported.intentHash }));
    expect(asProposal.body.error.code).toBe('ENVELOPE_WRONG_TYPE');
    await unchanged();
  });

  it('keeps the coins with a bumped withdrawal while the transaction it replaced may be mined: no cancel, no expiry', async () => {
    const bumped = (await bump({})).body;
    const cancel = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${exported.id}/cancel`, keyholders[0]!.sign(MESSAGE_TYPES.withdrawalCancel, {
      withdrawalId: exported.id, intentHash: bumped.intentHash, reason: 'changed our mind',
    }));
    expect([cancel.status, cancel.body.error.code]).toEqual([409, 'WITHDRAWAL_STATE']);
    expect(cancel.body.error.message).toContain('may still be mined');
    jest.useFakeTimers({ now: Date.parse(original.expiresAt) + 1000, doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask'] });
    try {
      expect(await coord.app.get(WithdrawalEndingsService).expireDue()).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${exported.id}`)).body.state).toBe('signing');
    expect(await coins()).toEqual([['reserved', exported.id]]);
  });

  it('refuses a withdrawal that has no signed transaction, and a second bump that does not pay more', async () => {
    const first = await bump({});
    expect(first.status).toBe(200);
    const again = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${exported.id}/bump`, keyholders[2]!.sign(MESSAGE_TYPES.withdrawalBump, {
      ...original, feeRate: '7', replaces: first.body.intentHash,
    }));
    expect([again.status, again.body.error.code]).toEqual([409, 'WITHDRAWAL_STATE']);
  });
});
