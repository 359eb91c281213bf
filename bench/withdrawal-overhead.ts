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
import { cpus } from 'node:os';
import { randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, type WithdrawalIntent } from '../protocol/api';
import { type MultisigVaultDescriptor, deriveVaultScript } from '../protocol/descriptor';
import { verifyEnvelope } from '../protocol/envelope';
import { intentHash } from '../protocol/intent/intent-hash';
import { DEFAULT_POLICY, policyHash } from '../protocol/policy';
import { verifyWithdrawalForSigning } from '../protocol/intent/verify-withdrawal';
import { buildWithdrawalPsbt, descriptorOracle, finalizeWithSignatures, inspectPsbt, signVaultInputs, verifyPartialSignatures } from '../protocol/psbt';
import { openCoordinatorStage } from './coordinator-stage';
import { median, percentile } from './stats';
import { fakeFundingTx } from '../test/support/funding-tx';
import type { TestKeyholder } from '../test/support/test-keyholder';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const WARMUP = 2;
const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

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

async function main(): Promise<void> {
  // The same stage as the throughput benchmark: a coordinator process, bob and carol listening.
  const stage = await openCoordinatorStage();
  try {
    const { keyholders, descriptor, vaultId } = stage;
    await stage.deposit(ROUNDS + WARMUP);
    const first = deriveVaultScript(descriptor, 0, 0).address;

    const throughCoordinator: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      const started = performance.now();
      const w = await stage.propose(intentFor(vaultId));
      await stage.exported(w.id);
      if (round >= WARMUP) throughCoordinator.push(performance.now() - started);
    }

    const prevTx = fakeFundingTx([{ address: first, amount: 1_000_000n }], 'regtest');
    const inProcess: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      const started = performance.now();
      inProcessRound(keyholders, descriptor, vaultId, prevTx);
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
    await stage.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
