/**
 * The FROST demo (`npm run demo -- --kind frost`): a 2-of-3 FROST Taproot vault made by
 * distributed key generation through the coordinator, two deposits on two different addresses,
 * a withdrawal that needs both coins, signed in two FROST rounds by two signer processes over
 * WebSocket; the final transaction checked independently, the audit log verified by a signer.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { setUpCliFrostVault } from '../support/cli-frost-vault';
import { signer } from '../support/cli-vault';
import { fakeFundingTx } from '../support/funding-tx';
import { spawnSigner } from '../support/processes';
import { auditAndVerdict, finalTransaction, say, waitForExit } from './demo-steps';
import { verifyFrostTransaction } from './verify-frost-tx';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const DEPOSITS = [1_000_000n, 500_000n];
/** More than either coin: the withdrawal must spend both, on two different addresses. */
const AMOUNT = 1_200_000n;

/** The group xpub of a `tr(XPUB/<0;1>/*)#checksum` descriptor, read with nothing of Conclave's. */
function groupXpubOf(descriptor: string): string {
  const match = /^tr\(([A-Za-z0-9]+)\/<0;1>\/\*\)#[a-z0-9]{8}$/.exec(descriptor);
  if (!match) throw new Error(`not a FROST vault descriptor: ${descriptor}`);
  return match[1]!;
}

/** True when every check passed. */
export async function frostDemo(root: string, coordinatorUrl: string, env: Record<string, string>): Promise<boolean> {
  say('2. three keyholders create encrypted keystores and join; a 2-of-3 FROST key generation runs through the coordinator');
  const vault = await setUpCliFrostVault({ root, coordinatorUrl, env, step: (line) => say(`   ${line}`) });
  const [alice, bob, carol] = vault.keyholders as [typeof vault.keyholders[0], typeof vault.keyholders[0], typeof vault.keyholders[0]];
  say(`   vault ${vault.vaultId}: ${vault.descriptor}`);

  const receive = await signer(alice.home, ['addresses', vault.vaultId, '--count', '2'], env);
  const addresses = (receive.addresses as Array<{ address: string }>).map((a) => a.address);
  const funding = fakeFundingTx(addresses.map((address, i) => ({ address, amount: DEPOSITS[i]! })), 'regtest');
  const file = join(root, 'funding.hex');
  writeFileSync(file, funding.hex);
  await signer(alice.home, ['deposit', vault.vaultId, '--tx-file', file], env);
  say(`3. deposit registered: ${funding.txid}, ${DEPOSITS[0]} sats to ${addresses[0]} and ${DEPOSITS[1]} sats to ${addresses[1]}`);

  const listeners = [bob, carol].map((k) => ({ k, child: spawnSigner(k.home, ['--json', 'listen', '--yes', '--exit-after', '1'], env) }));
  const done = listeners.map(({ k, child }) => waitForExit(child, `${k.name}'s signer`, 180_000));
  say(`4. ${bob.name} and ${carol.name} run "listen" and wait for signing requests over WebSocket`);

  const proposal = await signer(alice.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', String(AMOUNT), '--fee-rate', '2'], env);
  const withdrawalId = String(proposal.withdrawalId);
  say(`5. ${alice.name} proposed withdrawal ${withdrawalId}: ${AMOUNT} sats to ${DESTINATION} at 2 sat/vB (needs both coins)`);

  await Promise.all(done);
  say('6. both signers verified the PSBT against the signed intent and their pinned descriptor, committed to fresh nonces,');
  say('   checked the signing session, destroyed their nonces durably and sent their shares; the coordinator aggregated');

  const { state, hex } = await finalTransaction(signer, alice.home, withdrawalId, root, env);

  say('8. independent check with @scure/btc-signer, @noble/curves and bitcoinjs-lib:');
  const findings = verifyFrostTransaction({
    txHex: hex,
    inputs: addresses.map((address, vout) => ({ txid: funding.txid, vout, amount: DEPOSITS[vout]!, address })),
    destination: { address: DESTINATION, amount: AMOUNT },
    vault: { groupXpub: groupXpubOf(vault.descriptor), changeIndex: 0 },
  });
  for (const line of findings) say(`   ${line}`);

  return auditAndVerdict(signer, bob, env, state, findings);
}
