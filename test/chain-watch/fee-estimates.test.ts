/**
 * GET /api/v1/fee-estimates with a real coordinator against the strict Core server (scripted
 * estimatesmartfee answers beside the recorded "Insufficient data" one) and the Esplora server,
 * and offline: the rates for 2, 6 and 144 blocks, fallbacks flagged, the minimum fee rate as a
 * floor, a minute of caching, and a backend failure answered 503 CHAIN_UNAVAILABLE, never a 500.
 */
import { FEE_TARGETS, type FeeEstimatesView, feeEstimatesViewSchema, MESSAGE_TYPES } from '../../protocol/api';
import { Clock } from '../../server/common/clock';
import { CoreRpcServer, type CoreTranscript, TRANSCRIPT_FILE } from '../chain/core-rpc-server';
import { coreNode, type NodeAnswer } from '../chain/core-node';
import { SimChain } from '../chain/sim-chain';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { threeKeyholders } from '../support/vault-scenario';
import { describeWithVectors, readVectorJson } from '../vectors/locate';
import { startChainServer } from './chain-harness';

/** A member joins and reads with their session, as the web app and signer-cli do. */
async function signedIn(coord: RunningCoordinator): Promise<void> {
  const k = threeKeyholders()[0]!;
  const joined = await coord.call('POST', '/api/v1/members', k.sign(MESSAGE_TYPES.memberJoin, { name: k.name, network: 'regtest', accountKey: k.accountKey }));
  expect(joined.status).toBe(201);
  coord.actAs(k);
}

async function estimates(coord: RunningCoordinator): Promise<FeeEstimatesView> {
  const res = await coord.call<FeeEstimatesView>('GET', '/api/v1/fee-estimates');
  expect(res.status).toBe(200);
  return feeEstimatesViewSchema.parse(res.body);
}

/** Moves the coordinator's clock on by `ms` (the Clock instance every service shares). */
function advance(coord: RunningCoordinator, ms: number): void {
  const clock = coord.app.get(Clock);
  const before = clock.now.bind(clock);
  clock.now = () => new Date(before().getTime() + ms);
}

const rates = (view: FeeEstimatesView) => view.rates.map((r) => [r.name, r.targetBlocks, r.feeRate, r.fallback]);

describeWithVectors('GET /api/v1/fee-estimates', (dir) => {
  let coord: RunningCoordinator | undefined;
  let closeServer: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await coord?.close();
    await closeServer?.();
    coord = undefined;
    closeServer = undefined;
  });

  it('Core: estimatesmartfee per target, the young chain\'s "Insufficient data" as the flagged fallback, the minimum as a floor; cached for a minute', async () => {
    const transcript = readVectorJson<CoreTranscript>(dir, TRANSCRIPT_FILE);
    const chain = coreNode(new SimChain('regtest'), transcript);
    // 2 blocks: 12.345 sat/vB; 144 blocks: 0.5 sat/vB (under the minimum of 1); 6 blocks: the recorded answer of a fresh chain.
    const smartFee: Record<number, NodeAnswer> = { 2: { status: 200, result: { feerate: 0.00012345, blocks: 2 } }, 144: { status: 200, result: { feerate: 0.000005, blocks: 144 } } };
    const core = await CoreRpcServer.start(transcript, { node: (method, params) => (method === 'estimatesmartfee' ? smartFee[params[0] as number] : undefined) ?? chain(method, params) });
    closeServer = () => core.close();
    coord = await startInProcessCoordinator({
      CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_URL: core.url, CONCLAVE_CORE_USER: core.user, CONCLAVE_CORE_PASSWORD: core.password,
      CONCLAVE_CHAIN_TIMEOUT_MS: '3000', CONCLAVE_FALLBACK_FEE_RATE: '1.5',
    });
    expect((await coord.call('GET', '/api/v1/fee-estimates', undefined, { bearer: null })).status).toBe(401);
    await signedIn(coord);

    const first = await estimates(coord);
    expect(first.source).toBe('core');
    expect(rates(first)).toEqual([['priority', 2, '12.345', false], ['normal', 6, '1.5', true], ['economy', 144, '1', false]]);
    const asked = () => core.methods.filter((m) => m === 'estimatesmartfee').length;
    expect(asked()).toBe(FEE_TARGETS.length);

    // Within the minute: from memory, the node is not asked again.
    expect(await estimates(coord)).toEqual(first);
    expect(asked()).toBe(3);
    advance(coord, 61_000);
    smartFee[2] = { status: 200, result: { feerate: 0.0002, blocks: 2 } };
    const later = await estimates(coord);
    expect(asked()).toBe(6);
    expect(later.rates[0]!.feeRate).toBe('20');
    expect(Date.parse(later.fetchedAt) - Date.parse(first.fetchedAt)).toBeGreaterThanOrEqual(61_000);

    // An answer Core should not give: 503 CHAIN_UNAVAILABLE naming the cause, not cached, never a 500.
    advance(coord, 61_000);
    core.fault('estimatesmartfee', { kind: 'json', body: (id) => ({ result: { feerate: -1, blocks: 2 }, error: null, id }) }, 3);
    const failed = await coord.call<{ error: { code: string; message: string; details?: Record<string, unknown> } }>('GET', '/api/v1/fee-estimates');
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatchObject({ code: 'CHAIN_UNAVAILABLE', message: expect.stringContaining('enter a fee rate yourself'), details: { cause: 'CHAIN_RESPONSE_INVALID' } });
    expect(rates(await estimates(coord))).toEqual(rates(later));
    expect(core.problems).toEqual([]);
  });

  it('Esplora: /fee-estimates by nearest target, an empty map flagged as fallback, a failing server 503', async () => {
    const server = await startChainServer('esplora', dir);
    closeServer = () => server.close();
    coord = await startInProcessCoordinator({ ...server.env, CONCLAVE_CHAIN_TIMEOUT_MS: '3000', CONCLAVE_FALLBACK_FEE_RATE: '2', CONCLAVE_MIN_FEE_RATE: '1.25' });
    await signedIn(coord);
    // The simulated server estimates {1: 2.5, 6: 1.2}: 2 blocks take the 1-block rate, 144 the 6-block one; 1.2 is raised to the minimum.
    const view = await estimates(coord);
    expect(view.source).toBe('esplora');
    expect(rates(view)).toEqual([['priority', 2, '2.5', false], ['normal', 6, '1.25', false], ['economy', 144, '1.25', false]]);

    server.esplora!.state.feeEstimates = {};
    advance(coord, 61_000);
    expect(rates(await estimates(coord))).toEqual([['priority', 2, '2', true], ['normal', 6, '2', true], ['economy', 144, '2', true]]);

    advance(coord, 61_000);
    server.esplora!.fault('GET /fee-estimates', { kind: 'raw', status: 503, body: 'Service Unavailable' }, 100);
    const failed = await coord.call<{ error: { code: string; details?: Record<string, unknown> } }>('GET', '/api/v1/fee-estimates');
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatchObject({ code: 'CHAIN_UNAVAILABLE', details: { cause: 'CHAIN_UNAVAILABLE' } });
    expect(server.problems()).toEqual([]);
  });

  it('offline: the configured fallback rate for every target, flagged, with source "offline"', async () => {
    coord = await startInProcessCoordinator({ CONCLAVE_FALLBACK_FEE_RATE: '3.5' });
    await signedIn(coord);
    const view = await estimates(coord);
    expect(view.source).toBe('offline');
    expect(rates(view)).toEqual([['priority', 2, '3.5', true], ['normal', 6, '3.5', true], ['economy', 144, '3.5', true]]);
  });
});
