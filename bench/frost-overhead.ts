/**
 * `npm run bench:frost`: what the coordinator adds to FROST's cryptography. Measures, side by
 * side in one run:
 *   - a DKG (2-of-3 and 3-of-5) through a real coordinator process over loopback (every
 *     message signed, posted, checked and stored by the relay, sealed round-2 shares fetched,
 *     the certificate verified and the vault created), against the same participant rounds and
 *     one certificate verification in one process; and
 *   - one FROST signing of a 2-of-3 one-input withdrawal through the coordinator (proposal,
 *     both signers verify and commit, the session opens, both check it and send shares, the
 *     coordinator verifies, aggregates and finalizes), timed from the proposal POST until the
 *     withdrawal is exported, against the same steps in one process.
 * The participants run in this process and talk HTTP; the coordinator is its own process.
 * Prints medians and ratios. Rounds: BENCH_ROUNDS (default 10), after 1 warm-up round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, type WithdrawalIntent, type WithdrawalView } from '../protocol/api';
import { deriveVaultScript } from '../protocol/descriptor';
import {
  type DkgContext, type FrostSigningView, type FrostSetupParams, aggregateSignature, assembleCertificate, checkSigningPackage,
  childPublicPackage, childSigningKey, commitNonces, commitmentHex, dkgRound2, finishDkg, newSetupId, participantIdentifier, signShare, startDkg, verifyCertificate, verifyShare,
} from '../protocol/frost';
import { verifyWithdrawalForSigning } from '../protocol/intent';
import { intentHash } from '../protocol/intent/intent-hash';
import { DEFAULT_POLICY, policyHash } from '../protocol/policy';
import { buildWithdrawalPsbt, finalizeTaprootKeySpend, inspectPsbt, descriptorOracle, vaultGlobalXpubs } from '../protocol/psbt';
import { fakeFundingTx } from '../test/support/funding-tx';
import { type CoordinatorApi, type FrostVaultScenario, commitFor, frostKeyholders, joinMembers, runFrostDkg, sharesFor } from '../test/support/frost-vault-scenario';
import { startCoordinator } from '../test/support/processes';
import { type StatementSigner, openSession } from './session';
import { median } from './stats';
import type { TestKeyholder } from '../test/support/test-keyholder';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const WARMUP = 1;
const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const rng = (length: number) => new Uint8Array(randomBytes(length));


async function timed(rounds: number, fn: () => Promise<void> | void): Promise<number[]> {
  const samples: number[] = [];
  for (let round = 0; round < rounds + WARMUP; round++) {
    const started = performance.now();
    await fn();
    if (round >= WARMUP) samples.push(performance.now() - started);
  }
  return samples;
}

/**
 * The in-process rounds block the event loop for seconds; afterwards the HTTP client's idle
 * sockets, which the coordinator closed meanwhile, must be dropped before the next request
 * (their expiry timers run only once the loop turns), or a request goes out on a dead socket.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** The coordinator API over HTTP; reads carry the session `signIn` opened. */
function overFetch(base: string): CoordinatorApi & { signIn(member: StatementSigner): Promise<void> } {
  let session: string | undefined;
  return {
    async signIn(member) {
      session = await openSession(base, member);
    },
    async call<T>(method: string, path: string, body?: unknown) {
      const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
      if (session !== undefined) headers.authorization = `Bearer ${session}`;
      const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
}

/** The participants' three rounds and the certificate check, with no coordinator in between. */
function dkgInProcess(holders: TestKeyholder[], threshold: number): void {
  const params: FrostSetupParams = {
    setupId: newSetupId(rng), network: 'regtest', vault: { name: 'bench', policy: DEFAULT_POLICY }, threshold,
    participants: holders.map((k) => ({ identityKey: k.identityKey, name: k.name })),
  };
  const ctx = (k: TestKeyholder): DkgContext => ({ identitySecret: k.identitySecret, randomBytes: rng, now: new Date() });
  const started = holders.map((k, i) => startDkg(params, i, ctx(k)));
  const round1 = started.map((s) => s.round1Message);
  const second = started.map((s, i) => dkgRound2(s.state, round1, ctx(holders[i]!)));
  const round2 = second.flatMap((s) => s.round2Messages);
  const finished = second.map((s, i) => finishDkg(s.state, round2.filter((m) => m.body.recipient === participantIdentifier(i)), ctx(holders[i]!)));
  verifyCertificate(assembleCertificate(params, round1, finished.map((f) => f.confirmation)));
}

function intentFor(vaultId: string): WithdrawalIntent {
  return {
    vaultId, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: '250000' }],
    feeRate: '2', maxFee: '50000', memo: '', expiresAt: new Date(Date.now() + 3600_000).toISOString(), policyHash: policyHash(DEFAULT_POLICY),
  };
}

