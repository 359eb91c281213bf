/**
 * Malicious-coordinator suite, governed policy (DESIGN.md "Policy", issue 5 point 4): the vault
 * is formed through the real processes with `vault create --policy-file` and pinned by all three
 * keyholders; its rules say one approval by an approver, at most 1,000,000 sat per day, and only
 * address-book destinations. Bob's pinned address book has moved on since (three entries); the
 * test writes it through the signer's own state module, as `governance sync` would after a
 * quorum-approved change, so the scenarios need no governance round trips.
 *
 * The proxy plays a compromised coordinator: it presents Bob's real `listen` withdrawals of the
 * vault's real coins that it made up (signed intents by Alice, the proposer, who is not under
 * test), answers their signature uploads itself, and hides whatever it likes. Bob decides by his
 * pinned policy, his clock and his own journal only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p2wpkh } from '@scure/btc-signer';
import { MESSAGE_TYPES, type WithdrawalIntent, type WithdrawalView } from '../../protocol/api';
import { deriveVaultScript } from '../../protocol/descriptor';
import { intentHash } from '../../protocol/intent/intent-hash';
import { networkParams } from '../../protocol/network';
import { type GovernedPolicy, policyHash } from '../../protocol/policy';
import { type PolicyRules, policyRulesHash } from '../../protocol/policy-engine';
import { buildWithdrawalPsbt } from '../../protocol/psbt';
import { type UnlockedKeystore, unlockKeystore } from '../../signer-cli/keystore/keystore';
import { StateStore, findPinned } from '../../signer-cli/state/state-file';
import {
  ATTACKER_ADDRESS, DB_LABEL, DESTINATION, type Line, type Listener, PASSPHRASE, type Stage, closeStage, expectRefused, expectSignedNothing, formVault,
  fund, journal, listen, mallory, openStage, serveWithdrawal, settle, signersAtCoordinator, vaultDescriptor,
} from './harness';

const DAY = 24 * 3600_000;
const address = (seed: number) => p2wpkh(secp256k1.getPublicKey(new Uint8Array(32).fill(seed), true), networkParams('regtest')).address as string;
/** Approved an hour ago: still cooling off (two days). */
const FRESH = address(61);
/** Approved 100 days ago and never paid: expired after 90 days unused. */
const STALE = address(62);

const RULES: PolicyRules = {
  format: 2,
  version: 1,
  maxFeeSats: '100000',
  maxFeeRate: '100',
  withdrawals: {
    proposerGroups: ['keyholders'],
    tiers: [{ name: 'standard', upToSats: '5000000', approvals: [{ group: 'approvers', count: 1 }], delaySeconds: 0 }],
    velocity: [{ windowSeconds: 24 * 3600, capSats: '1000000' }],
  },
  addressBook: { quorum: [{ group: 'keyholders', count: 1 }], coolingOffSeconds: 2 * 24 * 3600, expireAfterDisuseSeconds: 90 * 24 * 3600 },
  changes: {
    policy: { quorum: [{ group: 'keyholders', count: 1 }], delaySeconds: 3600 },
    members: { quorum: [{ group: 'keyholders', count: 1 }], delaySeconds: 3600, whenSubjectIn: [] },
  },
};

