/**
 * A keyholder's FROST key generation through a coordinator (dkg-runner.ts), against an
 * in-memory coordinator that keeps the setup contract: three signers end with one pinned
 * vault; a crash at any durable step resumes with the saved messages, never fresh ones
 * (equivocation); lost state refuses to start over; a dead, lying or aborted setup is refused;
 * and no secret reaches state.json, the coordinator or a share file in clear.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { ConclaveError } from '../../protocol/errors';
import {
  aggregateSignature, childSigningKey, commitNonces, frostVaultFromCertificate, signShare, verifyCertificate, type NonceCommitments,
} from '../../protocol/frost';
import { runDkg } from '../../protocol/frost/dkg.fixture';
import { deriveVaultScript, parseVaultDescriptor } from '../../protocol/descriptor';
import { runFrostDkg, type FrostDkgOutcome, type FrostDkgStep } from './dkg-runner';
import { dkgStatePath, loadFrostShare, sharePath } from './frost-files';
import { depsFor, FakeFrostCoordinator, keyholder, openSetup, type FixtureKeyholder } from './frost-relay.fixture';
import type { RelayedFrostSetup } from './relayed-frost-setup';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  return 'completed';
}

function trio(): [FixtureKeyholder, FixtureKeyholder, FixtureKeyholder] {
  return [keyholder('alice'), keyholder('bob'), keyholder('carol')];
}

const complete = (o: FrostDkgOutcome) => {
  if (o.status !== 'complete') throw new Error(`expected complete, got ${o.status}`);
  return o;
};

describe('FROST key generation, one keyholder\u2019s side', () => {
  let homes: string[] = [];
  afterEach(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    homes = [];
  });
  const people = () => {
    const t = trio();
    homes.push(...t.map((h) => h.home));
    return t;
  };

  test('2-of-3: all three pin the same FROST vault; the shares sign together; nothing secret leaves in clear', async () => {
    const coordinator = new FakeFrostCoordinator();
    const holders = people();
    const setup = await openSetup(coordinator, holders[0], holders);
    const outcomes = (await Promise.all(holders.map((h) => runFrostDkg(depsFor(coordinator, h), setup)))).map(complete);

    const [a, b, c] = outcomes.map((o) => o.pin);
    expect(a.kind).toBe('tr-frost');
    expect(new Set([a.vaultId, b.vaultId, c.vaultId]).size).toBe(1);
    expect(new Set([a.descriptor, b.descriptor, c.descriptor]).size).toBe(1);
    expect(new Set([a.firstAddress, b.firstAddress, c.firstAddress]).size).toBe(1);
    expect(outcomes.map((o) => o.pin.ownIndex)).toEqual([0, 1, 2]);
    expect(a.descriptor).toMatch(/^tr\(tpub[1-9A-HJ-NP-Za-km-z]+\/<0;1>\/\*\)#[a-z0-9]{8}$/);
    expect(a.firstAddress).toMatch(/^bcrt1p/);
    const vaultId = a.vaultId;

    // The pinned descriptor is the one the coordinator derives from the certificate alone.
    const certificate = coordinator.setups.get(setup.setupId)!.certificate!;
    expect(frostVaultFromCertificate(verifyCertificate(certificate), 'regtest').descriptor).toBe(a.descriptor);
    expect(deriveVaultScript(parseVaultDescriptor(a.descriptor, 'regtest', ['tr-frost']), 0, 0).address).toBe(a.firstAddress);

    const shares = holders.map((h) => loadFrostShare(h.secrets(), h.state.read(), vaultId));
    const shareHex = shares.map((s) => bytesToHex(s.share.signingShare));
    expect(new Set(shareHex).size).toBe(3);

    // Alice and Carol sign for receive address 0: the aggregate verifies under its output key.
    const msg = sha256(utf8ToBytes('frost runner test'));
    const signers = [shares[0], shares[2]].map((s) => childSigningKey(s.key, s.share, s.chainCode, 0, 0));
    const nonces = signers.map((k) => commitNonces(k.secret, (n) => new Uint8Array(randomBytes(n))));
    const list: NonceCommitments[] = nonces.map((n) => n.commitments);
    const sigShares = Object.fromEntries(signers.map((k, i) => [k.secret.identifier, signShare(k.secret, k.public, nonces[i].nonces, list, msg)]));
    const signature = aggregateSignature(signers[0].public, list, msg, sigShares, signers[0].outputKey);
    expect(schnorr.verify(signature, msg, signers[0].outputKey)).toBe(true);

    // Secrets: not in state.json, not in any file in clear, not in anything the coordinator received.
    const relayed = JSON.stringify(coordinator.received) + JSON.stringify([...coordinator.setups.values()].map((s) => ({ ...s, round1: [...s.round1.values()], round2: [...s.round2.values()], confirmations: [...s.confirmations.values()] })));
    for (const [i, h] of holders.entries()) {
      const files = [join(h.home, 'state.json'), ...readdirSync(join(h.home, 'frost')).map((f) => join(h.home, 'frost', f))];
      expect(readdirSync(join(h.home, 'frost'))).toEqual([`${setup.setupId}.share`]);
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const hex of shareHex) expect(text).not.toContain(hex);
      }
      expect(JSON.stringify(h.state.read())).not.toContain(shareHex[i]);
      expect(relayed).not.toContain(shareHex[i]);
      expect(h.state.read().vaults[0].frost).toMatchObject({ setupId: setup.setupId, identifier: shares[i].share.identifier });
    }
    // Redacted when printed or logged.
    expect(JSON.stringify(shares[0])).not.toContain(shareHex[0]);
    expect(inspect(shares[0])).not.toContain(shareHex[0]);
    for (const s of shares) s.wipe();

    // Run again: nothing sent, the same pin.
    const before = coordinator.received.length;
    const again = complete(await runFrostDkg(depsFor(coordinator, holders[1]), await coordinator.relay().setup(setup.setupId)));
    expect(again).toMatchObject({ alreadyPinned: true, pin: { vaultId } });
    expect(coordinator.received.length).toBe(before);
    // ...and a coordinator that later shows another vault for it is caught.
    coordinator.tamperVault = (vault) => ({ ...vault, descriptor: frostVaultFromCertificate(verifyCertificate(runDkg(2, 3, 'swapped').certificate), 'regtest').descriptor });
    expect(await codeOf(runFrostDkg(depsFor(coordinator, holders[1]), await coordinator.relay().setup(setup.setupId)))).toBe('PIN_MISMATCH');
  });

  const steps: FrostDkgStep[] = ['round1-saved', 'round1-sent', 'round2-saved', 'round2-sent', 'share-saved', 'confirmation-sent', 'pinned'];
  test.each(steps)('killed at %s, a rerun resumes from the sealed state and sends only what it sent before', async (step) => {
    const coordinator = new FakeFrostCoordinator();
    const [alice, bob, carol] = people();
    const setup = await openSetup(coordinator, alice, [alice, bob, carol]);
    const others = [alice, carol].map((h) => runFrostDkg(depsFor(coordinator, h), setup));
    const crash = async (at: FrostDkgStep) => {
      if (at === step) throw new Error(`killed at ${at}`);
    };
    await expect(runFrostDkg(depsFor(coordinator, bob, { checkpoint: crash }), setup)).rejects.toThrow(`killed at ${step}`);
    const resumed = complete(await runFrostDkg(depsFor(coordinator, bob), await coordinator.relay().setup(setup.setupId)));
    const done = (await Promise.all(others)).map(complete);
    expect(resumed.resumed).toBe(true);
    expect(resumed.pin.firstAddress).toBe(done[0].pin.firstAddress);
    expect(coordinator.setups.get(setup.setupId)!.state).toBe('complete');
    // Every message bob sent more than once is the same statement (the fake aborts on anything else).
    const bobs = coordinator.received.filter((r) => (r.body as { signer?: string; messages?: Array<{ signer: string }> }).signer === bob.identityKey
      || (r.body as { messages?: Array<{ signer: string }> }).messages?.[0]?.signer === bob.identityKey);
    const distinct = (route: string) => new Set(bobs.filter((r) => r.route === route).map((r) => JSON.stringify(r.body))).size;
    expect([distinct('round1'), distinct('round2'), distinct('confirm')]).toEqual([1, 1, 1]);
    expect(existsSync(dkgStatePath(bob.home, setup.setupId))).toBe(false);
    expect(existsSync(sharePath(bob.home, setup.setupId))).toBe(true);
  });

  test('with its round-1 message at the coordinator but its state lost, it refuses to start over (FROST_DKG_STATE_MISSING)', async () => {
    const coordinator = new FakeFrostCoordinator();
    const [alice, bob, carol] = people();
    const setup = await openSetup(coordinator, alice, [alice, bob, carol]);
    const crash = async (at: FrostDkgStep) => {
      if (at === 'round1-sent') throw new Error('killed');
    };
    await expect(runFrostDkg(depsFor(coordinator, bob, { checkpoint: crash }), setup)).rejects.toThrow('killed');
    rmSync(dkgStatePath(bob.home, setup.setupId));
    const sent = coordinator.received.length;
    expect(await codeOf(runFrostDkg(depsFor(coordinator, bob), await coordinator.relay().setup(setup.setupId)))).toBe('FROST_DKG_STATE_MISSING');
    expect(coordinator.received.length).toBe(sent);
    expect(coordinator.setups.get(setup.setupId)!.state).toBe('round1');
  });

  test('an aborted setup stops the run with the coordinator\u2019s FROST code; any other code is FROST_SETUP_ABORTED', async () => {
    const coordinator = new FakeFrostCoordinator();
    const [alice, bob, carol] = people();
    const setup = await openSetup(coordinator, alice, [alice, bob, carol]);
    const waiting = runFrostDkg(depsFor(coordinator, alice), setup);
    await new Promise((resolve) => setTimeout(resolve, 20));
    coordinator.abort(setup.setupId, 'FROST_DKG_EQUIVOCATION', 'participant 2 signed two different round-1 packages');
    expect(await codeOf(waiting)).toBe('FROST_DKG_EQUIVOCATION');
    coordinator.abort(setup.setupId, 'KEYSTORE_PASSPHRASE', 'a code only a signer may raise');
    expect(await codeOf(runFrostDkg(depsFor(coordinator, bob), await coordinator.relay().setup(setup.setupId)))).toBe('FROST_SETUP_ABORTED');
    expect(carol.state.read().vaults).toEqual([]);
  });

  test('past its deadline by this machine\u2019s clock, nothing is sent (FROST_SETUP_EXPIRED)', async () => {
    const coordinator = new FakeFrostCoordinator();
    const [alice, bob, carol] = people();
    const setup = await openSetup(coordinator, alice, [alice, bob, carol], { ttlMs: 60_000 });
    const later = () => new Date(Date.now() + 120_000);
    expect(await codeOf(runFrostDkg(depsFor(coordinator, bob, { now: later }), setup))).toBe('FROST_SETUP_EXPIRED');
    expect(coordinator.received.filter((r) => r.route !== 'open')).toEqual([]);
    expect(existsSync(dkgStatePath(bob.home, setup.setupId))).toBe(false);
  });

  test('a coordinator whose vault has another descriptor than the DKG gave is refused (PIN_MISMATCH); nothing is pinned', async () => {
    const coordinator = new FakeFrostCoordinator();
    const holders = people();
    const setup = await openSetup(coordinator, holders[0], holders);
    const other = frostVaultFromCertificate(verifyCertificate(runDkg(2, 3, 'other-vault').certificate), 'regtest');
    coordinator.tamperVault = (vault) => ({ ...vault, descriptor: other.descriptor });
    const codes = await Promise.all(holders.map((h) => codeOf(runFrostDkg(depsFor(coordinator, h), setup))));
    expect(codes).toEqual(['PIN_MISMATCH', 'PIN_MISMATCH', 'PIN_MISMATCH']);
    for (const h of holders) expect(h.state.read().vaults).toEqual([]);
    // The honest vault is pinned once the coordinator stops lying.
    coordinator.tamperVault = undefined;
    const pinned = complete(await runFrostDkg(depsFor(coordinator, holders[1]), await coordinator.relay().setup(setup.setupId)));
    expect(pinned.pin.descriptor).not.toBe(other.descriptor);
  });

  test('a certificate for another transcript is refused (FROST_DKG_CERTIFICATE_INVALID)', async () => {
    const coordinator = new FakeFrostCoordinator();
    const holders = people();
    const setup = await openSetup(coordinator, holders[0], holders);
    const forged = runDkg(2, 3, 'forged').certificate;
    coordinator.tamperView = (view) => (view.certificate === null ? view : { ...view, certificate: forged });
    const codes = await Promise.all(holders.map((h) => codeOf(runFrostDkg(depsFor(coordinator, h), setup))));
    expect(codes).toEqual(['FROST_DKG_CERTIFICATE_INVALID', 'FROST_DKG_CERTIFICATE_INVALID', 'FROST_DKG_CERTIFICATE_INVALID']);
    for (const h of holders) expect(h.state.read().vaults).toEqual([]);
  });

  test('--no-wait: stops once round 1 is sent; a later run continues', async () => {
    const coordinator = new FakeFrostCoordinator();
    const holders = people();
    const setup = await openSetup(coordinator, holders[0], holders);
    const first = await runFrostDkg(depsFor(coordinator, holders[0]), setup, { stopAfterRound1: true });
    expect(first.status).toBe('round1-sent');
    expect(coordinator.setups.get(setup.setupId)!.round1.size).toBe(1);
    const all = await Promise.all(holders.map(async (h) => runFrostDkg(depsFor(coordinator, h), await coordinator.relay().setup(setup.setupId))));
    expect(new Set(all.map((o) => complete(o).pin.vaultId)).size).toBe(1);
  });

  test('a signer who is not a participant is refused (NOT_A_MEMBER)', async () => {
    const coordinator = new FakeFrostCoordinator();
    const [alice, bob, carol] = people();
    const mallory = keyholder('mallory');
    homes.push(mallory.home);
    const setup: RelayedFrostSetup = await openSetup(coordinator, alice, [alice, bob, carol]);
    expect(await codeOf(runFrostDkg(depsFor(coordinator, mallory), setup))).toBe('NOT_A_MEMBER');
  });
});
