/**
 * Anti-fee-sniping through the API (protocol/intent/locktime.ts): with a chain backend the
 * coordinator builds each withdrawal, and each fee-bump replacement, with nLockTime = the tip
 * height the watcher recorded and RBF sequences; a signer's own verification accepts it, and the
 * node takes the transaction. Offline, the locktime stays 0.
 */
import { Transaction } from '@scure/btc-signer';
import { MESSAGE_TYPES, type WithdrawalView } from '../../protocol/api';
import { parseVaultDescriptor } from '../../protocol/descriptor';
import { verifyWithdrawalForSigning } from '../../protocol/intent/verify-withdrawal';
import { DEFAULT_POLICY } from '../../protocol/policy';
import { RBF_SEQUENCE } from '../../protocol/psbt';
import { startInProcessCoordinator } from '../support/in-process-coordinator';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';
import { describeWithVectors } from '../vectors/locate';
import { type ChainScenario, auditKinds, pay, signedWithdrawal, startScenario, vaultAddress, withdrawalState } from './chain-harness';

function lockOf(psbt: string): { locktime: number; sequences: number[] } {
  const tx = Transaction.fromPSBT(Buffer.from(psbt, 'base64'));
  return { locktime: tx.lockTime, sequences: Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i).sequence!) };
}

/** What a keyholder's signer decides about the withdrawal, by its own checks and clock. */
function signerVerdict(s: ChainScenario, w: WithdrawalView) {
  return verifyWithdrawalForSigning({
    withdrawal: { id: w.id, intent: w.intent, intentHash: w.intentHash, proposal: w.proposal, psbt: w.psbt, approvals: w.approvals },
    pinned: { vaultId: s.vault.id, descriptor: parseVaultDescriptor(s.vault.descriptor, 'regtest'), memberKeys: s.keyholders.map((k) => k.identityKey), policy: DEFAULT_POLICY },
    network: 'regtest',
    now: new Date(),
    journal: [],
  });
}

describeWithVectors('anti-fee-sniping locktime', (dir) => {
  let s: ChainScenario | undefined;
  afterEach(async () => {
    if (s) {
      expect(s.server.problems()).toEqual([]);
      await s.close();
      s = undefined;
    }
  });

  it('with a chain backend, the PSBT carries the recorded tip height, signers accept it, and a bump carries the new tip', async () => {
    s = await startScenario('core', dir);
    const chain = s.server.chain;
    pay(chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
    chain.mine(7);
    await s.poll();
    const tipAtProposal = chain.tip.height;
    expect(tipAtProposal).toBeGreaterThan(0);

    let proposed: WithdrawalView | undefined;
    const signed = await signedWithdrawal(s, (w) => { proposed = w; });
    expect(lockOf(proposed!.psbt)).toEqual({ locktime: tipAtProposal, sequences: [RBF_SEQUENCE] });
    expect(signerVerdict(s, proposed!)).toMatchObject({ ok: true, summary: { locktime: tipAtProposal } });
    const created = (await auditKinds(s.coord, 'withdrawal.signing')).at(-1)!;
    expect(created.payload).toMatchObject({ locktime: tipAtProposal, coinSelection: 'largest-first' });

    // Blocks found while the withdrawal waited do not matter: a locktime in the past never delays.
    // They carry no transaction: the coordinator's own background broadcast may already have put
    // the withdrawal in the mempool, and mining it here would confirm it before the check below.
    chain.mine(3, []);
    await s.poll();
    await s.broadcaster.runDue();
    expect((await withdrawalState(s, signed.id)).state).toBe('broadcast');

    // The replacement is built at the tip of its own time (blocks without the transaction: stuck).
    chain.mine(2, []);
    await s.poll();
    const bumped = await s.coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${signed.id}/bump`, s.keyholders[1]!.sign(MESSAGE_TYPES.withdrawalBump, {
      ...signed.intent, feeRate: '6', replaces: signed.intentHash,
    }));
    expect(bumped.status).toBe(200);
    expect(lockOf(bumped.body.psbt)).toEqual({ locktime: chain.tip.height, sequences: [RBF_SEQUENCE] });
    expect(chain.tip.height).toBe(tipAtProposal + 5);
    expect(signerVerdict(s, bumped.body)).toMatchObject({ ok: true, summary: { locktime: tipAtProposal + 5 } });
  });

  it('offline, the locktime stays 0', async () => {
    const coord = await startInProcessCoordinator();
    try {
      const keyholders = threeKeyholders();
      const vault = await setupVault(coord, keyholders);
      await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
      const proposed = await propose(coord, vault, keyholders[0]!, intent(vault));
      expect(proposed.status).toBe(201);
      expect(lockOf(proposed.body.psbt)).toEqual({ locktime: 0, sequences: [RBF_SEQUENCE] });
    } finally {
      await coord.close();
    }
  });
});
