/**
 * The Esplora client against a strict server following Esplora's documented API, over the
 * regtest chain of the recorded Core transcript (the same blocks, vault coins and transactions):
 * every method, the network told by the genesis block, an idempotent broadcast, refusals with
 * the node's reason as electrs relays it, fee estimates and their fallback; then time-outs,
 * 5xx and 429, malformed and truncated answers, wrong shapes, a server on another network.
 */
import { ConclaveError, type ErrorCode } from '../../protocol/errors';
import { connectChainBackend } from '../../server/chain/chain-factory';
import { EsploraClient, type EsploraClientOptions, parseBroadcastRefusal } from '../../server/chain/esplora-client';
import { describeWithVectors, readVectorJson } from '../vectors/locate';
import { type CoreTranscript, TRANSCRIPT_FILE } from './core-rpc-server';
import { type EsploraChainState, EsploraServer, electrsRefusal } from './esplora-server';
import { entryByNote, watchedChain } from './transcript-vault';

async function expectFailure(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<ConclaveError> {
  let caught: unknown = null;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof ConclaveError)) throw new Error(`expected a ConclaveError ${code}, got ${String(caught)}`);
  expect(caught.code).toBe(code);
  if (message) expect(caught.message).toMatch(message);
  return caught;
}

/** The example of Esplora's API.md for GET /fee-estimates. */
const DOCUMENTED_ESTIMATES = { 2: 87.882, 3: 87.882, 4: 87.882, 5: 81.129, 6: 68.285, 10: 1.027, 20: 1.027, 25: 1.027, 144: 1.027, 504: 1.027, 1008: 1.027 };

