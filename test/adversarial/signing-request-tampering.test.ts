/**
 * Malicious-coordinator suite, the signing request (DESIGN.md invariant 3; issue 3, point 5).
 * The proxy hands Bob's real `listen` process a withdrawal whose PSBT or intent differs from
 * what the coordinator holds in exactly one attacked property (PSBTs forged with the real
 * BIP174 codec, intents with a recomputed intent hash), or replays what Bob signed before. In
 * each, Bob refuses with a reason that names the problem and signs nothing. The controls show
 * the same path signs an honest withdrawal that the proxy decoded and re-encoded.
 */
import { base64 } from '@scure/base';
import { addressToScript } from '../../protocol/address';
import type { WithdrawalIntent, WithdrawalView } from '../../protocol/api';
import { deriveVaultScript, type MultisigVaultDescriptor } from '../../protocol/descriptor';
import { intentHash } from '../../protocol/intent/intent-hash';
import { decodeRawPsbtV0 } from '../../protocol/psbt/raw';
import {
  ATTACKER_ADDRESS, DB_LABEL, DESTINATION, type Attack, type Stage, attack, closeStage, direct, editPsbt, expectRefused, expectSignedNothing,
  fakeWithdrawalId, foreignCoin, formVault, fund, journal, listen, mallory, openStage, outputFieldsFor, propose, serveWithdrawal, settle,
  signersAtCoordinator, tamperWithdrawal, trent,
} from './harness';

const attackerScript = addressToScript(ATTACKER_ADDRESS, 'regtest');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const rewritePsbt = (edit: Parameters<typeof editPsbt>[1]) => (view: WithdrawalView): WithdrawalView => ({ ...view, psbt: editPsbt(view.psbt, edit) });

/** The intent as the proxy rewrites it, with a matching intent hash: only the proposer's signature is left to disagree. */
function rewriteIntent(view: WithdrawalView, edit: (intent: WithdrawalIntent) => void): WithdrawalView {
  edit(view.intent);
  return { ...view, intentHash: intentHash(view.intent) };
}

