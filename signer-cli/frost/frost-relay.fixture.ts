/**
 * Test fixture: an in-memory coordinator that keeps the FROST setup contract
 * (protocol/frost/setup-api.ts) the way server/frost-setups does (a resend of the same
 * statement is answered with the view, a different one from the same sender aborts the setup
 * as equivocation; the last confirmation makes the certificate and the vault), and keyholders
 * with their own homes, for the signer's DKG runner tests. Not used outside tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { canonicalJson } from '../../protocol/canonical-json';
import { identityPublicKey, signEnvelope, type Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import {
  assembleCertificate, FROST_SETUP_OPEN, frostVaultFromCertificate, newSetupId, participantIdentifier, participantIndexOfKey, setupParamsHash, verifyCertificate,
  type ConfirmationMessage, type DkgCertificate, type FrostSetupOpen, type FrostSetupParams, type FrostSetupState, type Round1Message,
  type Round2Message,
} from '../../protocol/frost';
import { DEFAULT_POLICY, policyHash } from '../../protocol/policy';
import { TEST_SCRYPT } from '../keystore/keystore-format';
import { SealingKey } from '../keystore/sealed-file';
import { StateStore } from '../state/state-file';
import type { FrostDkgDeps } from './dkg-runner';
import { FrostSecretStore } from './frost-files';
import { readFrostSetupView, type FrostRelay, type FrostSetupViewParsed, type FrostVaultViewParsed } from './relayed-frost-setup';

export const PASSPHRASE = 'fixture passphrase';
const random = (n: number) => new Uint8Array(randomBytes(n));

interface StoredSetup {
  open: Envelope<FrostSetupOpen>;
  params: FrostSetupParams;
  state: FrostSetupState;
  round1: Map<string, Round1Message>;
  round2: Map<string, Round2Message[]>;
  confirmations: Map<string, ConfirmationMessage>;
  certificate: DkgCertificate | null;
  vaultId: string | null;
  abort: { code: string; message: string } | null;
}

const sameBody = (a: Envelope, b: Envelope) => a.signer === b.signer && canonicalJson(a.body) === canonicalJson(b.body);

export class FakeFrostCoordinator {
  readonly setups = new Map<string, StoredSetup>();
  readonly vaults = new Map<string, FrostVaultViewParsed>();
  /** Every POST body received, in order (to look for secrets, and count resends). */
  readonly received: Array<{ route: string; body: unknown }> = [];
  /** Rewrites a view before it is served (a lying coordinator). */
  tamperView: ((view: FrostSetupViewParsed) => FrostSetupViewParsed) | undefined;
  tamperVault: ((view: FrostVaultViewParsed) => FrostVaultViewParsed) | undefined;

  relay(): FrostRelay {
    return {
      open: async (setupId, envelope) => {
        this.received.push({ route: 'open', body: envelope });
        const open = envelope as Envelope<FrostSetupOpen>;
        this.setups.set(setupId, {
          open, params: open.body.params, state: 'round1', round1: new Map(), round2: new Map(), confirmations: new Map(),
          certificate: null, vaultId: null, abort: null,
        });
        return readFrostSetupView(this.view(setupId), setupId);
      },
      setup: async (setupId) => readFrostSetupView(this.view(setupId), setupId),
      postRound1: async (setupId, message) => {
        this.received.push({ route: 'round1', body: message });
        const s = this.live(setupId);
        const earlier = s.round1.get(message.signer);
        if (earlier !== undefined) {
          if (!sameBody(earlier, message)) this.equivocate(s, message.signer);
          return;
        }
        s.round1.set(message.signer, message);
        if (s.round1.size === s.params.participants.length) s.state = 'round2';
      },
      postRound2: async (setupId, messages) => {
        this.received.push({ route: 'round2', body: { messages } });
        const s = this.live(setupId);
        const sender = messages[0].signer;
        if (s.round2.has(sender)) {
          if (!messages.every((m, i) => sameBody(m, s.round2.get(sender)![i]))) this.equivocate(s, sender);
          return;
        }
        if (s.state !== 'round2') throw new ConclaveError('FROST_SETUP_STATE', 'not in round 2');
        s.round2.set(sender, [...messages]);
        if (s.round2.size === s.params.participants.length) s.state = 'confirming';
      },
      round2For: async (setupId, recipient) => {
        const s = this.setups.get(setupId)!;
        const id = participantIdentifier(participantIndexOfKey(s.params, recipient));
        return [...s.round2.values()].flat().filter((m) => m.body.recipient === id);
      },
      postConfirmation: async (setupId, message) => {
        this.received.push({ route: 'confirm', body: message });
        const s = this.live(setupId);
        const earlier = s.confirmations.get(message.signer);
        if (earlier !== undefined) {
          if (!sameBody(earlier, message)) this.equivocate(s, message.signer);
          return;
        }
        s.confirmations.set(message.signer, message);
        if (s.confirmations.size === s.params.participants.length) this.finish(s);
      },
      vault: async (vaultId) => {
        const vault = this.vaults.get(vaultId);
        if (vault === undefined) throw new ConclaveError('VAULT_NOT_FOUND', `no vault ${vaultId}`);
        return this.tamperVault ? this.tamperVault(vault) : vault;
      },
    };
  }

  /** The view GET /api/v1/frost-setups/:id would serve. */
  view(setupId: string): FrostSetupViewParsed {
    const s = this.setups.get(setupId);
    if (s === undefined) throw new ConclaveError('FROST_SETUP_NOT_FOUND', `no setup ${setupId}`);
    const view: FrostSetupViewParsed = {
      setupId, state: s.state, params: s.params, paramsHash: setupParamsHash(s.params), openEnvelope: s.open, expiresAt: s.open.body.expiresAt,
      round1: [...s.round1.values()], round2Senders: [...s.round2.keys()], confirmations: [...s.confirmations.values()],
      certificate: s.certificate, vaultId: s.vaultId, abort: s.abort, createdAt: s.open.created,
    };
    return this.tamperView ? this.tamperView(view) : view;
  }

  abort(setupId: string, code: string, message: string): void {
    const s = this.setups.get(setupId)!;
    s.state = 'aborted';
    s.abort = { code, message };
  }

  private live(setupId: string): StoredSetup {
    const s = this.setups.get(setupId);
    if (s === undefined) throw new ConclaveError('FROST_SETUP_NOT_FOUND', `no setup ${setupId}`);
    if (s.state === 'aborted') throw new ConclaveError('FROST_SETUP_ABORTED', `setup ${setupId} aborted`);
    return s;
  }

  private equivocate(s: StoredSetup, signer: string): never {
    s.state = 'aborted';
    s.abort = { code: 'FROST_DKG_EQUIVOCATION', message: `${signer.slice(0, 8)} signed two different messages of one kind` };
    throw new ConclaveError('FROST_DKG_EQUIVOCATION', s.abort.message);
  }

  private finish(s: StoredSetup): void {
    const certificate = assembleCertificate(s.params, [...s.round1.values()], [...s.confirmations.values()]);
    const key = frostVaultFromCertificate(verifyCertificate(certificate), s.params.network);
    const vaultId = randomUUID();
    this.vaults.set(vaultId, {
      id: vaultId, kind: 'tr-frost', name: s.params.vault.name, network: s.params.network, threshold: s.params.threshold, descriptor: key.descriptor,
      policy: s.params.vault.policy, policyHash: policyHash(s.params.vault.policy),
      members: s.params.participants.map((p, i) => ({ identityKey: p.identityKey, name: p.name ?? `member ${i + 1}` })), status: 'active',
    });
    s.certificate = certificate;
    s.vaultId = vaultId;
    s.state = 'complete';
  }
}

