/**
 * A real coordinator in process against a strict chain server over a scripted chain: a Bitcoin
 * Core node (CoreRpcServer with core-node.ts, shapes from the recorded transcript) or an
 * Esplora server (esplora-sim.ts). Tests move the chain (mine, take blocks off, put them back,
 * fill the mempool), run the watcher's passes directly, and look at the database and the API.
 */
import { Transaction } from '@scure/btc-signer';
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import { deriveVaultScript, parseVaultDescriptor } from '../../protocol/descriptor';
import { signVaultInputs } from '../../protocol/psbt';
import { ChainWatchService, type PollReport } from '../../server/chain-watch/chain-watch.service';
import { WithdrawalBroadcaster } from '../../server/chain-watch/withdrawal-broadcaster';
import { CoreRpcServer, type CoreTranscript, TRANSCRIPT_FILE } from '../chain/core-rpc-server';
import { coreNode } from '../chain/core-node';
import type { EsploraServer } from '../chain/esplora-server';
import { startEsploraSim } from '../chain/esplora-sim';
import { SimChain } from '../chain/sim-chain';
import { fakeFundingTx } from '../support/funding-tx';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import type { TestKeyholder } from '../support/test-keyholder';
import { intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';
import { readVectorJson } from '../vectors/locate';

export type BackendKind = 'core' | 'esplora';

export interface ChainServer {
  kind: BackendKind;
  chain: SimChain;
  env: Record<string, string>;
  core?: CoreRpcServer;
  esplora?: EsploraServer;
  /** Raw transactions the node took or refused on broadcast, in order (a request a fault answered instead is not among them). */
  broadcasts(): string[];
  /** Broadcast requests received, faulted ones included. */
  broadcastRequests(): number;
  /** What the strict server wrote down as something a real one would refuse. */
  problems(): string[];
  close(): Promise<void>;
}

export async function startChainServer(kind: BackendKind, vectorsDir: string, network: SimChain['network'] = 'regtest'): Promise<ChainServer> {
  const chain = new SimChain(network);
  const sent: string[] = [];
  if (kind === 'core') {
    const transcript = readVectorJson<CoreTranscript>(vectorsDir, TRANSCRIPT_FILE);
    const node = coreNode(chain, transcript);
    const core = await CoreRpcServer.start(transcript, {
      node: (method, params) => {
        if (method === 'sendrawtransaction' && typeof params[0] === 'string') sent.push(params[0]);
        return node(method, params);
      },
    });
    return {
      kind, chain, core,
      env: { CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_URL: core.url, CONCLAVE_CORE_USER: core.user, CONCLAVE_CORE_PASSWORD: core.password },
      broadcasts: () => sent,
      broadcastRequests: () => core.methods.filter((m) => m === 'sendrawtransaction').length,
      problems: () => core.problems,
      close: () => core.close(),
    };
  }
  const esplora = await startEsploraSim(chain);
  const submit = esplora.submit!;
  esplora.submit = (hex) => {
    sent.push(hex);
    return submit(hex);
  };
  return {
    kind, chain, esplora,
    env: { CONCLAVE_CHAIN: 'esplora', CONCLAVE_ESPLORA_URL: esplora.url },
    broadcasts: () => sent,
    broadcastRequests: () => esplora.requests.filter((r) => r === 'POST /tx').length,
    problems: () => esplora.problems,
    close: () => esplora.close(),
  };
}

export interface ChainScenario {
  server: ChainServer;
  coord: RunningCoordinator;
  keyholders: TestKeyholder[];
  vault: VaultView;
  poll(): Promise<PollReport>;
  broadcaster: WithdrawalBroadcaster;
  close(): Promise<void>;
}

/** A coordinator with the chain backend, and an active 2-of-3 vault on it. */
export async function startScenario(kind: BackendKind, vectorsDir: string, env: Record<string, string> = {}): Promise<ChainScenario> {
  const server = await startChainServer(kind, vectorsDir);
  const coord = await startInProcessCoordinator({ ...server.env, CONCLAVE_CHAIN_TIMEOUT_MS: '3000', ...env });
  const keyholders = threeKeyholders();
  const vault = await setupVault(coord, keyholders);
  const watch = coord.app.get(ChainWatchService);
  return {
    server, coord, keyholders, vault,
    poll: async () => (await watch.poll())!,
    broadcaster: coord.app.get(WithdrawalBroadcaster),
    close: async () => {
      await coord.close();
      await server.close();
    },
  };
}

export function vaultAddress(vault: VaultView, change: 0 | 1, index: number): string {
  return deriveVaultScript(parseVaultDescriptor(vault.descriptor, 'regtest'), change, index).address;
}

/** Someone pays the vault: a transaction from outside into the node's mempool. */
export function pay(chain: SimChain, payments: Array<{ address: string; amount: bigint }>): string {
  const funding = fakeFundingTx(payments, chain.network);
  chain.receive(funding.hex);
  return funding.txid;
}

export interface CoinRow { txid: string; vout: number; status: string; change: number; idx: number; reserved_by: string | null }

export async function coins(coord: RunningCoordinator): Promise<CoinRow[]> {
  const rows: CoinRow[] = await coord.dataSource.query('SELECT txid, vout, status, change, idx, reserved_by FROM utxos ORDER BY change, idx');
  return rows.map((r) => ({ ...r, vout: Number(r.vout), change: Number(r.change), idx: Number(r.idx) }));
}

export async function auditKinds(coord: RunningCoordinator, prefix: string): Promise<Array<{ kind: string; payload: Record<string, unknown> }>> {
  const rows: Array<{ kind: string; payload: string }> = await coord.dataSource.query('SELECT kind, payload FROM audit_events ORDER BY seq');
  return rows.filter((r) => r.kind.startsWith(prefix)).map((r) => ({ kind: r.kind, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

export async function auditValid(coord: RunningCoordinator): Promise<boolean> {
  return (await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid;
}

function signatureEnvelope(k: TestKeyholder, w: WithdrawalView) {
  const inputs = Array.from({ length: Transaction.fromPSBT(Buffer.from(w.psbt, 'base64')).inputsLength }, (_, i) => i);
  const sigs = signVaultInputs(w.psbt, k.account, { fingerprint: k.accountKey.fingerprint, path: k.accountPath }, inputs).partialSigs;
  return k.sign(MESSAGE_TYPES.withdrawalSignature, { withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, partialSigs: sigs });
}

/** Has keyholders (by default 1 and 2) sign the withdrawal's current transaction (e.g. a fee bump's replacement); returns the last answer. */
export async function signCurrent(s: ChainScenario, w: WithdrawalView, signers = [1, 2]): Promise<{ status: number; body: WithdrawalView & { error?: { code: string } } }> {
  let res: { status: number; body: WithdrawalView & { error?: { code: string } } } | undefined;
  for (const k of signers.map((i) => s.keyholders[i]!)) {
    res = await s.coord.call<WithdrawalView & { error?: { code: string } }>('POST', `/api/v1/withdrawals/${w.id}/signatures`, signatureEnvelope(k, w));
    if (res.status !== 200) return res;
  }
  return res!;
}

/** Keyholder 1 asks for a fee bump of the withdrawal to `feeRate` sat/vB. */
export async function bumpFee(s: ChainScenario, w: WithdrawalView, feeRate: string): Promise<WithdrawalView> {
  const res = await s.coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/bump`, s.keyholders[1]!.sign(MESSAGE_TYPES.withdrawalBump, { ...w.intent, feeRate, replaces: w.intentHash }));
  if (res.status !== 200) throw new Error(`fee bump failed: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Proposes a withdrawal of `amount` and has two keyholders sign it: it is finalized (and, with a backend, enqueued). */
export async function signedWithdrawal(s: ChainScenario, beforeSigning?: (proposed: WithdrawalView) => void, amount = '250000'): Promise<WithdrawalView> {
  const proposed = await propose(s.coord, s.vault, s.keyholders[0]!, intent(s.vault, { outputs: [{ address: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', amount }] }));
  if (proposed.status !== 201) throw new Error(`proposal failed: ${JSON.stringify(proposed.body)}`);
  beforeSigning?.(proposed.body);
  let view = proposed.body;
  for (const k of [s.keyholders[1]!, s.keyholders[2]!]) {
    const res = await s.coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${view.id}/signatures`, signatureEnvelope(k, proposed.body));
    if (res.status !== 200) throw new Error(`signature failed: ${JSON.stringify(res.body)}`);
    view = res.body;
  }
  return view;
}

export async function withdrawalState(s: ChainScenario, id: string): Promise<WithdrawalView> {
  return (await s.coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${id}`)).body;
}
