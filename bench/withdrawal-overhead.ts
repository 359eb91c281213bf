/**
 * `npm run bench`: what the coordinator adds to the cryptography. Measures, side by side in
 * one run, a 2-of-3 one-input withdrawal
 *   (a) end to end over loopback: a real coordinator process (SQLite), two `signer-cli listen`
 *       processes signing over WebSocket; timed from the proposal POST until the coordinator
 *       pushes `exported`; and
 *   (b) the same work in one process: sign and verify the intent envelope, build and inspect
 *       the PSBT, both signers' full verification and signing, the coordinator's signature
 *       checks, finalization and extraction.
 * Prints medians and their ratio. Rounds: BENCH_ROUNDS (default 20), after 2 warm-up rounds.
 */
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { MESSAGE_TYPES, type MemberView, type ServerFrame, type VaultView, type WithdrawalIntent, type WithdrawalView } from '../protocol/api';
import { type MultisigVaultDescriptor, deriveVaultScript, formatVaultDescriptor } from '../protocol/descriptor';
import { verifyEnvelope } from '../protocol/envelope';
import { intentHash } from '../protocol/intent/intent-hash';
import { DEFAULT_POLICY, policyHash } from '../protocol/policy';
import { verifyWithdrawalForSigning } from '../protocol/intent/verify-withdrawal';
import { buildWithdrawalPsbt, descriptorOracle, finalizeWithSignatures, inspectPsbt, signVaultInputs, verifyPartialSignatures } from '../protocol/psbt';
import { signer } from '../test/support/cli-vault';
import { openSession } from './session';
import { median, percentile } from './stats';
import { fakeFundingTx } from '../test/support/funding-tx';
import { spawnSigner, startCoordinator } from '../test/support/processes';
import { TRANSCRIPT_MNEMONICS, type TestKeyholder, testKeyholder } from '../test/support/test-keyholder';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const WARMUP = 2;
const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ENV = { CONCLAVE_PASSPHRASE: 'bench passphrase' };

function intentFor(vaultId: string): WithdrawalIntent {
  return {
    vaultId, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: '250000' }],
    feeRate: '2', maxFee: '50000', memo: '', expiresAt: new Date(Date.now() + 3600_000).toISOString(), policyHash: policyHash(DEFAULT_POLICY),
  };
}

/** (b): every cryptographic step of one withdrawal, in this process. */
function inProcessRound(keyholders: TestKeyholder[], descriptor: MultisigVaultDescriptor, vaultId: string, prevTx: { hex: string; txid: string }): void {
  const intent = intentFor(vaultId);
  const proposal = keyholders[0]!.sign(MESSAGE_TYPES.withdrawalPropose, intent);
  verifyEnvelope(proposal, { now: new Date(), expectedType: MESSAGE_TYPES.withdrawalPropose });
  const oracle = descriptorOracle(descriptor);
  const psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: [{ txid: prevTx.txid, vout: 0, prevTxHex: prevTx.hex, script: deriveVaultScript(descriptor, 0, 0) }],
    outputs: [{ address: DESTINATION, amount: 250_000n }],
    change: { script: deriveVaultScript(descriptor, 1, 0), amount: 749_620n },
    globalXpubs: descriptor.keys.map((k, i) => ({ xpub: k.xpub, fingerprint: k.fingerprint, path: keyholders[i]!.accountPath })),
    locktime: 0,
  });
  const summary = inspectPsbt(psbt, oracle, 'regtest');
  const withdrawal = { id: randomUUID(), intent, intentHash: intentHash(intent), proposal, psbt, approvals: [] };
  const sigs = keyholders.slice(1).flatMap((k) => {
    const verdict = verifyWithdrawalForSigning({ withdrawal, pinned: { vaultId, descriptor, memberKeys: keyholders.map((h) => h.identityKey), policy: DEFAULT_POLICY }, network: 'regtest', now: new Date(), journal: [] });
    if (!verdict.ok) throw new Error(`in-process verification refused: ${verdict.reasons.join('; ')}`);
    const signed = signVaultInputs(psbt, k.account, { fingerprint: k.accountKey.fingerprint, path: k.accountPath }, verdict.inputsToSign).partialSigs;
    const envelope = k.sign(MESSAGE_TYPES.withdrawalSignature, { withdrawalId: withdrawal.id, intentHash: withdrawal.intentHash, unsignedTxid: summary.unsignedTxid, partialSigs: signed });
    verifyEnvelope(envelope, { now: new Date(), expectedType: MESSAGE_TYPES.withdrawalSignature });
    verifyPartialSignatures(psbt, signed, oracle);
    return signed;
  });
  finalizeWithSignatures(psbt, sigs, 2);
}

/** Bearer token of the member the benchmark reads as, once signed in. */
let session: string | undefined;

