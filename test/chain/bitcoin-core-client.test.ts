/**
 * The Bitcoin Core client against a strict server that answers as the recorded regtest node did
 * (../shared/vectors/bitcoin-core-regtest-rpc-transcript.json): every method the client uses,
 * the node's refusals surfaced with their reasons, an idempotent broadcast, the fallback fee
 * rate on a young chain, a reorg seen through getrawtransaction; then what a real deployment
 * meets: time-outs, 5xx, a node warming up, malformed and truncated answers, wrong shapes,
 * refused credentials, a rotated cookie, a node on another network.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConclaveError, type ErrorCode } from '../../protocol/errors';
import { BitcoinCoreClient, type BitcoinCoreClientOptions } from '../../server/chain/bitcoin-core-client';
import { connectChainBackend } from '../../server/chain/chain-factory';
import { describeWithVectors, readVectorJson } from '../vectors/locate';
import { type CoreTranscript, CoreRpcServer, TRANSCRIPT_FILE } from './core-rpc-server';
import { entryByNote, watchedChain } from './transcript-vault';

async function failure(promise: Promise<unknown>): Promise<ConclaveError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConclaveError) return error;
    throw error;
  }
  throw new Error('expected a ConclaveError, but the call succeeded');
}

async function expectFailure(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<ConclaveError> {
  const error = await failure(promise);
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}

describeWithVectors('Bitcoin Core client against the recorded regtest node', (dir) => {
  const t = readVectorJson<CoreTranscript>(dir, TRANSCRIPT_FILE);
  const entry = (note: string, nth = 0) => entryByNote(t, note, nth);
  const txHex = (note: string, nth = 0) => (entry(note, nth).request.params[0] as string[] | string);
  const sendHex = (note: string) => txHex(note) as string;
  const testHex = (note: string) => (txHex(note) as string[])[0]!;
  const start = entry('chain state at start').response.result as Record<string, unknown>;
  const end = entry('chain state at the end').response.result as Record<string, unknown>;

  let server: CoreRpcServer;
  let tmp: string;
  const client = (overrides: Partial<BitcoinCoreClientOptions> = {}) => new BitcoinCoreClient({
    url: server.url, auth: { user: server.user, password: server.password }, network: 'regtest',
    timeoutMs: 3000, scanTimeoutMs: 5000, fallbackFeeRate: '1.5', retry: { retries: 2, backoffMs: 10 }, ...overrides,
  });

  beforeEach(async () => {
    server = await CoreRpcServer.start(t);
    tmp = mkdtempSync(join(tmpdir(), 'conclave-core-'));
  });
  afterEach(async () => {
    const problems = [...server.problems];
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  describe('every method, answered as the real node answered', () => {
    it('network() reads getblockchaininfo: regtest', async () => {
      await expect(client().network()).resolves.toBe('regtest');
      expect(server.served).toEqual([entry('chain state at start').index]);
    });

    it('tip() is height and hash from one getblockchaininfo (checked for the network first)', async () => {
      server.seek(entry('chain state at start').index);
      await expect(client().tip()).resolves.toEqual({ height: end.blocks, hash: end.bestblockhash });
      expect(start.blocks).toBe(0);
    });

    it('utxos() scans the ranged receive descriptor with scantxoutset and maps each coin to its watched address', async () => {
      const receive = watchedChain(t, 0, 21);
      const snapshot = await client().utxos([receive]);
      const scan = entry('UTXOs of the vault by descriptor');
      expect(server.served).toContain(scan.index);
      expect(scan.request.params).toEqual(['start', [{ desc: t.receiveDescriptor, range: 20 }]]);
      expect(snapshot.tip).toEqual({ height: 102, hash: '78a5995b44d32232fff4b74e88db933021891f4d5a625d3ab5266dee358c7a3d' });
      expect(snapshot.utxos).toEqual([
        {
          txid: '561b7c14b16817c5d30e613df32cdd32ec065cf090cbd037ceb070384e2fa77c', vout: 0, amount: '5000000000',
          scriptPubKey: receive.scripts[0]!.scriptPubKey, address: 'bcrt1qr3az57pxl8z7q6d9q7v0fmeaphuwe3z0ghvkjr457ch4vqwmtkask29wwr',
          confirmations: 102, blockHeight: 1, blockHash: '760c0529d096b499877404e44e8711febdba9d75c5e480d9373ee33caf38bf2a', coinbase: true,
        },
        {
          txid: '7959cd99dcbcedf5ff3c0ab1d72a335aeb4e8c70330ad27007726c74f9253ac2', vout: 0, amount: '5000000000',
          scriptPubKey: receive.scripts[1]!.scriptPubKey, address: 'bcrt1qfd7fatk9l5q75yqft27jsn4uehtkl4eyhalgusnccwtcha362ywsm4q7zr',
          confirmations: 101, blockHeight: 2, blockHash: '59c20fab530b81afc9473ebb988cdb5b40ec20ff262b3a60fcdae36a8d9413d5', coinbase: true,
        },
      ]);
    });

    it('utxos() refuses a coin the node reports for a script the caller does not watch', async () => {
      const receive = watchedChain(t, 0, 21);
      const change0 = watchedChain(t, 1, 1).scripts[0]!;
      const wrong = { descriptor: receive.descriptor, scripts: receive.scripts.map((s, i) => (i === 1 ? change0 : s)) };
      await expectFailure(client().utxos([wrong]), 'CHAIN_RESPONSE_INVALID', /not watched/);
    });

    it('utxos() refuses, before asking, an address that does not pay its scriptPubKey', async () => {
      const receive = watchedChain(t, 0, 3);
      const swapped = { descriptor: receive.descriptor, scripts: [{ ...receive.scripts[0]!, address: receive.scripts[1]!.address }, ...receive.scripts.slice(1)] };
      await expectFailure(client().utxos([swapped]), 'VALIDATION_FAILED', /does not pay scriptPubKey/);
      expect(server.methods).toEqual([]);
    });

    it('transaction() with the block hash: confirmed, with its block', async () => {
      const txid = '1123608c49e3433be5493661b69086bf4d3c99d1fc9832fcdad71630e55027dd';
      const block = '1337d32017b9deeceed4e40608c4e34471df5a020139de86e188a431bdeb7cc7';
      const tx = await client().transaction(txid, { blockHash: block });
      expect(tx).toMatchObject({ txid, confirmations: 1, blockHash: block });
      expect(tx!.hex).toBe((entry('confirmed, with its block hash').response.result as { hex: string }).hex);
    });

    it('transaction() follows the recorded reorg: two confirmations, then back in the mempool with none', async () => {
      const c = client();
      const txid = '1123608c49e3433be5493661b69086bf4d3c99d1fc9832fcdad71630e55027dd';
      await expect(c.transaction(txid)).resolves.toMatchObject({ confirmations: 2, blockHash: '1337d32017b9deeceed4e40608c4e34471df5a020139de86e188a431bdeb7cc7' });
      await expect(c.transaction(txid)).resolves.toMatchObject({ confirmations: 0, blockHash: null });
      expect(server.served.slice(-2)).toEqual([entry('two confirmations').index, entry('after the reorg, back in the mempool with no confirmations').index]);
    });

    it('transaction() is null for a transaction the node does not know (-5), and for one replaced in the mempool', async () => {
      const c = client();
      await expect(c.transaction('0'.repeat(64))).resolves.toBeNull();
      await expect(c.transaction('5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86')).resolves.toBeNull();
    });

    it('estimateFeeRate() on the young chain: {"errors":[...]} with HTTP 200 gives the configured fallback', async () => {
      await expect(client().estimateFeeRate(6)).resolves.toEqual({
        satPerVb: '1.5', source: 'fallback', targetBlocks: 6, note: 'Insufficient data or no feerate found',
      });
    });

    it('estimateFeeRate() converts a real estimate (BTC/kvB) exactly to sat/vB', async () => {
      server.fault('estimatesmartfee', { kind: 'json', body: (id) => ({ result: { feerate: 0.00012345, blocks: 6 }, error: null, id }) });
      await expect(client().estimateFeeRate(6)).resolves.toEqual({ satPerVb: '12.345', source: 'estimate', targetBlocks: 6 });
    });

    it.each([
      ['a valid 2-of-3 spend, RBF-signalling, 1000 sat fee', { status: 'accepted', vsize: 146, feeSats: '1000' }],
      ['a 50 sat fee (0.34 sat/vB): above the minimum relay fee of this version', { status: 'accepted', vsize: 146, feeSats: '50' }],
      ['a 10 sat fee (0.07 sat/vB): below the minimum relay fee', { status: 'rejected', reason: 'min relay fee not met', details: 'min relay fee not met, 10 < 15' }],
      ['outputs worth more than inputs', { status: 'rejected', reason: 'bad-txns-in-belowout' }],
      ['the same with one signature bit flipped', { status: 'rejected', reason: 'mempool-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)' }],
      ['only one of the two signatures', { status: 'rejected', reason: 'mempool-script-verify-flag-failed (Operation not valid with the current stack size)' }],
    ])('testAccept(): %s', async (note, expected) => {
      const recorded = (entry(note).response.result as Array<{ txid: string }>)[0]!;
      await expect(client().testAccept(testHex(note))).resolves.toMatchObject({ ...expected, txid: recorded.txid });
    });

    it('every testmempoolaccept of the transcript is answered from the recording', async () => {
      const c = client();
      for (const e of t.entries.filter((x) => x.request.method === 'testmempoolaccept')) {
        const result = await c.testAccept((e.request.params[0] as string[])[0]!);
        expect(result.status).toBe((e.response.result as Array<{ allowed: boolean }>)[0]!.allowed ? 'accepted' : 'rejected');
      }
    });

    it('broadcast() returns the txid, and again for the same transaction (already in the mempool is success)', async () => {
      const c = client();
      const hex = sendHex('broadcast the valid spend');
      expect(sendHex('broadcast it again')).toBe(hex);
      await expect(c.broadcast(hex)).resolves.toBe('5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86');
      await expect(c.broadcast(hex)).resolves.toBe('5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86');
      expect(server.served.slice(-2)).toEqual([entry('broadcast the valid spend').index, entry('broadcast it again').index]);
    });

    it('broadcast() of RBF replacements paying more returns their txids', async () => {
      const c = client();
      await expect(c.broadcast(sendHex('replacement paying 200 sat more: accepted (the incremental relay fee is low)'))).resolves.toBe('875bb66b364d11d6917594fdb2ac8cc6799cb6b429bf17eee228aaa0c5fe2708');
      await expect(c.broadcast(sendHex('replacement paying 3000 sat: accepted (RBF)'))).resolves.toBe('1123608c49e3433be5493661b69086bf4d3c99d1fc9832fcdad71630e55027dd');
    });

    it('broadcast() surfaces the node\'s refusals as TX_REJECTED with its reason and code', async () => {
      const c = client();
      const cheap = await expectFailure(c.broadcast(sendHex('replacement paying less (900 sat): refused')), 'TX_REJECTED', /insufficient fee, rejecting replacement/);
      expect(cheap.details).toMatchObject({ rpcCode: -26, reason: expect.stringMatching(/^insufficient fee, rejecting replacement 93eed05e/) });
      const spent = await expectFailure(c.broadcast(sendHex('spending a coin that is already spent')), 'TX_REJECTED', /bad-txns-inputs-missingorspent/);
      expect(spent.details).toEqual({ reason: 'bad-txns-inputs-missingorspent', rpcCode: -25 });
    });

    it('broadcast() of garbage is TX_MALFORMED without asking the node; the node\'s own -22 maps there too', async () => {
      await expectFailure(client().broadcast('00'), 'TX_MALFORMED');
      expect(server.methods).toEqual([]);
      server.fault('sendrawtransaction', { kind: 'entry', index: entry('garbage hex').index });
      await expectFailure(client().broadcast(sendHex('broadcast the valid spend')), 'TX_MALFORMED', /TX decode failed/);
    });

    it('broadcast() of a transaction already confirmed (-27) is success with its txid', async () => {
      server.fault('sendrawtransaction', { kind: 'json', status: 500, body: (id) => ({ result: null, error: { code: -27, message: 'Transaction outputs already in utxo set' }, id }) });
      await expect(client().broadcast(sendHex('broadcast the valid spend'))).resolves.toBe('5320a4d3165644eb97fcdfb8ade298d7beb4a5b590afe55d5422142c07f49a86');
    });

    it('a method the node lacks (HTTP 404, -32601, as recorded) is CHAIN_REQUEST_REFUSED', async () => {
      server.fault('getblockchaininfo', { kind: 'entry', index: entry('an unknown method').index });
      const error = await expectFailure(client().network(), 'CHAIN_REQUEST_REFUSED', /does not offer this method/);
      expect(error.details).toMatchObject({ rpcCode: -32601 });
    });
  });

  describe('a node on another network', () => {
    it('is refused before anything else is asked or sent', async () => {
      const c = client({ network: 'mainnet' });
      await expectFailure(c.tip(), 'CHAIN_WRONG_NETWORK', /is on regtest; the coordinator runs on mainnet/);
      await expectFailure(c.broadcast(sendHex('broadcast the valid spend')), 'CHAIN_WRONG_NETWORK');
      await expectFailure(c.utxos([watchedChain(t, 0, 21)]), 'ADDRESS_WRONG_NETWORK'); // regtest addresses, refused for mainnet before asking
      expect(new Set(server.methods)).toEqual(new Set(['getblockchaininfo']));
    });

    it('stops start-up through connectChainBackend; the right network connects', async () => {
      const chain = { backend: 'core' as const, url: server.url, auth: { user: server.user, password: server.password }, timeoutMs: 2000, scanTimeoutMs: 5000, fallbackFeeRate: '1' };
      await expectFailure(connectChainBackend({ network: 'signet', chain }), 'CHAIN_WRONG_NETWORK', /on regtest; the coordinator runs on signet/);
      await expect(connectChainBackend({ network: 'regtest', chain })).resolves.toBeInstanceOf(BitcoinCoreClient);
    });
  });

  describe('credentials', () => {
    it('refused credentials are CHAIN_UNAVAILABLE naming the variables, not retried', async () => {
      await expectFailure(client({ auth: { user: server.user, password: 'wrong' } }).network(), 'CHAIN_UNAVAILABLE', /CONCLAVE_CORE_USER/);
      expect(server.problems).toEqual(['wrong credentials']);
      server.problems.length = 0;
    });

    it('reads the cookie file, and reads it again once when the node restarted with a new cookie', async () => {
      const cookie = join(tmp, '.cookie');
      writeFileSync(cookie, `${server.user}:${server.password}`);
      const c = client({ auth: { cookieFile: cookie } });
      await expect(c.network()).resolves.toBe('regtest');
      server.password = 'new-cookie-after-restart';
      writeFileSync(cookie, `${server.user}:${server.password}\n`);
      await expect(c.tip()).resolves.toMatchObject({ height: 104 });
      expect(server.problems).toEqual(['wrong credentials']);
      server.problems.length = 0;
    });

    it('a missing cookie file is CHAIN_UNAVAILABLE naming CONCLAVE_CORE_COOKIE_FILE', async () => {
      await expectFailure(client({ auth: { cookieFile: join(tmp, 'absent') } }).network(), 'CHAIN_UNAVAILABLE', /CONCLAVE_CORE_COOKIE_FILE.*ENOENT/);
    });

    it('keeps the password out of inspection and JSON', () => {
      const c = client({ auth: { user: 'rpc', password: 'hunter2-secret' } });
      expect(`${inspect(c, { depth: 5 })} ${JSON.stringify(c)}`).not.toMatch(/hunter2-secret|aHVudGVyMi1zZWNyZXQ/);
    });
  });

  describe('failures of the transport and of the answers', () => {
    it('a node that never answers: CHAIN_UNAVAILABLE within the time-out, and the connection is released', async () => {
      server.fault('getblockchaininfo', { kind: 'hang' });
      const started = Date.now();
      await expectFailure(client({ timeoutMs: 300 }).network(), 'CHAIN_UNAVAILABLE', /no answer within the time-out/);
      expect(Date.now() - started).toBeLessThan(1000);
      await server.waitForNoConnections();
    });

    it('nothing listening: CHAIN_UNAVAILABLE naming the address', async () => {
      const closed = await CoreRpcServer.start(t);
      const url = closed.url;
      await closed.close();
      await expectFailure(client({ url, retry: { retries: 1, backoffMs: 5 } }).network(), 'CHAIN_UNAVAILABLE', /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });

    it('5xx is retried a bounded number of times, then CHAIN_UNAVAILABLE', async () => {
      server.fault('getblockchaininfo', { kind: 'raw', status: 503, body: 'Work queue depth exceeded' }, 1);
      await expect(client().network()).resolves.toBe('regtest');
      expect(server.methods).toEqual(['getblockchaininfo', 'getblockchaininfo']);
      server.fault('getblockchaininfo', { kind: 'raw', status: 503, body: 'Work queue depth exceeded' }, 10);
      await expectFailure(client().network(), 'CHAIN_UNAVAILABLE', /HTTP 503 Work queue depth exceeded/);
      expect(server.methods).toHaveLength(2 + 3);
    });

    it('a node warming up (-28) is waited for', async () => {
      server.fault('getblockchaininfo', { kind: 'json', status: 500, body: (id) => ({ result: null, error: { code: -28, message: 'Loading block index…' }, id }) }, 2);
      await expect(client().network()).resolves.toBe('regtest');
    });

    it('malformed JSON is CHAIN_RESPONSE_INVALID, not retried', async () => {
      server.fault('getblockchaininfo', { kind: 'raw', status: 200, body: '{"result": {"chain": "regt', contentType: 'application/json' });
      await expectFailure(client().network(), 'CHAIN_RESPONSE_INVALID', /not JSON/);
      expect(server.methods).toHaveLength(1);
    });

    it('a truncated answer (connection closed mid-body) is CHAIN_UNAVAILABLE', async () => {
      const body = JSON.stringify({ result: start, error: null, id: 1 });
      server.fault('getblockchaininfo', { kind: 'truncate', body, sendBytes: 40 }, 3);
      await expectFailure(client().network(), 'CHAIN_UNAVAILABLE', /before the whole answer arrived/);
    });

    it('an answer over the size limit is refused', async () => {
      server.fault('getblockchaininfo', { kind: 'raw', status: 200, body: `{"result":"${'a'.repeat(40 * 1024 * 1024)}","error":null,"id":1}`, contentType: 'application/json' });
      await expectFailure(client().network(), 'CHAIN_RESPONSE_INVALID', /limit/);
    });

    const scanFault = (change: (u: Record<string, unknown>) => Record<string, unknown>) => (id: unknown) => {
      const scan = entry('UTXOs of the vault by descriptor').response.result as { unspents: Array<Record<string, unknown>> };
      return { result: { ...scan, unspents: scan.unspents.map(change) }, error: null, id };
    };

    it.each<[string, string, (id: unknown) => unknown, RegExp]>([
      ['a height that is a string', 'getblockchaininfo', (id) => ({ result: { ...start, blocks: '104' }, error: null, id }), /blocks/],
      ['a block hash that is not hex', 'getblockchaininfo', (id) => ({ result: { ...start, bestblockhash: 'XYZ' }, error: null, id }), /bestblockhash/],
      ['the answer to another request id', 'getblockchaininfo', () => ({ result: start, error: null, id: 'someone-else' }), /request id/],
      ['an error object of the wrong shape', 'getblockchaininfo', (id) => ({ result: null, error: { code: 'bad' }, id }), /error/],
      ['neither result nor error', 'scantxoutset', (id) => ({ result: null, error: null, id }), /scantxoutset/],
      ['an amount finer than a satoshi', 'scantxoutset', scanFault((u) => ({ ...u, amount: 50.000000001 })), /whole number of satoshis/],
      ['confirmations that disagree with the heights', 'scantxoutset', scanFault((u) => ({ ...u, confirmations: 7 })), /confirmations at height/],
      ['a coin listed twice', 'scantxoutset', (id) => {
        const scan = entry('UTXOs of the vault by descriptor').response.result as { unspents: unknown[] };
        return { result: { ...scan, unspents: [scan.unspents[0], scan.unspents[0]] }, error: null, id };
      }, /listed twice/],
    ])('%s is CHAIN_RESPONSE_INVALID', async (_name, method, body, message) => {
      server.fault(method, { kind: 'json', body });
      const c = client();
      const call = method === 'scantxoutset' ? c.utxos([watchedChain(t, 0, 21)]) : c.network();
      await expectFailure(call, 'CHAIN_RESPONSE_INVALID', message);
    });

    it('another transaction than the one asked for is refused', async () => {
      const other = entry('full previous transaction of a vault coin').response.result as string;
      const recorded = entry('two confirmations').response.result as Record<string, unknown>;
      server.fault('getrawtransaction', { kind: 'json', body: (id) => ({ result: { ...recorded, hex: other }, error: null, id }) });
      await expectFailure(client().transaction('1123608c49e3433be5493661b69086bf4d3c99d1fc9832fcdad71630e55027dd'), 'CHAIN_RESPONSE_INVALID', /is 561b7c14/);
    });

    it('a broadcast answered with another txid is refused', async () => {
      server.fault('sendrawtransaction', { kind: 'json', body: (id) => ({ result: '0'.repeat(64), error: null, id }) });
      await expectFailure(client().broadcast(sendHex('broadcast the valid spend')), 'CHAIN_RESPONSE_INVALID', /reports txid 0{64}/);
    });

    it('a mempool check answered for two transactions is refused', async () => {
      const recorded = entry('a valid 2-of-3 spend, RBF-signalling, 1000 sat fee').response.result as unknown[];
      server.fault('testmempoolaccept', { kind: 'json', body: (id) => ({ result: [recorded[0], recorded[0]], error: null, id }) });
      await expectFailure(client().testAccept(testHex('a valid 2-of-3 spend, RBF-signalling, 1000 sat fee')), 'CHAIN_RESPONSE_INVALID');
    });

    it('a negative fee estimate is refused', async () => {
      server.fault('estimatesmartfee', { kind: 'json', body: (id) => ({ result: { feerate: -1, blocks: 2 }, error: null, id }) });
      await expectFailure(client().estimateFeeRate(6), 'CHAIN_RESPONSE_INVALID', /feerate/);
    });

    it('a confirmation target out of 1..1008 is refused without asking', async () => {
      await expectFailure(client().estimateFeeRate(0), 'VALIDATION_FAILED', /targetBlocks/);
      expect(server.methods).toEqual([]);
    });
  });
});
