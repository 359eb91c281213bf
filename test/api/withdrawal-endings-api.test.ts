/**
 * Withdrawals that end without a transaction give their coins back: a keyholder cancels one
 * nobody has signed, or its intent expires. No coin stays reserved by a withdrawal that can no
 * longer spend it.
 */
import { MESSAGE_TYPES, type UtxoView, type VaultView, type WithdrawalView } from '../../protocol/api';
import { signVaultInputs } from '../../protocol/psbt';
import { WithdrawalEndingsService } from '../../server/withdrawals/withdrawal-endings.service';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string } };

describe('cancelled and expired withdrawals', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let vault: VaultView;

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders);
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
  });
  afterEach(async () => coord.close());

  const cancel = (w: WithdrawalView, by: TestKeyholder) => coord.call<WithdrawalView & ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/cancel`, by.sign(MESSAGE_TYPES.withdrawalCancel, { withdrawalId: w.id, intentHash: w.intentHash, reason: 'wrong amount' }));
  const coins = async () => (await coord.call<UtxoView[]>('GET', `/api/v1/vaults/${vault.id}/utxos`)).body.map((u) => [u.status, u.reservedBy]);

  it('a keyholder cancels an unsigned withdrawal and its coin can be spent again', async () => {
    const w = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    const outsider = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    await coord.call('POST', '/api/v1/members', outsider.sign(MESSAGE_TYPES.memberJoin, { name: 'mallory', network: 'regtest', accountKey: outsider.accountKey }));
    expect((await cancel(w, outsider)).body.error.code).toBe('NOT_A_MEMBER');
    const cancelled = await cancel(w, keyholders[2]!);
    expect([cancelled.status, cancelled.body.state]).toEqual([200, 'cancelled']);
    expect(await coins()).toEqual([['available', null]]);
    expect((await propose(coord, vault, keyholders[0]!, intent(vault))).status).toBe(201);
    expect((await cancel(w, keyholders[1]!)).body.error.code).toBe('WITHDRAWAL_STATE');
  });

  it('refuses to cancel once a keyholder has signed', async () => {
    const w = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    const bob = keyholders[1]!;
    await coord.call('POST', `/api/v1/withdrawals/${w.id}/signatures`, bob.sign(MESSAGE_TYPES.withdrawalSignature, {
      withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid,
      partialSigs: signVaultInputs(w.psbt, bob.account, { fingerprint: bob.accountKey.fingerprint, path: bob.accountPath }, [0]).partialSigs,
    }));
    const res = await cancel(w, keyholders[2]!);
    expect([res.status, res.body.error.code]).toEqual([409, 'WITHDRAWAL_STATE']);
    expect(await coins()).toEqual([['reserved', w.id]]);
  });

  it('expires a withdrawal whose intent has expired and releases its coin, with an audit event', async () => {
    const w = (await propose(coord, vault, keyholders[0]!, intent(vault, { expiresAt: new Date(Date.now() + 1500).toISOString() }))).body;
    const endings = coord.app.get(WithdrawalEndingsService);
    expect(await endings.expireDue()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(await endings.expireDue()).toEqual([w.id]);
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body.state).toBe('expired');
    expect(await coins()).toEqual([['available', null]]);
    const kinds = (await coord.call<Array<{ kind: string }>>('GET', `/api/v1/audit?subject=${w.id}`)).body.map((e) => e.kind);
    expect(kinds[kinds.length - 1]).toBe('withdrawal.expired');
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });
});
