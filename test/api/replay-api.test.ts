/**
 * Replay protection (issue 3, point 1): a captured envelope cannot be used twice, after it
 * expired, or for another vault or withdrawal than the one it names.
 */
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import { signVaultInputs } from '../../protocol/psbt';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import type { TestKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string } };

describe('replayed envelopes', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let vault: VaultView;
  let first: WithdrawalView;
  let second: WithdrawalView;

  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders);
    await deposit(coord, vault, keyholders[0]!, [600_000n, 500_000n]);
    first = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    second = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
  });
  afterAll(async () => coord.close());

  const signatureFor = (w: WithdrawalView, by: TestKeyholder, now?: Date) => by.sign(MESSAGE_TYPES.withdrawalSignature, {
    withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid,
    partialSigs: signVaultInputs(w.psbt, by.account, { fingerprint: by.accountKey.fingerprint, path: by.accountPath }, [0]).partialSigs,
  }, now);

  it('refuses the same envelope twice', async () => {
    const envelope = signatureFor(first, keyholders[1]!);
    expect((await coord.call('POST', `/api/v1/withdrawals/${first.id}/signatures`, envelope)).status).toBe(200);
    const again = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${first.id}/signatures`, envelope);
    expect([again.status, again.body.error.code]).toEqual([409, 'ENVELOPE_REPLAYED']);
  });

  it('refuses an envelope re-sent for another withdrawal', async () => {
    const envelope = signatureFor(first, keyholders[2]!);
    const res = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${second.id}/signatures`, envelope);
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${second.id}`)).body.signatures).toEqual([]);
  });

  it('refuses an envelope re-sent for another vault', async () => {
    const envelope = keyholders[0]!.sign(MESSAGE_TYPES.withdrawalPropose, intent(vault));
    const res = await coord.call<ErrorBody>('POST', '/api/v1/vaults/00000000-0000-4000-8000-000000000000/withdrawals', envelope);
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('refuses an expired envelope', async () => {
    const old = signatureFor(second, keyholders[1]!, new Date(Date.now() - 3600_000));
    const res = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${second.id}/signatures`, old);
    expect([res.status, res.body.error.code]).toEqual([401, 'ENVELOPE_EXPIRED']);
  });
});
