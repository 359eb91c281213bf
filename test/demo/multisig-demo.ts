/**
 * The multisig demo: a whole 2-of-3 P2WSH withdrawal with real processes. Three encrypted
 * keystores, a vault set up and pinned, a deposit, a proposal, two signer processes signing over
 * WebSocket, the final transaction checked independently, the audit log verified by a signer.
 */
import { depositToFirstAddress, setUpCliVault, signer } from '../support/cli-vault';
import { spawnSigner } from '../support/processes';
import { auditAndVerdict, finalTransaction, say, waitForExit } from './demo-steps';
import { verifyFinalTransaction } from './verify-final-tx';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const AMOUNT = 250_000n;
const DEPOSIT = 1_000_000n;

/** True when every check passed. */
export async function multisigDemo(root: string, coordinatorUrl: string, env: Record<string, string>): Promise<boolean> {
  say('2. three keyholders create encrypted keystores (scrypt + XChaCha20-Poly1305) and join');
  const vault = await setUpCliVault({ root, coordinatorUrl, env, step: (line) => say(`   ${line}`) });
  const [alice, bob, carol] = vault.keyholders as [typeof vault.keyholders[0], typeof vault.keyholders[0], typeof vault.keyholders[0]];

  const coin = await depositToFirstAddress(vault, root, DEPOSIT, env);
  say(`3. deposit registered: ${coin.txid}:${coin.vout}, ${DEPOSIT} sats to ${vault.firstAddress}`);

  const listeners = [bob, carol].map((k) => ({ k, child: spawnSigner(k.home, ['--json', 'listen', '--yes', '--exit-after', '1'], env) }));
  const done = listeners.map(({ k, child }) => waitForExit(child, `${k.name}'s signer`, 120_000));
  say(`4. ${bob.name} and ${carol.name} run "listen" and wait for signing requests over WebSocket`);

  const proposal = await signer(alice.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', String(AMOUNT), '--fee-rate', '2'], env);
  const withdrawalId = String(proposal.withdrawalId);
  say(`5. ${alice.name} proposed withdrawal ${withdrawalId}: ${AMOUNT} sats to ${DESTINATION} at 2 sat/vB`);

  await Promise.all(done);
  say(`6. both signers verified the PSBT against the signed intent and their pinned descriptor, and signed`);

  const { state, hex } = await finalTransaction(signer, alice.home, withdrawalId, root, env);

  say('8. independent check with @scure/btc-signer and @noble/curves:');
  const findings = verifyFinalTransaction({
    txHex: hex,
    inputs: [coin],
    destination: { address: DESTINATION, amount: AMOUNT },
    vault: { threshold: 2, xpubs: vault.keyholders.map((k) => k.xpub), changeIndex: 0 },
  });
  for (const line of findings) say(`   ${line}`);

  return auditAndVerdict(signer, bob, env, state, findings);
}
