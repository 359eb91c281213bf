/**
 * One keyholder's run of a FROST distributed key generation through the coordinator (issue 4;
 * DESIGN.md "Two kinds of vault"), resumable at every step (invariant 9):
 *
 *   startDkg  -> seal frost/<id>.dkg -> POST round1 -> wait for all n round-1 messages
 *   dkgRound2 -> seal frost/<id>.dkg -> POST round2 -> wait for the n-1 shares sealed to us
 *   finishDkg -> seal frost/<id>.share, delete the .dkg -> POST confirm -> wait for `complete`
 *   verify the certificate against our own transcript hash -> compare the coordinator's vault
 *   with the descriptor derived here -> record the certificate -> pin the vault in state.json
 *
 * Each state is durable BEFORE the message computed from it leaves, and a rerun resends the
 * saved message instead of computing a new one: a second round-1 package with fresh randomness
 * (or a second set of shares) after the first was sent would be equivocation, which the other
 * participants rightly treat as an attack. When this signer's round-1 message is at the
 * coordinator but its state is gone, the run stops (FROST_DKG_STATE_MISSING) rather than start
 * over. The key is not pinned, hence not used, until a certificate with all n signatures over
 * this signer's own transcript hash verifies.
 */
import { ConclaveError, isErrorCode } from '../../protocol/errors';
import {
  dkgRound2, finishDkg, frostVaultFromCertificate, participantIdentifier, participantIndexOfKey, round2MessageSchema, startDkg,
  verifyCertificate, type ConfirmationMessage, type DkgContext, type DkgState,
} from '../../protocol/frost';
import { identityFingerprint } from '../../protocol/identity';
import type { PinnedVault, StateStore } from '../state/state-file';
import type { FrostSecretStore, FrostShareRecord } from './frost-files';
import { frostPin, recheckPinned, shareRecord } from './frost-vault';
import {
  confirmationSenders, messagesBy, round1Senders, type FrostRelay, type RelayedFrostSetup,
} from './relayed-frost-setup';

/** Durable points of a run, in order; a test hook may crash the run at any of them. */
export type FrostDkgStep = 'round1-saved' | 'round1-sent' | 'round2-saved' | 'round2-sent' | 'share-saved' | 'confirmation-sent' | 'pinned';

export interface FrostDkgDeps {
  relay: FrostRelay;
  secrets: FrostSecretStore;
  state: StateStore;
  /** This signer: its identity key and the DKG context (identity secret, randomness, clock) for one step. */
  signer: { identityKey: string; dkgContext(now: Date): DkgContext };
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
  /** A line for the person watching (stderr). */
  progress: (line: string) => void;
  /** Called after each durable step; a throw here stands for a crash at that point (tests). */
  checkpoint?: (step: FrostDkgStep) => void | Promise<void>;
}

export interface FrostDkgOptions {
  /** Return once this signer's round-1 message is sent (`frost open --no-wait`). */
  stopAfterRound1?: boolean;
}

export type FrostDkgOutcome =
  | { status: 'round1-sent'; setup: RelayedFrostSetup; myIndex: number }
  | { status: 'complete'; setup: RelayedFrostSetup; myIndex: number; pin: PinnedVault; alreadyPinned: boolean; resumed: boolean };

/** Where a run picks up, from this signer's own files (no passphrase needed to tell). */
export function resumePoint(secrets: Pick<FrostSecretStore, 'hasDkgState' | 'hasShare'>, state: StateStore, setupId: string): 'pinned' | 'share' | 'dkg' | 'fresh' {
  if (state.read().vaults.some((v) => v.frost?.setupId === setupId)) return 'pinned';
  if (secrets.hasShare(setupId)) return 'share';
  if (secrets.hasDkgState(setupId)) return 'dkg';
  return 'fresh';
}

export async function runFrostDkg(deps: FrostDkgDeps, initial: RelayedFrostSetup, options: FrostDkgOptions = {}): Promise<FrostDkgOutcome> {
  return new FrostDkgRun(deps, initial).run(options);
}

class FrostDkgRun {
  private readonly setupId: string;
  private readonly me: string;
  private readonly myIndex: number;
  private setup: RelayedFrostSetup;

