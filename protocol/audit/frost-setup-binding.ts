/**
 * Audit binding rules for a FROST key generation (evidence-binding.ts delegates the frost.setup
 * and round kinds here): every DKG message is bound to its setup, params hash and sender, each
 * participant has one round-1 package, one share per recipient and one confirmation, and a
 * FROST vault must be exactly the key the logged round-1 packages give, confirmed by every
 * participant over the same transcript hash.
 */
import type { Envelope } from '../envelope';
import { ConclaveError } from '../errors';
import { policyHash } from '../policy';
import { confirmBodySchema, round1BodySchema, round2BodySchema } from '../frost/dkg-messages';
import {
  participantIdentifier, participantIndexOfIdentifier, participantIndexOfKey, setupParamsHash, type FrostSetupParams,
} from '../frost/dkg-params';
import { dkgTranscript, type Round1Package } from '../frost/dkg-transcript';
import { frostSetupOpenSchema } from '../frost/setup-api';
import { frostVaultFromCertificate } from '../frost/vault-key';
import { Mismatch, parsed, same } from './binding-checks';
import type { BindableEvent } from './evidence-binding';

/** What the log has shown of one FROST key generation so far. */
interface KnownFrostSetup {
  readonly params: FrostSetupParams;
  readonly paramsHash: string;
  /** Round-1 package by participant index. */
  readonly round1: Map<number, Round1Package>;
  /** `sender:recipient` (participant indexes) of each round-2 share relayed. */
  readonly round2: Set<string>;
  /** Confirmed transcript hash by participant index. */
  readonly confirmations: Map<number, string>;
  ended: 'aborted' | 'vault' | null;
}

/** The FROST key generations of one chain walk. */
export class FrostSetupLog {
  private readonly setups = new Map<string, KnownFrostSetup>();

  opened(event: BindableEvent, envelope: Envelope | null): void {
    const { payload } = event;
    const open = parsed(frostSetupOpenSchema, envelope?.body);
    const { params } = open;
    same('subject', event.subject, params.setupId);
    if (participantIndexOfKey(params, envelope?.signer ?? '') < 0) throw new Mismatch('the opener is not a participant of the setup it opened');
    if (this.setups.has(params.setupId)) throw new Mismatch(`FROST setup ${params.setupId} was already introduced earlier in the log`);
    const paramsHash = setupParamsHash(params);
    same('payload.paramsHash', payload.paramsHash, paramsHash);
    same('payload.network', payload.network, params.network);
    same('payload.threshold', payload.threshold, params.threshold);
    same('payload.participants', payload.participants, params.participants.map((p) => p.identityKey));
    same('payload.policyHash', payload.policyHash, policyHash(params.vault.policy));
    same('payload.vaultName', payload.vaultName, params.vault.name);
    same('payload.expiresAt', payload.expiresAt, open.expiresAt);
    this.setups.set(params.setupId, { params, paramsHash, round1: new Map(), round2: new Set(), confirmations: new Map(), ended: null });
  }

  round1(event: BindableEvent, envelope: Envelope | null): void {
    const round1 = parsed(round1BodySchema, envelope?.body);
    const { setup, sender } = this.message(event, envelope, round1);
    same('the round-1 package identifier', round1.package.identifier, participantIdentifier(sender));
    if (setup.round1.has(sender)) throw new Mismatch(`participant ${sender + 1} already has a round-1 message earlier in the log (a second package is equivocation)`);
    setup.round1.set(sender, round1.package);
  }

  round2(event: BindableEvent, envelope: Envelope | null): void {
    const { payload } = event;
    const round2 = parsed(round2BodySchema, envelope?.body);
    const { setup, sender } = this.message(event, envelope, round2);
    same('the round-2 sender identifier', round2.sender, participantIdentifier(sender));
    const recipient = participantIndexOfIdentifier(setup.params, round2.recipient);
    if (recipient < 0 || recipient === sender) throw new Mismatch(`the round-2 share of participant ${sender + 1} is addressed to no other participant`);
    same('payload.recipient', payload.recipient, recipient + 1);
    if (setup.round1.size < setup.params.participants.length) throw new Mismatch('a round-2 share relayed before every round-1 message was in the log');
    const pair = `${sender}:${recipient}`;
    if (setup.round2.has(pair)) throw new Mismatch(`participant ${sender + 1} already has a round-2 share for participant ${recipient + 1} earlier in the log`);
    setup.round2.add(pair);
  }

