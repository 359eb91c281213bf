/**
 * `propose` without --fee-rate, against a real coordinator in this process (offline, so its
 * estimate is the configured fallback rate): the rate used is the coordinator's "normal"
 * estimate and --json says so; --fee-rate still overrides it; an estimate above the pinned
 * policy's cap is refused before anything is signed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEE_TARGETS, type FeeEstimatesView } from '../../protocol/api';
import { fakeFundingTx } from '../../test/support/funding-tx';
import { type RunningCoordinator, startInProcessCoordinator } from '../../test/support/in-process-coordinator';
import { feeRateText, normalEstimate } from './propose-fee-rate';
import { runCliJson } from '../../test/support/cli-in-process';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

async function run(home: string, ...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  return runCliJson('--home', home, ...args);
}

async function ok(home: string, ...args: string[]): Promise<Record<string, unknown>> {
  const result = await run(home, ...args);
  if (result.code !== 0) throw new Error(`${args.join(' ')}: exit ${result.code}: ${JSON.stringify(result.json)}`);
  return result.json;
}

const view = (rate: string, source: FeeEstimatesView['source'] = 'core', fallback = false): FeeEstimatesView => ({
  source, rates: FEE_TARGETS.map((t) => ({ ...t, feeRate: rate, fallback })), fetchedAt: new Date().toISOString(),
});

describe('propose: the fee rate', () => {
  const saved = { ...process.env };
  let coordinator: RunningCoordinator;
  let alice: string;
  let vaultId: string;

  beforeAll(async () => {
    process.env.CONCLAVE_TEST_FAST_KDF = '1';
    process.env.CONCLAVE_PASSPHRASE = 'propose fee rate';
    coordinator = await startInProcessCoordinator({ CONCLAVE_NETWORK: 'regtest', CONCLAVE_FALLBACK_FEE_RATE: '3.5' });
    const root = mkdtempSync(join(tmpdir(), 'conclave-propose-fee-'));
    const homes = ['alice', 'bob'].map((name) => join(root, name));
    for (const [i, home] of homes.entries()) {
      await ok(home, 'init', '--network', 'regtest');
      await ok(home, '--coordinator', coordinator.url, 'join', '--name', ['alice', 'bob'][i]!);
    }
    alice = homes[0]!;
    vaultId = String((await ok(alice, 'vault', 'create', '--name', 'treasury', '--threshold', '2', '--member', 'alice', '--member', 'bob')).vaultId);
    let firstAddress = '';
    for (const home of homes) firstAddress = String((await ok(home, 'vault', 'pin', vaultId, '--yes')).firstAddress);
    // Two coins: each proposal below reserves one.
    await ok(alice, 'deposit', vaultId, '--tx', fakeFundingTx([{ address: firstAddress, amount: 1_000_000n }, { address: firstAddress, amount: 1_000_000n }], 'regtest').hex);
  }, 120_000);
  afterAll(async () => {
    process.env = saved;
    await coordinator.close();
  });

  test('without --fee-rate: the coordinator\'s normal estimate, reported with where it came from', async () => {
    const proposed = await ok(alice, 'propose', vaultId, '--to', DESTINATION, '--amount', '100000');
    expect(proposed).toMatchObject({ created: true, feeRate: '3.5', feeRateFrom: 'estimate', feeEstimate: { name: 'normal', targetBlocks: 6, source: 'offline', fallback: true } });
    // The signed intent the coordinator holds carries that rate.
    const rows: Array<{ intent: string; intent_hash: string }> = await coordinator.dataSource.query('SELECT intent, intent_hash FROM withdrawals');
    expect(JSON.parse(rows.find((r) => r.intent_hash === proposed.intentHash)!.intent)).toMatchObject({ feeRate: '3.5' });
  });

  test('--fee-rate overrides the estimate', async () => {
    const proposed = await ok(alice, 'propose', vaultId, '--to', DESTINATION, '--amount', '100000', '--fee-rate', '2');
    expect(proposed).toMatchObject({ created: true, feeRate: '2', feeRateFrom: 'option' });
    expect(proposed.feeEstimate).toBeUndefined();
  });

  test('an estimate above the pinned cap is refused; the text says where a rate came from', () => {
    expect(normalEstimate(view('12.5'), '500')).toEqual({ feeRate: '12.5', from: 'estimate', estimate: { name: 'normal', targetBlocks: 6, source: 'core', fallback: false } });
    expect(() => normalEstimate(view('600'), '500')).toThrow(expect.objectContaining({ code: 'FEE_RATE_INVALID', message: expect.stringContaining('above the pinned policy\'s cap of 500 sat/vB; give --fee-rate') }));
    expect(feeRateText(normalEstimate(view('1', 'core', true), '500'))).toBe('fee rate 1 sat/vB: the coordinator\'s normal estimate (6 blocks; its Bitcoin Core node had no estimate, so its fallback rate); --fee-rate overrides it');
    expect(feeRateText({ feeRate: '2', from: 'option' })).toBe('fee rate 2 sat/vB (--fee-rate)');
  });
});