/** One withdrawal through the coordinator: propose, both signers commit, then both sign the session. */
async function signThroughCoordinator(api: CoordinatorApi, scenario: FrostVaultScenario): Promise<void> {
  const [alice, bob, carol] = scenario.signers as [FrostVaultScenario['signers'][0], FrostVaultScenario['signers'][0], FrostVaultScenario['signers'][0]];
  const proposed = await api.call<WithdrawalView>('POST', `/api/v1/vaults/${scenario.vault.id}/withdrawals`, alice.k.sign(MESSAGE_TYPES.withdrawalPropose, intentFor(scenario.vault.id)));
  if (proposed.status !== 201) throw new Error(`propose: ${JSON.stringify(proposed.body)}`);
  const w = proposed.body;
  for (const s of [bob, carol]) await api.call('POST', `/api/v1/withdrawals/${w.id}/frost/commitments`, commitFor(scenario, s, w));
  const view = (await api.call<FrostSigningView>('GET', `/api/v1/withdrawals/${w.id}/frost`)).body;
  const session = view.sessions.at(-1)!;
  for (const s of [bob, carol]) await api.call('POST', `/api/v1/withdrawals/${w.id}/frost/sessions/${session.sessionId}/shares`, sharesFor(scenario, s, w, view, session.sessionId));
  const done = (await api.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body;
  if (done.state !== 'exported') throw new Error(`withdrawal ended ${done.state}`);
}

/** The same signing work in one process: build, both signers verify, commit, check, sign; verify, aggregate, finalize. */
function signInProcess(scenario: FrostVaultScenario, prevTx: { hex: string; txid: string }): void {
  const intent = intentFor(scenario.vault.id);
  const proposal = scenario.signers[0]!.k.sign(MESSAGE_TYPES.withdrawalPropose, intent);
  const psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: [{ txid: prevTx.txid, vout: 0, prevTxHex: prevTx.hex, script: deriveVaultScript(scenario.descriptor, 0, 0) }],
    outputs: [{ address: DESTINATION, amount: 250_000n }],
    change: { script: deriveVaultScript(scenario.descriptor, 1, 0), amount: 749_720n },
    globalXpubs: vaultGlobalXpubs(scenario.descriptor), locktime: 0,
  });
  const summary = inspectPsbt(psbt, descriptorOracle(scenario.descriptor), 'regtest');
  const withdrawal = { id: randomUUID(), intent, intentHash: intentHash(intent), proposal, psbt, approvals: [] };
  const verify = () => {
    const verdict = verifyWithdrawalForSigning({ withdrawal, pinned: { vaultId: scenario.vault.id, descriptor: scenario.descriptor, memberKeys: scenario.signers.map((s) => s.k.identityKey), policy: DEFAULT_POLICY }, network: 'regtest', now: new Date(), journal: [] });
    if (!verdict.ok || verdict.kind !== 'tr-frost') throw new Error('in-process verification refused');
    return verdict.keySpends;
  };
  const set = scenario.signers.slice(1);
  const commits = set.map((s) => {
    const spends = verify();
    const made = spends.map((k) => commitNonces(childSigningKey(s.base, s.share, s.chainCode, k.change, k.index).secret, rng));
    const body = { withdrawalId: withdrawal.id, vaultId: scenario.vault.id, intentHash: withdrawal.intentHash, unsignedTxid: summary.unsignedTxid, commitmentId: randomUUID().replace(/-/g, ''), inputs: made.map((m, input) => ({ input, ...commitmentHex(m.commitments) })) };
    return { s, made, envelope: s.k.sign('frost.sign.commit', body) };
  });
  const session = { sessionId: randomUUID(), signers: commits.map((c) => c.s.k.identityKey), commits: commits.map((c) => c.envelope) };
  const group = { participants: scenario.signers.map((s) => s.k.identityKey), threshold: 2 };
  const ref = { withdrawalId: withdrawal.id, vaultId: scenario.vault.id, intentHash: withdrawal.intentHash, unsignedTxid: summary.unsignedTxid, inputCount: 1 };
  const spends = verify();
  const shares = commits.map((c) => {
    const pkg = checkSigningPackage({ session, withdrawal: ref, group, me: { identityKey: c.s.k.identityKey, commitmentId: c.envelope.body.commitmentId, commitments: c.envelope.body.inputs } });
    verify();
    const key = childSigningKey(c.s.base, c.s.share, c.s.chainCode, spends[0]!.change, spends[0]!.index);
    return { c, list: pkg.commitmentLists[0]!, share: signShare(key.secret, key.public, c.made[0]!.nonces, pkg.commitmentLists[0]!, spends[0]!.sighash), id: key.secret.identifier };
  });
  const pub = childPublicPackage(scenario.signers[0]!.base, scenario.signers[0]!.chainCode, spends[0]!.change, spends[0]!.index);
  for (const s of shares) if (!verifyShare(pub.public, s.list, spends[0]!.sighash, s.id, s.share)) throw new Error('share does not verify');
  const signature = aggregateSignature(pub.public, shares[0]!.list, spends[0]!.sighash, Object.fromEntries(shares.map((s) => [s.id, s.share])), pub.outputKey);
  finalizeTaprootKeySpend(psbt, [signature]);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'conclave-bench-frost-'));
  const coordinator = await startCoordinator({ CONCLAVE_DATA_DIR: join(root, 'coordinator'), CONCLAVE_NETWORK: 'regtest', DATABASE_URL: undefined, DATABASE_SCHEMA: undefined });
  try {
    const api = overFetch(coordinator.url);
    const holders = frostKeyholders(['alice', 'bob', 'carol', 'dave', 'erin'], 'bench run');
    await joinMembers(api, holders);
    await api.signIn(holders[0]!);
    const rows: string[] = [];
    for (const [t, n] of [[2, 3], [3, 5]] as const) {
      const members = holders.slice(0, n);
      await settle();
      const through = await timed(ROUNDS, async () => { await runFrostDkg(api, members, t); });
      const local = await timed(ROUNDS, () => dkgInProcess(members, t));
      rows.push(`| DKG ${t}-of-${n} | ${median(through).toFixed(1)} | ${median(local).toFixed(1)} | ${(median(through) / median(local)).toFixed(2)}x |`);
    }
    await settle();
    const scenario = await runFrostDkg(api, holders.slice(0, 3), 2);
    const first = deriveVaultScript(scenario.descriptor, 0, 0).address;
    const funding = fakeFundingTx(Array.from({ length: ROUNDS + WARMUP }, () => ({ address: first, amount: 1_000_000n })), 'regtest');
    const deposited = await api.call('POST', `/api/v1/vaults/${scenario.vault.id}/deposits`, scenario.signers[0]!.k.sign(MESSAGE_TYPES.depositRegister, { vaultId: scenario.vault.id, rawTx: funding.hex }));
    if (deposited.status !== 201) throw new Error(`deposit: ${JSON.stringify(deposited.body)}`);
    const through = await timed(ROUNDS, () => signThroughCoordinator(api, scenario));
    const prevTx = fakeFundingTx([{ address: first, amount: 1_000_000n }], 'regtest');
    const local = await timed(ROUNDS, () => signInProcess(scenario, prevTx));
    rows.push(`| signing, 2-of-3, one input (proposal to exported) | ${median(through).toFixed(1)} | ${median(local).toFixed(1)} | ${(median(through) / median(local)).toFixed(2)}x |`);
    process.stdout.write([
      `# FROST through the coordinator vs in one process (${ROUNDS} rounds each, ${WARMUP} warm-up; medians)`,
      `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, SQLite`,
      '',
      '| rounds | through the coordinator ms | in one process ms | ratio |',
      '| --- | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'));
  } catch (error) {
    process.stderr.write(`coordinator log (last lines):\n${coordinator.logs.join('').split('\n').slice(-15).join('\n')}\n`);
    throw error;
  } finally {
    await coordinator.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? `${error.stack}\ncause: ${String((error as { cause?: unknown }).cause)}` : String(error)}\n`);
  process.exit(1);
});
