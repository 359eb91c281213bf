/** Editing, deleting or appending audit rows behind the coordinator's back is detected. */
import { MESSAGE_TYPES } from '../../protocol/api';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { setupVault, threeKeyholders } from '../support/vault-scenario';

type Check = { valid: boolean; firstBadSeq: number | null; reason: string | null };

describe('audit log verification', () => {
  let coord: RunningCoordinator;
  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    const keyholders = threeKeyholders();
    const vault = await setupVault(coord, keyholders);
    await coord.call('POST', `/api/v1/vaults/${vault.id}/confirmations`, keyholders[1]!.sign(MESSAGE_TYPES.vaultConfirm, {
      vaultId: vault.id, descriptor: vault.descriptor, policyHash: vault.policyHash, firstAddress: (await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${vault.id}/addresses?count=1`)).body[0]!.address,
    }));
  });
  afterEach(async () => coord.close());

  it('verifies an untouched chain', async () => {
    const check = await coord.call<Check & { count: number }>('GET', '/api/v1/audit/verify');
    expect(check.body).toMatchObject({ valid: true, count: 5, firstBadSeq: null });
  });

  it('detects an edited payload', async () => {
    await coord.dataSource.query(`UPDATE audit_events SET payload = '{"name":"mallory"}' WHERE seq = 2`);
    expect((await coord.call<Check>('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: false, firstBadSeq: 2 });
  });

  it('detects a deleted row', async () => {
    await coord.dataSource.query('DELETE FROM audit_events WHERE seq = 3');
    expect((await coord.call<Check>('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: false, firstBadSeq: 4 });
  });

  it('detects a truncated tail', async () => {
    await coord.dataSource.query('DELETE FROM audit_events WHERE seq = 5');
    const check = (await coord.call<Check>('GET', '/api/v1/audit/verify')).body;
    expect(check.valid).toBe(false);
    expect(check.reason).toMatch(/truncated/);
  });
});