async function api<T>(url: string, method: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  if (session !== undefined) headers.authorization = `Bearer ${session}`;
  const res = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await res.json() as T;
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A WebSocket for the proposer, resolving `exported` pushes by withdrawal id. */
async function exportWatcher(base: string, alice: TestKeyholder): Promise<{ wait(id: string): Promise<void>; close(): void }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
  const waiters = new Map<string, () => void>();
  const done = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.type === 'challenge') ws.send(JSON.stringify({ type: 'auth', envelope: alice.sign(MESSAGE_TYPES.wsAuth, { challenge: frame.challenge }) }));
      else if (frame.type === 'ready') resolve();
      else if (frame.type === 'error') reject(new Error(frame.error.message));
      else if (frame.type === 'event' && frame.event.kind === 'withdrawal.state' && frame.event.state === 'exported') {
        done.add(frame.event.withdrawalId);
        waiters.get(frame.event.withdrawalId)?.();
      }
    });
    ws.on('error', reject);
  });
  return {
    wait: (id) => new Promise<void>((resolve) => (done.has(id) ? resolve() : waiters.set(id, resolve))),
    close: () => ws.close(),
  };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'conclave-bench-'));
  const coordinator = await startCoordinator({ CONCLAVE_DATA_DIR: join(root, 'coordinator'), CONCLAVE_NETWORK: 'regtest', DATABASE_URL: undefined, DATABASE_SCHEMA: undefined });
  const listeners: ReturnType<typeof spawnSigner>[] = [];
  try {
    const base = coordinator.url;
    const keyholders = ['alice', 'bob', 'carol'].map((n, i) => testKeyholder(n, TRANSCRIPT_MNEMONICS[i]!));
    const alice = keyholders[0]!;
    await api(`${base}/api/v1/members`, 'POST', alice.sign(MESSAGE_TYPES.memberJoin, { name: 'alice', network: 'regtest', accountKey: alice.accountKey }));
    session = await openSession(base, alice);
    for (const [i, name] of ['bob', 'carol'].entries()) {
      const home = join(root, name);
      writeFileSync(join(root, `${name}.words`), TRANSCRIPT_MNEMONICS[i + 1]!);
      await signer(home, ['init', '--network', 'regtest', '--mnemonic-file', join(root, `${name}.words`)], ENV);
      await signer(home, ['--coordinator', base, 'join', '--name', name], ENV);
    }
    const members = await api<MemberView[]>(`${base}/api/v1/members`, 'GET');
    const descriptor: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: members.map((m) => m.accountKey) };
    const vault = await api<VaultView>(`${base}/api/v1/vaults`, 'POST', alice.sign(MESSAGE_TYPES.vaultCreate, {
      name: 'bench', network: 'regtest', threshold: 2, members: members.map((m) => m.identityKey), descriptor: formatVaultDescriptor(descriptor), policy: DEFAULT_POLICY,
    }));
    for (const name of ['bob', 'carol']) await signer(join(root, name), ['vault', 'pin', vault.id, '--yes'], ENV);
    const first = deriveVaultScript(descriptor, 0, 0).address;
    const funding = fakeFundingTx(Array.from({ length: ROUNDS + WARMUP }, () => ({ address: first, amount: 1_000_000n })), 'regtest');
    await api(`${base}/api/v1/vaults/${vault.id}/deposits`, 'POST', alice.sign(MESSAGE_TYPES.depositRegister, { vaultId: vault.id, rawTx: funding.hex }));
    for (const name of ['bob', 'carol']) listeners.push(spawnSigner(join(root, name), ['listen', '--yes'], ENV));
    const watcher = await exportWatcher(base, alice);

    const throughCoordinator: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      const started = performance.now();
      const w = await api<WithdrawalView>(`${base}/api/v1/vaults/${vault.id}/withdrawals`, 'POST', alice.sign(MESSAGE_TYPES.withdrawalPropose, intentFor(vault.id)));
      await watcher.wait(w.id);
      if (round >= WARMUP) throughCoordinator.push(performance.now() - started);
    }
    watcher.close();

    const prevTx = fakeFundingTx([{ address: first, amount: 1_000_000n }], 'regtest');
    const inProcess: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      const started = performance.now();
      inProcessRound(keyholders, descriptor, vault.id, prevTx);
      if (round >= WARMUP) inProcess.push(performance.now() - started);
    }

    const e2e = median(throughCoordinator);
    const local = median(inProcess);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    process.stdout.write([
      `# 2-of-3 one-input withdrawal: coordinator end to end vs in-process (${ROUNDS} rounds each, ${WARMUP} warm-up)`,
      `machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, SQLite`,
      '',
      '| path | median ms | p90 ms | min ms |',
      '| --- | ---: | ---: | ---: |',
      `| through the coordinator (loopback, 2 signer processes) | ${e2e.toFixed(1)} | ${percentile(throughCoordinator, 90).toFixed(1)} | ${Math.min(...throughCoordinator).toFixed(1)} |`,
      `| same signing and verification in one process | ${local.toFixed(1)} | ${percentile(inProcess, 90).toFixed(1)} | ${Math.min(...inProcess).toFixed(1)} |`,
      '',
      `ratio (median end to end / median in-process): ${(e2e / local).toFixed(2)}x`,
      '',
    ].join('\n'));
  } finally {
    for (const l of listeners) l.kill('SIGTERM');
    await coordinator.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