export interface FixtureKeyholder {
  name: string;
  home: string;
  secret: Uint8Array;
  identityKey: string;
  state: StateStore;
  secrets(): FrostSecretStore;
}

export function keyholder(name: string): FixtureKeyholder {
  const home = mkdtempSync(join(tmpdir(), `conclave-frost-${name}-`));
  const secret = schnorr.utils.randomSecretKey();
  const identityKey = identityPublicKey(secret);
  return {
    name, home, secret, identityKey, state: new StateStore(home),
    secrets: () => new FrostSecretStore(home, identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, random)),
  };
}

export function openSetup(coordinator: FakeFrostCoordinator, opener: FixtureKeyholder, holders: readonly FixtureKeyholder[], options: { threshold?: number; now?: Date; ttlMs?: number } = {}) {
  const now = options.now ?? new Date();
  const params: FrostSetupParams = {
    setupId: newSetupId(random), network: 'regtest', vault: { name: 'frost treasury', policy: DEFAULT_POLICY }, threshold: options.threshold ?? 2,
    participants: holders.map((h) => ({ identityKey: h.identityKey, name: h.name })),
  };
  const body: FrostSetupOpen = { params, expiresAt: new Date(now.getTime() + (options.ttlMs ?? 3_600_000)).toISOString() };
  const envelope = signEnvelope(FROST_SETUP_OPEN, body, opener.secret, { now, randomBytes: random });
  return coordinator.relay().open(params.setupId, envelope);
}

/** A keyholder's runner deps against the fake coordinator. */
export function depsFor(coordinator: FakeFrostCoordinator, holder: FixtureKeyholder, extra: Partial<FrostDkgDeps> = {}): FrostDkgDeps {
  return {
    relay: coordinator.relay(),
    secrets: holder.secrets(),
    state: holder.state,
    signer: { identityKey: holder.identityKey, dkgContext: (now) => ({ identitySecret: holder.secret, randomBytes: random, now }) },
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pollMs: 2,
    progress: () => undefined,
    ...extra,
  };
}
