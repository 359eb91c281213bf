/**
 * The strict Core stand-in itself: it must answer every recorded request exactly as the real
 * node did (status and body, the id echoed), in the recorded order where one request was
 * answered differently over time, and refuse, and write down, what a real node would refuse.
 */
import { describeWithVectors, readVectorJson } from '../vectors/locate';
import { type CoreTranscript, CoreRpcServer, TRANSCRIPT_FILE } from './core-rpc-server';

describeWithVectors('strict Bitcoin Core stand-in', (dir) => {
  const t = readVectorJson<CoreTranscript>(dir, TRANSCRIPT_FILE);
  let server: CoreRpcServer;
  const auth = () => `Basic ${Buffer.from(`${server.user}:${server.password}`).toString('base64')}`;
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth(), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  };

  beforeEach(async () => {
    server = await CoreRpcServer.start(t);
  });
  afterEach(async () => {
    await server.close();
  });

  it('holds every method the client needs', () => {
    const methods = new Set(t.entries.map((e) => e.request.method));
    for (const m of ['getblockchaininfo', 'scantxoutset', 'getrawtransaction', 'estimatesmartfee', 'testmempoolaccept', 'sendrawtransaction']) {
      expect(methods).toContain(m);
    }
  });

  it('answers every recorded request, in order, with the recorded status and body (id echoed)', async () => {
    for (const [index, entry] of t.entries.entries()) {
      const id = `req-${index}`;
      const answer = await post({ jsonrpc: '1.0', id, method: entry.request.method, params: entry.request.params });
      expect({ index, status: answer.status }).toEqual({ index, status: entry.httpStatus });
      expect(JSON.parse(answer.text)).toEqual({ ...entry.response, id });
      expect(answer.text).toBe(`${JSON.stringify({ ...entry.response, id })}\n`);
      expect(answer.headers.get('content-type')).toBe('application/json');
    }
    expect(server.served).toEqual(t.entries.map((_, i) => i));
    expect(server.problems).toEqual([]);
  });

  it('refuses what Core refuses, as Core does, and writes it down', async () => {
    const get = await fetch(server.url, { headers: { authorization: auth() } });
    expect(get.status).toBe(405);
    const noAuth = await post({ jsonrpc: '1.0', id: 1, method: 'getblockchaininfo', params: [] }, { authorization: '' });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toBe('Basic realm="jsonrpc"');
    expect(noAuth.text).toBe('');
    const notJson = await post('{"method": ');
    expect(notJson.status).toBe(500);
    expect(JSON.parse(notJson.text)).toEqual({ result: null, error: { code: -32700, message: 'Parse error' }, id: null });
    const unknown = await post({ jsonrpc: '1.0', id: 7, method: 'getbestblockhash', params: [] });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toEqual({ result: null, error: { code: -32601, message: 'Method not found' }, id: 7 });
    const unrecorded = await post({ jsonrpc: '1.0', id: 8, method: 'estimatesmartfee', params: [2] });
    expect(unrecorded.status).toBe(500);
    expect(server.unmatched).toEqual(['getbestblockhash []', 'estimatesmartfee [2]']);
    expect(server.problems).toHaveLength(5);
  });

  it.each<[string, Record<string, unknown>, Record<string, string>, RegExp]>([
    ['a JSON-RPC 2.0 request', { jsonrpc: '2.0', id: 1, method: 'getblockchaininfo', params: [] }, {}, /jsonrpc "2.0"/],
    ['a null id', { jsonrpc: '1.0', id: null, method: 'getblockchaininfo', params: [] }, {}, /id null/],
    ['named params', { jsonrpc: '1.0', id: 1, method: 'getblockchaininfo', params: {} }, {}, /params must be an array/],
    ['an extra member', { jsonrpc: '1.0', id: 1, method: 'getblockchaininfo', params: [], wallet: 'x' }, {}, /unexpected envelope members wallet/],
    ['another content-type', { jsonrpc: '1.0', id: 1, method: 'getblockchaininfo', params: [] }, { 'content-type': 'text/plain' }, /content-type "text\/plain"/],
  ])('flags %s', async (_name, body, headers, problem) => {
    await post(body, headers);
    expect(server.problems.join('\n')).toMatch(problem);
  });
});