  constructor(private readonly deps: FrostDkgDeps, initial: RelayedFrostSetup) {
    this.setup = initial;
    this.setupId = initial.setupId;
    this.me = deps.signer.identityKey;
    this.myIndex = participantIndexOfKey(initial.params, this.me);
    if (this.myIndex < 0) {
      throw new ConclaveError('NOT_A_MEMBER', `frost setup ${this.setupId}: your identity key ${identityFingerprint(this.me)} is not one of its participants`);
    }
  }

  private get n(): number {
    return this.setup.params.participants.length;
  }

  async run(options: FrostDkgOptions): Promise<FrostDkgOutcome> {
    const { secrets, state } = this.deps;
    const start = resumePoint(secrets, state, this.setupId);
    const pinned = state.read().vaults.find((v) => v.frost?.setupId === this.setupId);
    if (pinned !== undefined) {
      recheckPinned(pinned, this.setup, await this.deps.relay.vault(pinned.vaultId));
      return { status: 'complete', setup: this.setup, myIndex: this.myIndex, pin: pinned, alreadyPinned: true, resumed: true };
    }

    let record = secrets.loadShareRecord(this.setupId);
    if (record === null) {
      this.assertAlive(this.setup);
      let dkg = secrets.loadDkgState(this.setupId) ?? await this.startRound1();
      if (dkg.step === 'round1') {
        await this.sendRound1(dkg);
        if (options.stopAfterRound1) return { status: 'round1-sent', setup: this.setup, myIndex: this.myIndex };
        dkg = await this.runRound2(dkg);
      } else if (options.stopAfterRound1) {
        return { status: 'round1-sent', setup: this.setup, myIndex: this.myIndex };
      }
      record = await this.finish(dkg);
    } else {
      // A crash between saving the share and deleting the state leaves both; the share wins.
      secrets.deleteDkgState(this.setupId);
      if (options.stopAfterRound1) return { status: 'round1-sent', setup: this.setup, myIndex: this.myIndex };
    }
    const { pin, alreadyPinned } = await this.confirmAndPin(record);
    return { status: 'complete', setup: this.setup, myIndex: this.myIndex, pin, alreadyPinned, resumed: start !== 'fresh' };
  }

  // ---- round 1 ----

  private async startRound1(): Promise<DkgState> {
    assertFreshStart(this.setup, this.me, this.deps.secrets.home);
    const { state } = startDkg(this.setup.params, this.myIndex, this.deps.signer.dkgContext(this.deps.now()));
    this.deps.secrets.saveDkgState(state);
    await this.deps.checkpoint?.('round1-saved');
    return state;
  }

  private async sendRound1(dkg: DkgState): Promise<void> {
    const there = messagesBy(this.setup.round1, this.me);
    if (there.some((m) => m.sig !== dkg.round1Message.sig)) {
      throw new ConclaveError('FROST_DKG_EQUIVOCATION',
        `frost setup ${this.setupId}: the coordinator holds a round-1 message signed by your key that is not the one saved here; `
        + 'your identity key may be in use elsewhere: do not continue', { participants: [this.myIndex + 1] });
    }
    if (there.length === 0) {
      this.deps.progress('Sending your round-1 commitment...');
      await this.deps.relay.postRound1(this.setupId, dkg.round1Message);
      this.setup = await this.deps.relay.setup(this.setupId);
    }
    await this.deps.checkpoint?.('round1-sent');
  }

  // ---- round 2 ----

  private async runRound2(dkg: DkgState): Promise<DkgState> {
    const setup = await this.waitFor('round 1', (s) => {
      const have = round1Senders(s).size;
      return { done: have >= this.n, status: `round 1: ${have} of ${this.n} participants` };
    });
    const { state } = dkgRound2(dkg, setup.round1, this.deps.signer.dkgContext(this.deps.now()));
    this.deps.secrets.saveDkgState(state);
    await this.deps.checkpoint?.('round2-saved');
    return state;
  }

