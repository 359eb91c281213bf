/**
 * The signing flow of `listen` with a stub coordinator: verify, confirm, journal durably,
 * sign, submit (DESIGN.md invariants 3 and 9).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WithdrawalSignature } from '../../protocol/api';
import { deriveVaultScript, descriptorHash, formatVaultDescriptor } from '../../protocol/descriptor';
import type { Envelope } from '../../protocol/envelope';
import { policyHash } from '../../protocol/policy';
import { verifyPartialSignatures } from '../../protocol/psbt';
import {
  ATTACKER, MNEMONICS, NOW, POLICY, VAULT_ID, alice, bob, carol, psbt, vault, verifyInput,
} from '../../test/support/withdrawal-fixture';
import type { CoordinatorClient } from '../coordinator/client';
import type { WithdrawalViewParsed } from '../coordinator/views';
import { createKeystore, unlockKeystore, type UnlockedKeystore } from '../keystore/keystore';
import { TEST_SCRYPT } from '../keystore/keystore-format';
import { StateStore } from '../state/state-file';
import { processSigningRequest, type SigningDeps } from './sign-withdrawal';

const PASSPHRASE = 'correct horse battery staple';

function withdrawalView(options: Parameters<typeof verifyInput>[0] = {}): WithdrawalViewParsed {
  const { withdrawal } = verifyInput(options);
  return {
    ...withdrawal, approvals: [...withdrawal.approvals], vaultId: VAULT_ID, state: 'signing', requestId: 'req-1', proposedBy: alice.identityKey,
    unsignedTxid: '00'.repeat(32), fee: '1000', signatures: [], txid: null, txHex: null,
    createdAt: NOW.toISOString(), updatedAt: NOW.toISOString(),
  };
}

function setup() {
  const home = mkdtempSync(join(tmpdir(), 'conclave-signing-'));
  // Alice's seed, so this keystore's account key is the vault's first key.
  createKeystore(home, { network: 'regtest', passphrase: PASSPHRASE, kdf: TEST_SCRYPT, mnemonic: MNEMONICS[0], now: NOW });
  const keystore: UnlockedKeystore = unlockKeystore(home, PASSPHRASE);
  const state = new StateStore(home);
  state.update((s) => {
    s.vaults.push({
      vaultId: VAULT_ID, name: 'treasury', network: 'regtest', threshold: 2,
      descriptor: formatVaultDescriptor(vault), descriptorHash: descriptorHash(vault),
      members: [alice, bob, carol].map((k, i) => ({ identityKey: k.identityKey, name: `k${i}`, fingerprint: '' })),
      ownIndex: 0, firstAddress: deriveVaultScript(vault, 0, 0).address, policy: POLICY, policyHash: policyHash(POLICY), pinnedAt: NOW.toISOString(),
    });
  });
  const submitted: Array<Envelope<WithdrawalSignature>> = [];
  const post = jest.fn(async (_path: string, envelope: unknown) => {
    submitted.push(envelope as Envelope<WithdrawalSignature>);
    return { status: 200, data: { ...withdrawalView(), signatures: [{ identityKey: keystore.identityKey, fingerprint: '', createdAt: '' }] } };
  });
  const confirm = jest.fn(async () => true);
  const deps: SigningDeps = {
    client: { post } as unknown as CoordinatorClient,
    state, keystore, now: () => NOW, confirm, show: () => undefined,
  };
  return { deps, state, post, confirm, submitted, keystore };
}

const oracle = { threshold: 2, fingerprints: vault.keys.map((k) => k.fingerprint), derive: (c: 0 | 1, i: number) => deriveVaultScript(vault, c, i) };

describe('processSigningRequest', () => {
  test('journals the signature durably before it is submitted, then marks it submitted', async () => {
    const { deps, state, post, submitted, keystore } = setup();
    post.mockImplementationOnce(async (_path: string, envelope: unknown) => {
      // The coordinator sees the signature only once the journal on disk has it.
      expect(new StateStore(state.home).read().journal).toEqual([expect.objectContaining({ submittedAt: null })]);
      submitted.push(envelope as Envelope<WithdrawalSignature>);
      return { status: 200, data: withdrawalView() };
    });
    const w = withdrawalView();
    const outcome = await processSigningRequest(deps, w, { yes: false });
    expect(outcome.status).toBe('signed');
    expect(submitted).toHaveLength(1);
    expect(submitted[0].type).toBe('withdrawal.signature');
    expect(submitted[0].signer).toBe(keystore.identityKey);
    expect(submitted[0].body).toMatchObject({ withdrawalId: w.id, intentHash: w.intentHash });
    expect(submitted[0].body.partialSigs).toHaveLength(1);
    expect(() => verifyPartialSignatures(w.psbt, submitted[0].body.partialSigs ?? [], oracle)).not.toThrow();
    expect(state.read().journal).toEqual([expect.objectContaining({ withdrawalId: w.id, submittedAt: NOW.toISOString() })]);
  });

  test('refuses a withdrawal that fails verification: nothing journaled, nothing sent', async () => {
    const { deps, state, post, confirm } = setup();
    const outcome = await processSigningRequest(deps, withdrawalView({ psbt: psbt({ outputs: [{ address: ATTACKER, amount: 400_000n }] }) }), { yes: true });
    expect(outcome).toMatchObject({ status: 'refused', reasons: expect.arrayContaining([expect.stringMatching(/does not pay 400000 sat/)]) });
    expect(post).not.toHaveBeenCalled();
    expect(confirm).not.toHaveBeenCalled();
    expect(state.read().journal).toEqual([]);
  });

  test('a keyholder who declines at the prompt signs nothing', async () => {
    const { deps, state, post, confirm } = setup();
    confirm.mockResolvedValueOnce(false);
    expect((await processSigningRequest(deps, withdrawalView(), { yes: false })).status).toBe('declined');
    expect(post).not.toHaveBeenCalled();
    expect(state.read().journal).toEqual([]);
  });

  test('after a crash between journal and submission, the same signature is resumed without asking again', async () => {
    const { deps, state, post, confirm, submitted } = setup();
    post.mockImplementationOnce(async (_path: string, envelope: unknown) => {
      submitted.push(envelope as Envelope<WithdrawalSignature>);
      throw new Error('killed before the coordinator answered');
    });
    await expect(processSigningRequest(deps, withdrawalView(), { yes: false })).rejects.toThrow('killed');
    expect(state.read().journal).toEqual([expect.objectContaining({ submittedAt: null })]);

    const outcome = await processSigningRequest(deps, withdrawalView(), { yes: false });
    expect(outcome).toMatchObject({ status: 'signed', resumed: true });
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(submitted[1].body.partialSigs).toEqual(submitted[0].body.partialSigs);
    expect(state.read().journal).toEqual([expect.objectContaining({ submittedAt: NOW.toISOString() })]);
  });

  test('a rebuilt transaction for an intent already signed is not signed again', async () => {
    const { deps, post } = setup();
    await processSigningRequest(deps, withdrawalView(), { yes: true });
    post.mockClear();
    const rebuilt = withdrawalView({ psbt: psbt({ change: [{ change: 1, index: 1, amount: 99_000n }] }) });
    const outcome = await processSigningRequest(deps, { ...rebuilt, signatures: [] }, { yes: true });
    expect(outcome).toMatchObject({ status: 'skipped' });
    expect(post).not.toHaveBeenCalled();
  });

  test('a rebuilt transaction for an intent journaled but not yet delivered is refused', async () => {
    const { deps, post } = setup();
    post.mockRejectedValueOnce(new Error('coordinator went away'));
    await expect(processSigningRequest(deps, withdrawalView(), { yes: true })).rejects.toThrow('went away');
    const rebuilt = withdrawalView({ psbt: psbt({ change: [{ change: 1, index: 1, amount: 99_000n }] }) });
    expect(await processSigningRequest(deps, rebuilt, { yes: true }))
      .toMatchObject({ status: 'refused', reasons: [expect.stringMatching(/already signed for this intent; a second transaction could pay twice/)] });
    expect(post).toHaveBeenCalledTimes(1);
  });

  test('skips what this signer already signed, and vaults it has not pinned', async () => {
    const { deps, post, keystore } = setup();
    const mine = { ...withdrawalView(), signatures: [{ identityKey: keystore.identityKey, fingerprint: '', createdAt: '' }] };
    expect(await processSigningRequest(deps, mine, { yes: true })).toMatchObject({ status: 'skipped', reason: 'already signed by this signer' });
    const elsewhere = { ...withdrawalView(), vaultId: '11111111-2222-4333-8444-555555555555' };
    expect(await processSigningRequest(deps, elsewhere, { yes: true })).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/not pinned/) });
    expect(await processSigningRequest(deps, { ...withdrawalView(), state: 'approved' }, { yes: true })).toMatchObject({ status: 'skipped' });
    expect(post).not.toHaveBeenCalled();
  });

  test('a PSBT this signer cannot sign leaves no journal entry that would block an honest rebuild', async () => {
    const { deps, state, post } = setup();
    // Verification passes (it reads only pinned, public data), but this keystore's account key
    // is not in the vault, so signing fails: that must happen before anything is journaled.
    const home = mkdtempSync(join(tmpdir(), 'conclave-signing-other-'));
    createKeystore(home, { network: 'regtest', passphrase: PASSPHRASE, kdf: TEST_SCRYPT, mnemonic: MNEMONICS[3], now: NOW });
    const stranger = unlockKeystore(home, PASSPHRASE);
    await expect(processSigningRequest({ ...deps, keystore: stranger }, withdrawalView(), { yes: true })).rejects.toThrow();
    expect(post).not.toHaveBeenCalled();
    expect(state.read().journal).toEqual([]);
  });

  test('a made-up withdrawal id never reaches state.json', async () => {
    const { state } = setup();
    expect(() => state.update((s) => void s.journal.push({
      withdrawalId: 'x', vaultId: VAULT_ID, intentHash: '00'.repeat(32), unsignedTxid: '00'.repeat(32), inputs: [], signedAt: NOW.toISOString(), submittedAt: null,
    }))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(state.read().journal).toEqual([]);
  });
});