describe(`a signer behind a tampering coordinator refuses an altered signing request (${DB_LABEL})`, () => {
  let stage: Stage;
  /** Another 2-of-3 that holds Bob's own account key next to two of the attacker's. */
  let bobAndAttackers: MultisigVaultDescriptor;
  let expiring: WithdrawalView;
  let honest: Promise<Attack> | undefined;
  /** Withdrawal A: honest, decoded and re-encoded by the proxy, signed by Bob; the replays present it again. */
  const signedEarlier = () => (honest ??= attack(stage, { edit: rewritePsbt(() => undefined) }));

  beforeAll(async () => {
    stage = await openStage();
    // Policy cap 50,000 sat; the intents allow 100,000 unless a test says otherwise.
    await formVault(stage, { createArgs: ['--max-fee', '50000'] });
    await fund(stage, 20, 1_000_000n);
    const bobKey = stage.vault!.members.find((m) => m.identityKey === stage.keyholders.bob.identityKey)!.accountKey;
    bobAndAttackers = { kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: [bobKey, mallory.accountKey, trent.accountKey] };
    // Proposed now, checked last: by then its intent has expired. Nobody listens yet.
    expiring = await propose(stage, { expiresAt: new Date(Date.now() + 6_000).toISOString() });
  });
  afterAll(() => closeStage(stage));

  describe('the PSBT', () => {
    it('signs an honest withdrawal that the proxy decoded and re-encoded (control)', async () => {
      const { withdrawal, outcome, listener } = await signedEarlier();
      expect(outcome).toMatchObject({ event: 'signed', withdrawalId: withdrawal.id });
      expect(await listener.exited).toBe(0);
      expect(journal(stage.keyholders.bob).filter((e) => e.withdrawalId === withdrawal.id)).toHaveLength(1);
      expect(await signersAtCoordinator(stage, withdrawal.id)).toEqual([stage.keyholders.bob.identityKey]);
    });

    it('refuses a PSBT that pays the attacker instead of the approved destination', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => { raw.global.unsignedTx.outputs[0]!.script = attackerScript; }),
      });
      expectRefused(outcome,
        new RegExp(`^intent\\.outputs\\[0\\]: the PSBT does not pay 100000 sat to ${DESTINATION}$`),
        new RegExp(`^psbt/output\\[0\\]: pays 100000 sat to ${ATTACKER_ADDRESS}, which is neither in the intent nor change of this vault$`));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it('refuses a PSBT that pays the destination another amount than the intent', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => {
          raw.global.unsignedTx.outputs[0]!.amount += 10_000n;
          raw.global.unsignedTx.outputs[1]!.amount -= 10_000n;
        }),
      });
      expectRefused(outcome,
        /^intent\.outputs\[0\]: the PSBT does not pay 100000 sat to /,
        new RegExp(`^psbt/output\\[0\\]: pays 110000 sat to ${DESTINATION}, which is neither in the intent nor change of this vault$`));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it('refuses a PSBT with an output added for the attacker', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => {
          raw.global.unsignedTx.outputs.push({ amount: 50_000n, script: attackerScript });
          raw.outputs.push({});
          raw.global.unsignedTx.outputs[1]!.amount -= 50_000n;
        }),
      });
      expectRefused(outcome, new RegExp(`^psbt/output\\[2\\]: pays 50000 sat to ${ATTACKER_ADDRESS}, which is neither in the intent nor change of this vault$`));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it('refuses change sent to an address outside the vault', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => {
          raw.global.unsignedTx.outputs[1]!.script = attackerScript;
          raw.outputs[1] = {};
        }),
      });
      expectRefused(outcome, new RegExp(`^psbt/output\\[1\\]: pays \\d+ sat to ${ATTACKER_ADDRESS}, which is neither in the intent nor change of this vault$`));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it("refuses change to another 2-of-3 made of the signer's own key and two attacker keys", async () => {
      const lookalike = deriveVaultScript(bobAndAttackers, 1, 0);
      // The script really holds Bob's key: his signer would recognise a derivation of its own in it.
      const bobsChild = deriveVaultScript({ ...bobAndAttackers, threshold: 1, keys: [bobAndAttackers.keys[0]!] }, 1, 0).keys[0]!.pubkey;
      expect(lookalike.keys.some((k) => Buffer.from(k.pubkey).equals(Buffer.from(bobsChild)))).toBe(true);
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => {
          raw.global.unsignedTx.outputs[1]!.script = lookalike.scriptPubKey;
          raw.outputs[1] = outputFieldsFor(lookalike);
        }),
      });
      expectRefused(outcome, new RegExp(`^psbt/output\\[1\\]: pays \\d+ sat to ${lookalike.address}, which is neither in the intent nor change of this vault$`));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it('refuses an input whose witness UTXO claims more than its previous transaction pays (CVE-2020-14199)', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => { raw.inputs[0]!.witnessUtxo!.amount += 500_000n; }),
      });
      expectRefused(outcome, /^psbt\/input\[0\]: witness_utxo does not match output \d+ of the previous transaction$/);
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it('refuses an input that comes without its full previous transaction', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => { delete raw.inputs[0]!.nonWitnessUtxo; }),
      });
      expectRefused(outcome, /^psbt\/input\[0\]: no full previous transaction, so its amount is unproven$/);
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it("refuses a fee above the intent's cap", async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        propose: { maxFee: '20000' },
        edit: rewritePsbt((raw) => { raw.global.unsignedTx.outputs[1]!.amount -= 30_000n; }),
      });
      expectRefused(outcome, /^fee: 3\d{4} sat exceeds the intent's cap of 20000 sat$/);
      expect(outcome.reasons).not.toEqual(expect.arrayContaining([expect.stringMatching(/policy's cap of 50000 sat$/)]));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it("refuses a fee above the pinned policy's cap even when the intent allows it", async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        propose: { maxFee: '100000' },
        edit: rewritePsbt((raw) => { raw.global.unsignedTx.outputs[1]!.amount -= 60_000n; }),
      });
      expectRefused(outcome, /^fee: 6\d{4} sat exceeds the policy's cap of 50000 sat$/);
      expect(outcome.reasons).not.toEqual(expect.arrayContaining([expect.stringMatching(/intent's cap/)]));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it("refuses an input from outside the vault, even one the signer's key could sign", async () => {
      const coin = foreignCoin(deriveVaultScript(bobAndAttackers, 0, 0), 200_000n);
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: rewritePsbt((raw) => {
          raw.global.unsignedTx.inputs.push({ ...coin.txInput, sequence: raw.global.unsignedTx.inputs[0]!.sequence });
          raw.inputs.push(coin.map);
          // The foreign coin's value goes to the vault's change, so the fee is unchanged.
          raw.global.unsignedTx.outputs[1]!.amount += coin.amount;
        }),
      });
      expectRefused(outcome, new RegExp(`^psbt/input\\[1\\]: ${escape(coin.outpoint)} is not a coin of this vault$`));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });
  });

  describe('the intent', () => {
    it('refuses an intent rewritten for another network', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: (view) => rewriteIntent(view, (intent) => { intent.network = 'testnet'; }),
      });
      expectRefused(outcome,
        /^intent\.network: testnet, but this signer runs on regtest$/,
        /^proposal: the signed intent differs from the intent this withdrawal carries$/);
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });

    it('refuses a destination swapped in the intent and the PSBT alike: the proposer never signed it', async () => {
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        edit: (view) => ({
          ...rewriteIntent(view, (intent) => { intent.outputs[0]!.address = ATTACKER_ADDRESS; }),
          psbt: editPsbt(view.psbt, (raw) => { raw.global.unsignedTx.outputs[0]!.script = attackerScript; }),
        }),
      });
      // The forged PSBT does implement the forged intent; only the proposer's signature tells.
      expect(outcome.reasons).toEqual(['proposal: the signed intent differs from the intent this withdrawal carries']);
      expectRefused(outcome);
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });
  });

  describe('replays', () => {
    it("refuses A's signed content replayed under a new withdrawal id", async () => {
      const { withdrawal: a } = await signedEarlier();
      const { bob } = stage.keyholders;
      const since = stage.proxy.requests.length;
      const replayed: WithdrawalView = { ...await direct<WithdrawalView>(stage, `/api/v1/withdrawals/${a.id}`), id: fakeWithdrawalId(), signatures: [] };
      const stopServing = serveWithdrawal(stage, replayed);
      const listener = await listen(stage, bob);
      try {
        expect(stage.proxy.inject({ kind: 'signing.requested', vaultId: a.vaultId, withdrawalId: replayed.id }, bob.identityKey)).toBe(1);
        expectRefused(await listener.outcome(replayed.id),
          new RegExp(`^journal: this intent was already signed for withdrawal ${a.id}; signing it again could pay twice$`));
      } finally {
        await listener.stop();
        stopServing();
      }
      await expectSignedNothing(stage, replayed.id, since, listener);
      expect(journal(bob).filter((e) => e.withdrawalId === a.id)).toHaveLength(1);
    });

    it('signs nothing twice when the signing request of A is re-sent with its signature hidden', async () => {
      const { withdrawal: a } = await signedEarlier();
      const { bob } = stage.keyholders;
      const since = stage.proxy.requests.length;
      const stopHiding = tamperWithdrawal(stage, a.requestId, (view) => ({ ...view, signatures: [] }));
      const listener = await listen(stage, bob);
      let outcome;
      try {
        expect(stage.proxy.inject({ kind: 'signing.requested', vaultId: a.vaultId, withdrawalId: a.id }, bob.identityKey)).toBe(1);
        outcome = await listener.outcome(a.id);
      } finally {
        await settle(listener, outcome);
        stopHiding();
      }
      // The journal entry of A says it was signed and delivered: nothing is verified or signed again.
      expect(outcome).toMatchObject({ event: 'skipped', reason: 'already signed by this signer' });
      expect(journal(bob).filter((e) => e.withdrawalId === a.id)).toHaveLength(1);
      expect(stage.proxy.requestsSince(since, 'POST', /\/signatures$/)).toEqual([]);
      expect(await signersAtCoordinator(stage, a.id)).toEqual([bob.identityKey]);
    });

    it('refuses another intent presented under the id of A', async () => {
      const { withdrawal: a } = await signedEarlier();
      const { bob } = stage.keyholders;
      const other = await propose(stage); // honest and pending; nobody listens while it is proposed
      const since = stage.proxy.requests.length;
      const stopServing = serveWithdrawal(stage, { ...await direct<WithdrawalView>(stage, `/api/v1/withdrawals/${other.id}`), id: a.id, signatures: [] });
      const listener = await listen(stage, bob);
      try {
        expect(stage.proxy.inject({ kind: 'signing.requested', vaultId: a.vaultId, withdrawalId: a.id }, bob.identityKey)).toBe(1);
        expectRefused(await listener.outcome(a.id),
          new RegExp(`^journal: withdrawal ${a.id} was already signed for another intent \\(${a.intentHash}\\)$`));
      } finally {
        await listener.stop();
        stopServing();
      }
      expect(listener.lines.filter((l) => l.event === 'signed')).toEqual([]);
      expect(journal(bob).filter((e) => e.withdrawalId === a.id)).toEqual([expect.objectContaining({ intentHash: a.intentHash })]);
      expect(stage.proxy.requestsSince(since, 'POST', /\/signatures$/)).toEqual([]);
      expect(await signersAtCoordinator(stage, other.id)).toEqual([]);
    });

    it('refuses a new withdrawal whose PSBT spends the coin it already signed away in A', async () => {
      const { withdrawal: a } = await signedEarlier();
      const spentInA = decodeRawPsbtV0(base64.decode(a.psbt));
      const coinOfA = journal(stage.keyholders.bob).find((e) => e.withdrawalId === a.id)!.inputs[0]!;
      const { withdrawal, outcome, listener, since } = await attack(stage, {
        // Every coin pays the same vault address the same amount, so only the outpoint changes.
        edit: (view) => ({
          ...view,
          psbt: editPsbt(view.psbt, (raw) => {
            raw.global.unsignedTx.inputs[0] = { ...spentInA.global.unsignedTx.inputs[0]!, sequence: raw.global.unsignedTx.inputs[0]!.sequence };
            raw.inputs[0] = spentInA.inputs[0]!;
          }),
        }),
      });
      expectRefused(outcome, new RegExp(`^journal: coin ${coinOfA} was already signed away for withdrawal ${a.id} \\(another intent\\)$`));
      await expectSignedNothing(stage, withdrawal.id, since, listener);
    });
  });

  describe('expiry', () => {
    const untilExpired = async () => {
      const wait = Date.parse(expiring.intent.expiresAt) + 250 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      stage.listed.add(expiring.id); // the listener finds it as a stalled withdrawal when it connects
    };

    it('refuses a withdrawal whose intent has expired', async () => {
      await untilExpired();
      const since = stage.proxy.requests.length;
      const listener = await listen(stage, stage.keyholders.bob);
      let outcome;
      try {
        outcome = await listener.outcome(expiring.id);
      } finally {
        await settle(listener, outcome);
      }
      expectRefused(outcome!, new RegExp(`^intent\\.expiresAt: the intent expired at ${expiring.intent.expiresAt.replace(/\./g, '\\.')}$`));
      await expectSignedNothing(stage, expiring.id, since, listener);
    });

    it('refuses the expired intent with its expiry pushed back: the proposal signature no longer verifies', async () => {
      await untilExpired();
      const later = new Date(Date.now() + 24 * 3600_000).toISOString();
      const stopRewriting = tamperWithdrawal(stage, expiring.requestId, (view) => {
        (view.proposal as { body: WithdrawalIntent }).body.expiresAt = later;
        return rewriteIntent(view, (intent) => { intent.expiresAt = later; });
      });
      const since = stage.proxy.requests.length;
      const listener = await listen(stage, stage.keyholders.bob);
      let outcome;
      try {
        outcome = await listener.outcome(expiring.id);
      } finally {
        await settle(listener, outcome);
        stopRewriting();
      }
      expect(outcome!.reasons).toEqual([`proposal: envelope.sig: signature by ${expiring.proposedBy} does not verify`]);
      expectRefused(outcome!);
      await expectSignedNothing(stage, expiring.id, since, listener);
    });
  });
});