  private async finish(dkg: DkgState): Promise<FrostShareRecord> {
    const { relay, secrets } = this.deps;
    this.setup = await relay.setup(this.setupId);
    this.assertAlive(this.setup);
    if (!this.setup.round2Senders.includes(this.me)) {
      this.deps.progress('Sending your round-2 shares, each sealed to its recipient...');
      await relay.postRound2(this.setupId, dkg.round2Messages ?? []);
    }
    await this.deps.checkpoint?.('round2-sent');

    let mine: unknown[] = [];
    await this.waitFor('round 2', async (s) => {
      mine = await relay.round2For(this.setupId, this.me);
      const have = round2SendersFor(mine, s, this.me).size;
      return { done: have >= this.n - 1, status: `round 2: shares from ${have} of ${this.n - 1} other participants` };
    });
    const { result, confirmation } = finishDkg(dkg, mine, this.deps.signer.dkgContext(this.deps.now()));
    let record: FrostShareRecord;
    try {
      record = shareRecord(dkg, result, confirmation);
    } finally {
      result.keyPackage.secret.signingShare.fill(0);
    }
    secrets.saveShare(record);
    secrets.deleteDkgState(this.setupId);
    await this.deps.checkpoint?.('share-saved');
    return record;
  }

  // ---- confirmation, certificate, pin ----

  private async confirmAndPin(record: FrostShareRecord): Promise<{ pin: PinnedVault; alreadyPinned: boolean }> {
    const { relay, secrets } = this.deps;
    this.setup = await relay.setup(this.setupId);
    if (this.setup.state !== 'complete') this.assertAlive(this.setup);
    if (!confirmationSenders(this.setup).has(this.myIndex)) {
      this.deps.progress('Sending your signature of the transcript hash...');
      await relay.postConfirmation(this.setupId, record.confirmation as ConfirmationMessage);
    }
    await this.deps.checkpoint?.('confirmation-sent');

    const setup = await this.waitFor('confirmation', (s) => {
      const have = confirmationSenders(s).size;
      return { done: s.state === 'complete' && s.certificate !== null && s.vaultId !== null, status: `confirmations: ${have} of ${this.n} participants` };
    });
    // The certificate must vouch for the transcript THIS signer computed: all n signatures over it.
    const verified = verifyCertificate(setup.certificate, { transcriptHash: record.transcriptHash });
    if (verified.paramsHash !== record.paramsHash || verified.chainCode !== record.chainCode) {
      throw new ConclaveError('FROST_DKG_CERTIFICATE_INVALID', `frost setup ${this.setupId}: the certificate is for other params than this signer's DKG`);
    }
    // What the coordinator and any watcher derive from the certificate alone must be what this
    // signer derived from its own result (protocol/frost/vault-key.ts).
    if (frostVaultFromCertificate(verified, record.network).descriptor !== record.descriptor) {
      throw new ConclaveError('INTERNAL', `frost setup ${this.setupId}: the certificate gives another descriptor than this signer's own DKG result`);
    }
    const vaultId = setup.vaultId as string;
    const vault = await relay.vault(vaultId);
    const pin = frostPin(record, setup, vault, vaultId, this.myIndex, this.deps.now());

    const completed: FrostShareRecord = { ...record, certificate: setup.certificate as FrostShareRecord['certificate'], vaultId };
    secrets.saveShare(completed);
    let alreadyPinned = false;
    this.deps.state.update((state) => {
      const existing = state.vaults.find((v) => v.vaultId === vaultId);
      if (existing === undefined) {
        state.vaults.push(pin);
        return;
      }
      if (existing.descriptorHash !== pin.descriptorHash || existing.frost?.transcriptHash !== pin.frost?.transcriptHash) {
        throw new ConclaveError('PIN_MISMATCH', `vault ${vaultId}: already pinned with another descriptor or transcript on ${existing.pinnedAt}`);
      }
      alreadyPinned = true;
    });
    await this.deps.checkpoint?.('pinned');
    return { pin: alreadyPinned ? this.deps.state.read().vaults.find((v) => v.vaultId === vaultId) ?? pin : pin, alreadyPinned };
  }

  // ---- waiting ----

  private assertAlive(setup: RelayedFrostSetup): void {
    assertSetupAlive(setup, this.deps.now());
  }

