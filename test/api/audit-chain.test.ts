/** Editing, deleting or appending audit rows behind the coordinator's back is detected. */
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { setupVault, threeKeyholders } from '../support/vault-scenario';

type Check = { valid: boolean; firstBadSeq: number | null; reason: string | null };

describe('audit log verification', () => {
  let coord: RunningCoordinator;
  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    // 3 joins, the vault, 3 confirmations and its activation: 8 events.
    await setupVault(coord, threeKeyholders());
  });
  afterEach(async () => coord.close());

  it('verifies an untouched chain', async () => {
    const check = await coord.call<Check & { count: number }>('GET', '/api/v1/audit/verify');
    expect(check.body).toMatchObject({ valid: true, count: 8, firstBadSeq: null });
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
    await coord.dataSource.query('DELETE FROM audit_events WHERE seq = 8');
    const check = (await coord.call<Check>('GET', '/api/v1/audit/verify')).body;
    expect(check.valid).toBe(false);
    expect(check.reason).toMatch(/truncated/);
  });
});