  confirmed(event: BindableEvent, envelope: Envelope | null): void {
    const { payload } = event;
    const confirm = parsed(confirmBodySchema, envelope?.body);
    const { setup, sender } = this.message(event, envelope, confirm);
    same('payload.transcriptHash', payload.transcriptHash, confirm.transcriptHash);
    if (setup.confirmations.has(sender)) throw new Mismatch(`participant ${sender + 1} already confirmed earlier in the log`);
    setup.confirmations.set(sender, confirm.transcriptHash);
  }

  aborted(event: BindableEvent): void {
    const setup = this.setup(subjectOf(event));
    if (setup.ended !== null) throw new Mismatch(`FROST setup ${subjectOf(event)} already ended (${setup.ended}) earlier in the log`);
    setup.ended = 'aborted';
  }

  private setup(subject: string): KnownFrostSetup {
    const found = this.setups.get(subject);
    if (found === undefined) throw new Mismatch(`FROST setup ${subject} does not appear earlier in the log`);
    return found;
  }

  /**
   * A DKG message's common binding: the subject is the setup it names, signed under that
   * setup's params hash, by one of its participants, while the setup is still running.
   * Returns the sender's participant index.
   */
  private message(event: BindableEvent, envelope: Envelope | null, body: { setupId: string; paramsHash: string }): { setup: KnownFrostSetup; sender: number } {
    same('subject', event.subject, body.setupId);
    const setup = this.setup(body.setupId);
    same('the signed params hash', setup.paramsHash, body.paramsHash);
    if (setup.ended !== null) throw new Mismatch(`FROST setup ${body.setupId} already ended (${setup.ended}) earlier in the log`);
    const sender = participantIndexOfKey(setup.params, envelope?.signer ?? '');
    if (sender < 0) throw new Mismatch(`the DKG message is signed by ${envelope?.signer ?? 'nobody'}, who is not a participant of FROST setup ${body.setupId}`);
    same('payload.participant', event.payload.participant, sender + 1);
    return { setup, sender };
  }

  /**
   * A FROST vault must be exactly the key the logged round-1 packages give, confirmed by every
   * participant over the same transcript hash; the coordinator cannot make one otherwise.
   */
  /** Checks a `frost.vault.created` event and returns its setup's params; the caller then introduces the vault subject. */
  vaultCreated(event: BindableEvent): FrostSetupParams {
    const { payload } = event;
    if (typeof payload.setupId !== 'string') throw new Mismatch('payload.setupId is missing');
    const setup = this.setup(payload.setupId);
    if (setup.ended !== null) throw new Mismatch(`FROST setup ${payload.setupId} already ended (${setup.ended}) earlier in the log`);
    const { params, paramsHash } = setup;
    const n = params.participants.length;
    const packages = params.participants.map((_, i) => setup.round1.get(i));
    const missing = packages.findIndex((p) => p === undefined);
    if (missing >= 0) throw new Mismatch(`the log holds no round-1 message of participant ${missing + 1} of FROST setup ${payload.setupId}`);
    let derived: { transcriptHash: string; descriptor: string };
    try {
      const round1Packages = packages as Round1Package[];
      const transcript = dkgTranscript(paramsHash, round1Packages);
      const vault = frostVaultFromCertificate({ ...transcript, params, paramsHash, round1Packages }, params.network);
      derived = { transcriptHash: transcript.transcriptHash, descriptor: vault.descriptor };
    } catch (error) {
      if (error instanceof ConclaveError) throw new Mismatch(`the logged round-1 packages give no key: ${error.message}`);
      throw error;
    }
    same('payload.transcriptHash', payload.transcriptHash, derived.transcriptHash);
    for (let i = 0; i < n; i++) {
      const confirmed = setup.confirmations.get(i);
      if (confirmed !== derived.transcriptHash) {
        throw new Mismatch(confirmed === undefined
          ? `participant ${i + 1} has not confirmed FROST setup ${payload.setupId} earlier in the log`
          : `participant ${i + 1} confirmed transcript ${confirmed}, not ${derived.transcriptHash}`);
      }
    }
    same('payload.descriptor', payload.descriptor, derived.descriptor);
    same('payload.name', payload.name, params.vault.name);
    same('payload.threshold', payload.threshold, params.threshold);
    same('payload.policyHash', payload.policyHash, policyHash(params.vault.policy));
    setup.ended = 'vault';
    return params;
  }
}

function subjectOf(event: BindableEvent): string {
  if (event.subject === null) throw new Mismatch('no subject');
  return event.subject;
}