  /**
   * Polls the setup until `check` says done, showing each new status line. A coordinator that
   * cannot be reached for a while is waited for (until the deadline): the DKG is not lost.
   */
  private async waitFor(what: string, check: (setup: RelayedFrostSetup) => { done: boolean; status: string } | Promise<{ done: boolean; status: string }>): Promise<RelayedFrostSetup> {
    let shown = '';
    for (let first = true; ; first = false) {
      let setup: RelayedFrostSetup;
      try {
        setup = first ? this.setup : await this.deps.relay.setup(this.setupId);
      } catch (error) {
        if (!(error instanceof ConclaveError && error.code === 'COORDINATOR_UNREACHABLE')) throw error;
        this.assertAlive(this.setup);
        if (shown !== 'unreachable') this.deps.progress(`${what}: the coordinator cannot be reached; retrying...`);
        shown = 'unreachable';
        await this.deps.sleep(this.deps.pollMs);
        continue;
      }
      this.setup = setup;
      if (setup.state !== 'complete') this.assertAlive(setup);
      const { done, status } = await check(setup);
      if (status !== shown) this.deps.progress(status);
      shown = status;
      if (done) return setup;
      await this.deps.sleep(this.deps.pollMs);
    }
  }
}

/** Stops on an aborted or expired setup: by the coordinator's word, or by this machine's clock. */
export function assertSetupAlive(setup: RelayedFrostSetup, now: Date): void {
  const { setupId } = setup;
  if (setup.state === 'aborted') {
    const abort = setup.abort ?? { code: 'FROST_SETUP_ABORTED', message: 'no reason given' };
    // The coordinator's reason is relayed as it gave it; only FROST codes are taken over.
    const code = isErrorCode(abort.code) && abort.code.startsWith('FROST_') ? abort.code : 'FROST_SETUP_ABORTED';
    throw new ConclaveError(code, `frost setup ${setupId}: aborted: ${abort.message}`, { setupId, abortCode: abort.code });
  }
  if (setup.state === 'expired') {
    throw new ConclaveError('FROST_SETUP_EXPIRED', `frost setup ${setupId}: expired at ${setup.expiresAt} (the coordinator says)`, { setupId });
  }
  if (setup.state !== 'complete' && now.getTime() >= Date.parse(setup.expiresAt)) {
    throw new ConclaveError('FROST_SETUP_EXPIRED', `frost setup ${setupId}: its deadline ${setup.expiresAt} has passed by this machine's clock`, { setupId });
  }
}

/**
 * Round 1 may start only if this signer has sent nothing yet: its round-1 message at the
 * coordinator without a saved state means the state was lost, and a new package would be
 * equivocation. Also refuses a setup past round 1 (it cannot have gone on without us).
 */
export function assertFreshStart(setup: RelayedFrostSetup, me: string, home: string): void {
  if (messagesBy(setup.round1, me).length > 0 || setup.state !== 'round1') {
    throw new ConclaveError('FROST_DKG_STATE_MISSING',
      `frost setup ${setup.setupId}: ${messagesBy(setup.round1, me).length > 0 ? 'the coordinator holds a round-1 message of yours' : `it is past round 1 (${setup.state})`}, `
      + `but ${home}/frost/${setup.setupId}.dkg is not there; starting again would send a second, different package (equivocation)`, { setupId: setup.setupId });
  }
}

/** Distinct other participants with a well-formed round-2 message addressed to `me` (checked for real by finishDkg). */
function round2SendersFor(messages: readonly unknown[], setup: RelayedFrostSetup, me: string): Set<number> {
  const myId = participantIdentifier(participantIndexOfKey(setup.params, me));
  const senders = new Set<number>();
  for (const m of messages) {
    const parsed = round2MessageSchema.safeParse(m);
    if (!parsed.success || parsed.data.body.recipient !== myId || parsed.data.body.setupId !== setup.setupId) continue;
    const i = participantIndexOfKey(setup.params, parsed.data.signer);
    if (i >= 0 && parsed.data.signer !== me) senders.add(i);
  }
  return senders;
}