describe(`a signer behind a tampering coordinator enforces its pinned governed policy (${DB_LABEL})`, () => {
  let stage: Stage;
  let carol: UnlockedKeystore;
  let funding: { txid: string; hex: string };
  let nextCoin = 0;

  beforeAll(async () => {
    stage = await openStage();
    const { alice, bob, carol: c } = stage.keyholders;
    const file = join(mkdtempSync(join(tmpdir(), 'conclave-policy-')), 'policy.json');
    writeFileSync(file, JSON.stringify({
      rules: RULES,
      members: [
        { identityKey: alice.identityKey, name: 'alice', groups: ['keyholders'] },
        { identityKey: bob.identityKey, name: 'bob', groups: ['keyholders', 'approvers'] },
        { identityKey: c.identityKey, name: 'carol', groups: ['approvers', 'keyholders'] },
      ],
    }));
    const vault = await formVault(stage, { createArgs: ['--policy-file', file] });
    expect(vault.policy).toMatchObject({ version: 2, addressBook: { revision: 0, entries: [] } });
    expect(vault.policyHash).toBe(policyRulesHash(RULES));
    funding = await fund(stage, 12, 1_000_000n);
    carol = unlockKeystore(c.home, PASSPHRASE);
    pinForBob((policy) => ({
      ...policy,
      addressBook: {
        revision: 3,
        entries: [
          { address: DESTINATION, label: 'payroll', approvedAt: new Date(Date.now() - 30 * DAY).toISOString(), changeId: 'a1'.repeat(32) },
          { address: FRESH, label: 'new supplier', approvedAt: new Date(Date.now() - 3600_000).toISOString(), changeId: 'a2'.repeat(32) },
          { address: STALE, label: 'old supplier', approvedAt: new Date(Date.now() - 100 * DAY).toISOString(), changeId: 'a3'.repeat(32) },
        ],
      },
    }));
  });
  afterAll(async () => {
    carol?.wipe();
    await closeStage(stage);
  });

  /** Bob's pinned policy moved on, written under his state lock as a quorum-approved change would be. */
  function pinForBob(edit: (policy: GovernedPolicy) => GovernedPolicy): void {
    new StateStore(stage.keyholders.bob.home).update((state) => {
      const pinned = findPinned(state, stage.vault!.id);
      if (pinned.policy.version !== 2) throw new Error('the vault was not pinned with a governed policy');
      pinned.policy = edit(pinned.policy);
      pinned.policyHash = policyHash(pinned.policy);
    });
  }

  interface Made { view: WithdrawalView; intent: WithdrawalIntent }

  /** A withdrawal the coordinator never had: Alice's signed intent, a PSBT of the next unspent coin, the approvals given. */
  function makeUp(options: { to?: string; amount?: bigint; rules?: PolicyRules; approvals?: (intent: WithdrawalIntent, id: string) => unknown[] } = {}): Made {
    const vaultId = stage.vault!.id;
    const id = randomUUID();
    const amount = options.amount ?? 300_000n;
    const to = options.to ?? DESTINATION;
    const coin = nextCoin++;
    const descriptor = vaultDescriptor(stage);
    const intent: WithdrawalIntent = {
      vaultId, network: 'regtest', requestId: `adv-${randomBytes(6).toString('hex')}`, outputs: [{ address: to, amount: amount.toString() }],
      feeRate: '20', maxFee: '10000', memo: 'policy tampering suite', expiresAt: new Date(Date.now() + DAY).toISOString(),
      policyHash: policyRulesHash(options.rules ?? RULES),
    };
    const psbt = buildWithdrawalPsbt({
      network: 'regtest',
      inputs: [{ txid: funding.txid, vout: coin, prevTxHex: funding.hex, script: deriveVaultScript(descriptor, 0, 0) }],
      outputs: [{ address: to, amount }],
      change: { script: deriveVaultScript(descriptor, 1, coin), amount: 1_000_000n - amount - 1_000n },
      globalXpubs: [],
      locktime: 0,
    });
    const now = new Date().toISOString();
    const approvals = options.approvals?.(intent, id) ?? [approvalBy(carol, intent, id)];
    const view: WithdrawalView = {
      id, vaultId, state: 'signing', requestId: intent.requestId, intent, intentHash: intentHash(intent),
      proposal: stage.proposer!.signEnvelope(MESSAGE_TYPES.withdrawalPropose, intent, { now: new Date() }), proposedBy: stage.keyholders.alice.identityKey,
      psbt, unsignedTxid: '', fee: '1000', approvals, signatures: [], txid: null, txHex: null, createdAt: now, updatedAt: now,
    };
    return { view, intent };
  }

  function approvalBy(who: { signEnvelope: UnlockedKeystore['signEnvelope'] }, intent: WithdrawalIntent, withdrawalId: string): unknown {
    return who.signEnvelope(MESSAGE_TYPES.withdrawalApprove, { withdrawalId, vaultId: intent.vaultId, intentHash: intentHash(intent) }, { now: new Date() });
  }

  /**
   * Serves the made-up withdrawal to Bob's listener and answers his signature upload itself (the
   * real coordinator never heard of it), pushes him the signing request, returns his decision.
   */
  async function present({ view }: Made): Promise<{ outcome: Line; listener: Listener; since: number }> {
    const { bob } = stage.keyholders;
    const since = stage.proxy.requests.length;
    const stopServing = serveWithdrawal(stage, view);
    const stopAccepting = stage.proxy.rewrite(({ method, path }) => (method === 'POST' && path === `/api/v1/withdrawals/${view.id}/signatures`
      ? { status: 201, body: { ...view, state: 'signed', signatures: [{ identityKey: bob.identityKey, fingerprint: bob.fingerprint, createdAt: new Date().toISOString() }] } }
      : undefined));
    const listener = await listen(stage, bob);
    let outcome: Line | undefined;
    try {
      expect(stage.proxy.inject({ kind: 'signing.requested', vaultId: view.vaultId, withdrawalId: view.id }, bob.identityKey)).toBe(1);
      outcome = await listener.outcome(view.id);
      return { outcome, listener, since };
    } finally {
      await settle(listener, outcome);
      stopServing();
      stopAccepting();
    }
  }

  async function expectSigned(made: Made): Promise<void> {
    const { outcome, listener } = await present(made);
    expect(outcome).toMatchObject({ event: 'signed', withdrawalId: made.view.id });
    expect(await listener.exited).toBe(0);
    expect(journal(stage.keyholders.bob).find((e) => e.withdrawalId === made.view.id)).toMatchObject({
      amountSats: made.intent.outputs[0]!.amount, destinations: [made.intent.outputs[0]!.address],
    });
  }

  async function expectRefusal(made: Made, ...patterns: RegExp[]): Promise<void> {
    const { outcome, listener, since } = await present(made);
    expectRefused(outcome, ...patterns);
    await expectSignedNothing(stage, made.view.id, since, listener);
  }

  it('signs a withdrawal to a pinned, usable address with an approver\'s approval (control)', async () => {
    await expectSigned(makeUp());
  });

  it('refuses a forged address-book entry: an address Bob never pinned, with fake approvals', async () => {
    // The coordinator's own vault view lists the attacker's address as approved; Bob never looks there.
    const stopBook = stage.proxy.rewrite(({ method, path, body }) => (method === 'GET' && path === `/api/v1/vaults/${stage.vault!.id}`
      ? { body: { ...(body as object), policy: { ...(stage.vault!.policy as GovernedPolicy), addressBook: { revision: 1, entries: [{ address: ATTACKER_ADDRESS, label: 'exchange', approvedAt: '2020-01-01T00:00:00.000Z', changeId: 'ff'.repeat(32) }] } } } }
      : undefined));
    try {
      await expectRefusal(makeUp({
        to: ATTACKER_ADDRESS,
        // A valid approval fills the tier, so the stranger's extra one is simply not counted;
        // the destination alone is what Bob refuses.
        approvals: (intent, id) => [approvalBy(carol, intent, id), mallory.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: id, vaultId: intent.vaultId, intentHash: intentHash(intent) })],
      }), new RegExp(`^intent\\.outputs\\[0\\]: ${ATTACKER_ADDRESS} is not in the address book; add it through its quorum first$`));
    } finally {
      stopBook();
    }
  });

  it('refuses a freshly added address before its cooling-off is over, by its own clock', async () => {
    await expectRefusal(makeUp({ to: FRESH }), new RegExp(`^intent\\.outputs\\[0\\]: ${FRESH} \\("new supplier"\\) is cooling off until .* \\(1 d 2[23] h .* left\\)$`));
  });

  it('refuses an address-book entry that expired unused', async () => {
    await expectRefusal(makeUp({ to: STALE }), new RegExp(`^intent\\.outputs\\[0\\]: the address-book entry for ${STALE} \\("old supplier"\\) expired at .* after 90 d unused; approve it again$`));
  });

  it('refuses the withdrawal that exceeds the velocity limit by its own journal, whatever the coordinator hides', async () => {
    // 300,000 signed in the control; two more make 900,000 within the day.
    await expectSigned(makeUp());
    await expectSigned(makeUp());
    // The coordinator shows no earlier withdrawal in any listing (the stage lists only what it is told to).
    expect(stage.listed.size).toBe(0);
    const over = makeUp();
    await expectRefusal(over, /^velocity: 900000 sat signed in the last 1 d plus this withdrawal's 300000 sat is 1200000 sat, over the cap of 1000000 sat by 200000 sat$/);
    expect(await signersAtCoordinator(stage, over.view.id)).toEqual([]);
  });

  it('refuses an intent made under the previous rule set once a change took effect', async () => {
    const next: PolicyRules = { ...RULES, version: 2, withdrawals: { ...RULES.withdrawals, velocity: [{ windowSeconds: 24 * 3600, capSats: '10000000' }] } };
    pinForBob((policy) => ({ ...policy, rules: next }));
    // The coordinator still presents intents naming version 1, as its own copy does.
    await expectRefusal(makeUp({ rules: RULES }), new RegExp(`^intent\\.policyHash: ${policyRulesHash(RULES)} is not the pinned rule set ${policyRulesHash(next)} \\(version 2\\); an older or another policy is never applied$`));
    // Under the rules now pinned (a higher cap), the same payment is signed.
    await expectSigned(makeUp({ rules: next }));
  });
});