describeWithVectors('Esplora client against a strict Esplora server', (dir) => {
  const t = readVectorJson<CoreTranscript>(dir, TRANSCRIPT_FILE);
  const entry = (note: string) => entryByNote(t, note);
  const result = <T>(note: string) => entry(note).response.result as T;
  const sendHex = (note: string) => entry(note).request.params[0] as string;
  const testHex = (note: string) => (entry(note).request.params[0] as string[])[0]!;
  const receive = watchedChain(t, 0, 21);
  const change = watchedChain(t, 1, 21);

  /** The chain as the recorded node left it: 104 blocks, vault coin 7959…:0 unspent (561b…:0 was spent by 1123…dd at 103). */
  const chainFromTranscript = (): EsploraChainState => {
    const blocks = [
      result<{ bestblockhash: string }>('chain state at start').bestblockhash,
      ...result<string[]>('coinbase to receive address 0'),
      ...result<string[]>('coinbase to receive address 1'),
      ...result<string[]>('mature the coinbases'),
      ...result<string[]>('mine the replacement'),
      ...result<string[]>('a second confirmation'),
    ];
    const previous = t.entries.filter((e) => e.note === 'full previous transaction of a vault coin').map((e) => e.response.result as string);
    return {
      network: 'regtest',
      blocks,
      txs: new Map([
        ['561b7c14b16817c5d30e613df32cdd32ec065cf090cbd037ceb070384e2fa77c', { hex: previous[0]!, blockHeight: 1 }],
        ['7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2', { hex: previous[1]!, blockHeight: 2 }],
        ['1123608c49e3433be5493661b69086bf4d3c99d1fc9832fcdad71630e55027dd', { hex: result<{ hex: string }>('confirmed, with its block hash').hex, blockHeight: 103 }],
      ]),
      utxos: new Map([[receive.scripts[1]!.address, [{ txid: '7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2', vout: 0, value: 5_000_000_000, blockHeight: 2 }]]]),
      feeEstimates: {},
      refusals: new Map(),
    };
  };

  let server: EsploraServer;
  const client = (overrides: Partial<EsploraClientOptions> = {}) => new EsploraClient({
    url: server.url, network: 'regtest', timeoutMs: 3000, scanTimeoutMs: 10_000, fallbackFeeRate: '2', retry: { retries: 2, backoffMs: 10 }, ...overrides,
  });

  beforeEach(async () => {
    server = await EsploraServer.start(chainFromTranscript());
  });
  afterEach(async () => {
    const problems = [...server.problems];
    await server.close();
    expect(problems).toEqual([]);
  });

  it('builds the recorded chain: 104 blocks ending at the recorded best block', () => {
    expect(server.tipHeight).toBe(104);
    expect(server.state.blocks[104]).toBe(result<{ bestblockhash: string }>('chain state at the end').bestblockhash);
    expect(server.state.blocks[103]).toBe('1337d32017b9deeceed4e40608c4e34471df5a020139de86e188a431bdeb7cc7');
  });

  describe('every method', () => {
    it('network() is told by the genesis block hash: regtest', async () => {
      await expect(client().network()).resolves.toBe('regtest');
      expect(server.requests).toEqual(['GET /block-height/0']);
    });

    it('tip() reads height and hash, and checks the pair against /block-height', async () => {
      await expect(client().tip()).resolves.toEqual({ height: 104, hash: '0011b60fd72aa2ec0b91e6a327419420450367119d6cc53e33694acf5e45624f' });
    });

    it('tip() reads again when a block lands between the height and the hash', async () => {
      let mined = false;
      server.beforeAnswer = (route) => {
        if (route === 'GET /blocks/tip/hash' && !mined) {
          mined = true;
          server.mine();
        }
      };
      const tip = await client().tip();
      expect(tip).toEqual({ height: 105, hash: server.state.blocks[105] });
      expect(server.requests.filter((r) => r === 'GET /blocks/tip/height')).toHaveLength(2);
    });

    it('utxos() asks for each watched address and counts confirmations against the tip read after', async () => {
      const snapshot = await client().utxos([receive, change]);
      expect(snapshot.tip.height).toBe(104);
      // The recorded node's gettxout agrees: 103 confirmations for this coin at the end.
      const gettxout = result<{ confirmations: number; value: number }>('an unspent vault coin');
      expect(snapshot.utxos).toEqual([{
        txid: '7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2', vout: 0, amount: '5000000000',
        scriptPubKey: receive.scripts[1]!.scriptPubKey, address: 'bcrt1qfd7fatk9l5q75yqft27jsn4uehtkl4eyhalgusnccwtcha362ywsm4q7zr',
        confirmations: gettxout.confirmations, blockHeight: 2, blockHash: '59c20fab530b81afc9473ebb988cdb5b40ec20ff262b3a60fcdae36a8d9413d5', coinbase: null,
      }]);
      expect(server.requests.filter((r) => r.endsWith('/utxo'))).toHaveLength(42);
    });

    it('utxos() reports a coin still in the mempool with 0 confirmations, then 1 once mined', async () => {
      const address = change.scripts[0]!.address;
      server.state.utxos.set(address, [{ txid: 'ab'.repeat(32), vout: 3, value: 12_345, blockHeight: null }]);
      const c = client();
      const before = await c.utxos([change]);
      expect(before.utxos).toEqual([expect.objectContaining({ txid: 'ab'.repeat(32), amount: '12345', confirmations: 0, blockHeight: null, blockHash: null })]);
      const block = server.mine();
      const after = await c.utxos([change]);
      expect(after.utxos).toEqual([expect.objectContaining({ confirmations: 1, blockHeight: 105, blockHash: block })]);
    });

    it('transaction() gives the hex (checked against the txid) with confirmations and block', async () => {
      const c = client();
      await expect(c.transaction('7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2')).resolves.toEqual({
        txid: '7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2', hex: server.state.txs.get('7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2')!.hex,
        confirmations: 103, blockHash: '59c20fab530b81afc9473ebb988cdb5b40ec20ff262b3a60fcdae36a8d9413d5',
      });
      await expect(c.transaction('1123608c49e3433be5493661b69086bf4d3c99d1fc9832fcdad71630e55027dd')).resolves.toMatchObject({ confirmations: 2, blockHash: '1337d32017b9deeceed4e40608c4e34471df5a020139de86e188a431bdeb7cc7' });
    });

    it('transaction() is null for a transaction the server never saw (404 on /hex; /status would say unconfirmed)', async () => {
      await expect(client().transaction('0'.repeat(64))).resolves.toBeNull();
    });

    it.each([
      [6, '68.285'], [2, '87.882'], [1, '87.882'], [7, '68.285'], [1008, '1.027'],
    ])('estimateFeeRate(%i) picks the longest documented target not longer than asked: %s sat/vB', async (target, rate) => {
      server.state.feeEstimates = DOCUMENTED_ESTIMATES;
      await expect(client().estimateFeeRate(target)).resolves.toEqual({ satPerVb: rate, source: 'estimate', targetBlocks: target });
    });

    it('estimateFeeRate() rounds a rate up to the next msat/vB, never down', async () => {
      server.state.feeEstimates = { 6: 1.0001 };
      await expect(client().estimateFeeRate(6)).resolves.toMatchObject({ satPerVb: '1.001' });
    });

    it('estimateFeeRate() falls back to the configured rate when the server has no estimates', async () => {
      await expect(client().estimateFeeRate(6)).resolves.toEqual({ satPerVb: '2', source: 'fallback', targetBlocks: 6, note: 'the Esplora server has no fee estimates' });
    });

    it('testAccept() says plainly that Esplora cannot check, without asking', async () => {
      await expect(client().testAccept(sendHex('broadcast the valid spend'))).resolves.toEqual({
        status: 'unchecked', txid: '5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86', note: expect.stringMatching(/no mempool-acceptance check/),
      });
      expect(server.requests).toEqual([]);
      await expectFailure(client().testAccept('zz'), 'TX_MALFORMED');
    });

    it('broadcast() posts the hex as text and returns the txid; again for the same transaction', async () => {
      const c = client();
      const hex = sendHex('broadcast the valid spend');
      await expect(c.broadcast(hex)).resolves.toBe('5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86');
      await expect(c.broadcast(hex)).resolves.toBe('5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86');
      await expect(c.transaction('5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86')).resolves.toMatchObject({ confirmations: 0, blockHash: null });
    });

    it('broadcast() of a transaction confirmed already (-27) is success', async () => {
      await expect(client().broadcast(sendHex('replacement paying 3000 sat: accepted (RBF)'))).resolves.toBe('1123608c49e3433be5493661b69086bf4d3c99d1fc9832fcdad71630e55027dd');
    });

    it.each([
      ['the JSON form', electrsRefusal(-26, 'min relay fee not met, 10 < 15')],
      ['the plain form', 'sendrawtransaction RPC error -26: min relay fee not met, 10 < 15'],
    ])('broadcast() surfaces a refusal in %s as TX_REJECTED with the node\'s reason', async (_form, refusal) => {
      const hex = testHex('a 10 sat fee (0.07 sat/vB): below the minimum relay fee');
      server.state.refusals.set('5113b3e4f9a31d7d307d328c3e37d7b4c14b2f3d04d8d9356a3fec102424e7f2', refusal);
      const error = await expectFailure(client().broadcast(hex), 'TX_REJECTED', /min relay fee not met, 10 < 15/);
      expect(error.details).toEqual({ reason: 'min relay fee not met, 10 < 15', rpcCode: -26 });
    });

    it('broadcast() of a transaction whose coins are spent is TX_REJECTED bad-txns-inputs-missingorspent', async () => {
      server.state.refusals.set('8bc5061c7611aa164ae8194271878d5cfa64323274dae50af9ad94775893d9a7', electrsRefusal(-25, 'bad-txns-inputs-missingorspent'));
      await expectFailure(client().broadcast(sendHex('spending a coin that is already spent')), 'TX_REJECTED', /bad-txns-inputs-missingorspent/);
    });

    it('parseBroadcastRefusal reads both electrs formats and leaves other text whole', () => {
      expect(parseBroadcastRefusal(electrsRefusal(-26, 'insufficient fee'))).toEqual({ code: -26, message: 'insufficient fee' });
      expect(parseBroadcastRefusal('sendrawtransaction RPC error -25: bad-txns-inputs-missingorspent')).toEqual({ code: -25, message: 'bad-txns-inputs-missingorspent' });
      expect(parseBroadcastRefusal('Request body too large')).toEqual({ code: null, message: 'Request body too large' });
    });
  });

  describe('a server on another network', () => {
    it('is refused before anything else is asked or sent', async () => {
      const c = client({ network: 'signet' });
      await expectFailure(c.tip(), 'CHAIN_WRONG_NETWORK', /is on regtest; the coordinator runs on signet/);
      await expectFailure(c.broadcast(sendHex('broadcast the valid spend')), 'CHAIN_WRONG_NETWORK');
      expect(new Set(server.requests)).toEqual(new Set(['GET /block-height/0']));
    });

    it('a genesis block of no known network is refused', async () => {
      server.fault('GET /block-height/*', { kind: 'raw', status: 200, body: '00'.repeat(31) + '01' });
      await expectFailure(client().network(), 'CHAIN_WRONG_NETWORK', /no network Conclave knows/);
    });

    it('"Address on invalid network" is CHAIN_WRONG_NETWORK', async () => {
      server.fault('GET /address/*/utxo', { kind: 'raw', status: 400, body: 'Address on invalid network' });
      await expectFailure(client().utxos([receive]), 'CHAIN_WRONG_NETWORK', /Address on invalid network/);
    });

    it('stops start-up through connectChainBackend; the right network connects', async () => {
      const chain = { backend: 'esplora' as const, url: server.url, timeoutMs: 2000, scanTimeoutMs: 5000, fallbackFeeRate: '1' };
      await expectFailure(connectChainBackend({ network: 'mainnet', chain }), 'CHAIN_WRONG_NETWORK');
      await expect(connectChainBackend({ network: 'regtest', chain })).resolves.toBeInstanceOf(EsploraClient);
    });
  });

  describe('failures of the transport and of the answers', () => {
    it('a server that never answers: CHAIN_UNAVAILABLE within the time-out, and the connection is released', async () => {
      server.fault('GET /block-height/*', { kind: 'hang' });
      const started = Date.now();
      await expectFailure(client({ timeoutMs: 300 }).network(), 'CHAIN_UNAVAILABLE', /no answer within the time-out/);
      expect(Date.now() - started).toBeLessThan(1000);
      await server.waitForNoConnections();
    });

    it('5xx and 429 are retried a bounded number of times', async () => {
      server.fault('GET /blocks/tip/height', { kind: 'raw', status: 502, body: '<html>Bad Gateway</html>' }, 1);
      server.fault('GET /blocks/tip/hash', { kind: 'raw', status: 429, body: 'Too Many Requests' }, 1);
      await expect(client().tip()).resolves.toMatchObject({ height: 104 });
      server.fault('GET /fee-estimates', { kind: 'raw', status: 503, body: 'Service Unavailable' }, 10);
      await expectFailure(client().estimateFeeRate(6), 'CHAIN_UNAVAILABLE', /HTTP 503/);
      expect(server.requests.filter((r) => r === 'GET /fee-estimates')).toHaveLength(3);
    });

    it('one failing address fails utxos() with that failure, and the other requests are abandoned', async () => {
      server.fault('GET /address/*/utxo', { kind: 'raw', status: 400, body: 'Too many history entries' }, 1);
      await expectFailure(client().utxos([receive, change]), 'CHAIN_REQUEST_REFUSED', /Too many history entries/);
      expect(server.requests.filter((r) => r.endsWith('/utxo')).length).toBeLessThan(42);
    });

    it('malformed JSON is CHAIN_RESPONSE_INVALID', async () => {
      server.fault('GET /fee-estimates', { kind: 'raw', status: 200, body: '{"2": 87.8', contentType: 'application/json' });
      await expectFailure(client().estimateFeeRate(6), 'CHAIN_RESPONSE_INVALID', /not JSON/);
    });

    it('a truncated answer is CHAIN_UNAVAILABLE', async () => {
      server.fault('GET /address/*/utxo', { kind: 'truncate', body: '[{"txid":"' + 'ab'.repeat(32) + '","vout":0}]', sendBytes: 20 }, 100);
      await expectFailure(client().utxos([receive]), 'CHAIN_UNAVAILABLE', /before the whole answer arrived/);
    });

    it('a wrong base URL is CHAIN_REQUEST_REFUSED with a hint', async () => {
      await expectFailure(client({ url: `${server.url}/wrong` }).network(), 'CHAIN_REQUEST_REFUSED', /CONCLAVE_ESPLORA_URL/);
      expect(server.problems).toEqual(['GET /wrong/block-height/0: no such endpoint']);
      server.problems.length = 0;
    });

    const utxoWith = (u: Record<string, unknown>) => JSON.stringify([{ txid: 'ab'.repeat(32), vout: 0, status: { confirmed: false }, value: 1000, ...u }]);
    it.each<[string, string, string, RegExp]>([
      ['a negative value', 'GET /address/*/utxo', utxoWith({ value: -1 }), /value/],
      ['a fractional value', 'GET /address/*/utxo', utxoWith({ value: 1.5 }), /value/],
      ['an uppercase txid', 'GET /address/*/utxo', utxoWith({ txid: 'AB'.repeat(32) }), /txid/],
      ['confirmed without a block', 'GET /address/*/utxo', utxoWith({ status: { confirmed: true } }), /confirmed without block_height/],
      ['not a list', 'GET /address/*/utxo', '{"txid": "x"}', /expected array/],
      ['fee rates as strings', 'GET /fee-estimates', '{"6": "68.285"}', /fee-estimates/],
      ['a zero fee rate', 'GET /fee-estimates', '{"6": 0}', /fee-estimates/],
      ['a target that is no block count', 'GET /fee-estimates', '{"soon": 5}', /fee-estimates\.soon: Invalid key/],
      ['a tip height that is no number', 'GET /blocks/tip/height', 'tall', /not a block height/],
      ['a tip hash that is no hash', 'GET /blocks/tip/hash', 'not-a-hash', /64 lowercase hex/],
    ])('%s is CHAIN_RESPONSE_INVALID', async (_name, route, body, message) => {
      server.fault(route as Parameters<EsploraServer['fault']>[0], { kind: 'raw', status: 200, body, contentType: route.includes('tip') ? 'text/plain' : 'application/json' });
      const c = client();
      const call = route.includes('utxo') ? c.utxos([receive]) : route.includes('fee') ? c.estimateFeeRate(6) : c.tip();
      await expectFailure(call, 'CHAIN_RESPONSE_INVALID', message);
    });

    it('the hex of another transaction is refused', async () => {
      server.fault('GET /tx/*/hex', { kind: 'raw', status: 200, body: server.state.txs.get('561b7c14b16817c5d30e613df32cdd32ec065cf090cbd037ceb070384e2fa77c')!.hex });
      await expectFailure(client().transaction('7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2'), 'CHAIN_RESPONSE_INVALID', /is 561b7c14/);
    });

    it('a broadcast answered with another txid is refused', async () => {
      server.fault('POST /tx', { kind: 'raw', status: 200, body: '0'.repeat(64) });
      await expectFailure(client().broadcast(sendHex('broadcast the valid spend')), 'CHAIN_RESPONSE_INVALID', /reports txid 0{64}/);
    });
  });
});
