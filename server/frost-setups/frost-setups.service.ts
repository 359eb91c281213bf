/**
 * FROST key generation relayed by the coordinator (protocol/frost/setup-api.ts; RFC 9591 DKG
 * made safe with an untrusted coordinator, DESIGN.md "Two kinds of vault"). The coordinator
 * stores and forwards what the participants sign and checks everything that is public: each
 * message's shape, signature, setup binding and sender; round-1 packages' commitments and
 * proofs of knowledge; at the end, the certificate. It never sees a share: round-2 messages
 * are sealed to their recipients.
 *
 * Each request is one transaction that locks the setup row, so the last two confirmations
 * arriving together make one vault. A message sent again is answered with the view; a
 * DIFFERENT message of the same kind from the same sender is equivocation: the setup is
 * aborted (recorded, with both messages in the audit log) and the request is refused with
 * FROST_DKG_EQUIVOCATION naming the participant.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { canonicalJson } from '../../protocol/canonical-json';
import type { Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import {
  assembleCertificate, type ConfirmBody, DKG_MESSAGE_TYPES, decodePoint, FROST_SETUP_OPEN, type FrostSetupOpen,
  frostRound2SubmissionSchema, frostSetupOpenSchema, type FrostSetupParams, type FrostSetupView, parseFrostSetupParams,
  participantIndexOfIdentifier, participantIndexOfKey, participantLabel, proofOfKnowledgeValid, type Round1Body,
  type Round2Body, setupParamsHash, verifyCertificate, verifyDkgMessage, type Verified,
} from '../../protocol/frost';
import { policyHash } from '../../protocol/policy';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { checkVaultPolicy } from '../vaults/vault-policy-check';
import { BROADCAST, type DkgRound, type FrostDkgMessageEntity } from './frost-dkg-message.entity';
import type { FrostSetupEntity } from './frost-setup.entity';
import { FrostSetupsRepository } from './frost-setups.repository';
import { FrostVaultFactory } from './frost-vault-factory';

/** Stands for the vault's id while checking its policy at open time (the id is chosen at the end). */
const VAULT_ID_NOT_YET_CHOSEN = '00000000-0000-4000-8000-000000000000';

/** A key generation is short-lived, like a BIP129 session: a week at most. */
export const MAX_FROST_SETUP_TTL_SECONDS = 7 * 24 * 3600;

/** The opener's body with the params left to `parseFrostSetupParams`, which says what is wrong with them. */
const openBodySchema = frostSetupOpenSchema.extend({ params: z.unknown() });

/** What a request's transaction decided: a refusal to answer with AFTER the commit (an abort is kept). */
type Outcome = { refuse: ConclaveError } | void;

interface Running {
  readonly setup: FrostSetupEntity;
  readonly params: FrostSetupParams;
}

@Injectable()
export class FrostSetupsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly repo: FrostSetupsRepository,
    private readonly vaults: FrostVaultFactory,
    private readonly clock: Clock,
  ) {}

  async open(input: unknown): Promise<FrostSetupView> {
    const setupId = await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<FrostSetupOpen>(manager, input, FROST_SETUP_OPEN);
      const body = parseWith(openBodySchema, envelope.body, 'envelope.body');
      const params = parseFrostSetupParams(body.params);
      if (params.network !== this.config.network) {
        throw new ConclaveError('ADDRESS_WRONG_NETWORK', `envelope.body.params.network: this coordinator runs on ${this.config.network}, not ${params.network}`);
      }
      const keys = params.participants.map((p) => p.identityKey);
      const members = await this.repo.members(manager, [envelope.signer, ...keys]);
      if (!members.has(envelope.signer)) throw new ConclaveError('NOT_A_MEMBER', 'only a member may open a FROST setup; join first');
      if (!keys.includes(envelope.signer)) throw new ConclaveError('FORBIDDEN', 'envelope.signer: only a participant of the new vault may open its key generation');
      keys.forEach((key, i) => {
        if (!members.has(key)) throw new ConclaveError('MEMBER_NOT_FOUND', `envelope.body.params.participants.${i}.identityKey: no member with identity key ${key}`);
      });
      // The vault's id is chosen once the key exists; nothing in the policy depends on it.
      checkVaultPolicy({ policy: params.vault.policy, keyholders: keys, vaultId: VAULT_ID_NOT_YET_CHOSEN, network: params.network, where: 'envelope.body.params.vault.policy' });
      const now = this.clock.now();
      const expires = Date.parse(body.expiresAt);
      if (!(expires > now.getTime())) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.expiresAt: lies in the past');
      if (expires > now.getTime() + MAX_FROST_SETUP_TTL_SECONDS * 1000) {
        throw new ConclaveError('VALIDATION_FAILED', `envelope.body.expiresAt: at most ${MAX_FROST_SETUP_TTL_SECONDS / 86400} days ahead (a key generation is short-lived)`);
      }
      if (await this.repo.exists(manager, params.setupId)) {
        throw new ConclaveError('FROST_SETUP_EXISTS', `envelope.body.params.setupId: setup ${params.setupId} already exists; every setup needs a fresh random id`);
      }
      const paramsHash = setupParamsHash(params);
      await this.repo.insert(manager, {
        setupId: params.setupId, params: canonicalJson(params), paramsHash, openEnvelope: canonicalJson(envelope), state: 'round1',
        expiresAt: new Date(expires).toISOString(), certificate: null, vaultId: null, abortCode: null, abortMessage: null,
        createdAt: now.toISOString(), updatedAt: now.toISOString(),
      });
      await this.audit.append(manager, {
        kind: 'frost.setup.opened', actor: envelope.signer, subject: params.setupId, evidence: envelope,
        payload: {
          paramsHash, network: params.network, threshold: params.threshold, participants: keys, vaultName: params.vault.name,
          policyHash: policyHash(params.vault.policy), expiresAt: body.expiresAt,
        },
      });
      return params.setupId;
    });
    return this.get(setupId);
  }

  async round1(setupId: string, input: unknown): Promise<FrostSetupView> {
    return this.relay(setupId, async (manager, { setup, params }) => {
      const { message, sender } = verifyDkgMessage<Round1Body>(DKG_MESSAGE_TYPES.round1, input, params, setup.paramsHash, 'body');
      checkRound1Package(params, sender, message.body);
      const [earlier] = await this.repo.messagesFrom(manager, setupId, 'round1', message.signer);
      if (earlier) {
        const stored = JSON.parse(earlier.message) as Envelope<Round1Body>;
        if (sameBody(stored, message)) return;
        return this.equivocation(manager, setup, params, sender, 'signed two different round-1 packages for this setup', [stored, message]);
      }
      this.expectState(setup, 'round1', 'takes round-1 messages only in round 1');
      await this.store(manager, setup, params, 'round1', [{ message, sender, recipient: BROADCAST }]);
      await this.audit.append(manager, { kind: 'frost.round1', actor: message.signer, subject: setupId, evidence: message, payload: { participant: sender + 1 } });
      if (await this.repo.senders(manager, setupId, 'round1') === params.participants.length) await this.advance(manager, setupId, 'round2');
    });
  }

  async round2(setupId: string, input: unknown): Promise<FrostSetupView> {
    return this.relay(setupId, async (manager, { setup, params }) => {
      const submission = parseWith(frostRound2SubmissionSchema, input, 'body');
      const verified = submission.messages.map((m, i) => verifyDkgMessage<Round2Body>(DKG_MESSAGE_TYPES.round2, m, params, setup.paramsHash, `body.messages[${i}]`));
      const { sender, recipients } = checkRound2Submission(params, verified);
      const earlier = await this.repo.messagesFrom(manager, setupId, 'round2', params.participants[sender].identityKey);
      if (earlier.length > 0) {
        // Shares are all-or-nothing per sender, so an earlier submission covers every recipient.
        const stored = new Map(earlier.map((row) => [row.recipient, JSON.parse(row.message) as Envelope<Round2Body>]));
        const changed = verified.findIndex((v, i) => !sameBody(stored.get(params.participants[recipients[i]].identityKey)!, v.message));
        if (changed < 0) return;
        const before = stored.get(params.participants[recipients[changed]].identityKey)!;
        return this.equivocation(manager, setup, params, sender,
          `signed two different round-2 shares for ${participantLabel(params, recipients[changed])} in this setup`, [before, verified[changed].message]);
      }
      const have = await this.repo.senders(manager, setupId, 'round1');
      this.expectState(setup, 'round2', setup.state === 'round1'
        ? `has round-1 messages from ${have} of ${params.participants.length} participants; round 2 starts when all are in`
        : 'takes round-2 messages only in round 2');
      await this.store(manager, setup, params, 'round2', verified.map((v, i) => ({ ...v, recipient: params.participants[recipients[i]].identityKey })));
      for (const [i, v] of verified.entries()) {
        await this.audit.append(manager, {
          kind: 'frost.round2', actor: v.message.signer, subject: setupId, evidence: v.message, payload: { participant: sender + 1, recipient: recipients[i] + 1 },
        });
      }
      if (await this.repo.senders(manager, setupId, 'round2') === params.participants.length) await this.advance(manager, setupId, 'confirming');
    });
  }

  async confirm(setupId: string, input: unknown): Promise<FrostSetupView> {
    return this.relay(setupId, async (manager, { setup, params }) => {
      const { message, sender } = verifyDkgMessage<ConfirmBody>(DKG_MESSAGE_TYPES.confirm, input, params, setup.paramsHash, 'body');
      const [earlier] = await this.repo.messagesFrom(manager, setupId, 'confirm', message.signer);
      if (earlier) {
        const stored = JSON.parse(earlier.message) as Envelope<ConfirmBody>;
        if (sameBody(stored, message)) return;
        return this.equivocation(manager, setup, params, sender, 'signed two different transcript hashes for this setup', [stored, message]);
      }
      this.expectState(setup, 'confirming', setup.state === 'round1' || setup.state === 'round2'
        ? 'takes confirmations once every round-2 share is in' : 'takes confirmations only while confirming');
      await this.store(manager, setup, params, 'confirm', [{ message, sender, recipient: BROADCAST }]);
      await this.audit.append(manager, {
        kind: 'frost.confirmed', actor: message.signer, subject: setupId, evidence: message, payload: { participant: sender + 1, transcriptHash: message.body.transcriptHash },
      });
      if (await this.repo.senders(manager, setupId, 'confirm') < params.participants.length) return;
      await this.finish(manager, setup, params);
    });
  }

  async get(setupId: string): Promise<FrostSetupView> {
    const setup = await this.repo.find(setupId);
    const params = JSON.parse(setup.params) as FrostSetupParams;
    const messages = await this.repo.messages(setupId);
    const of = (round: DkgRound) => messages.filter((m) => m.round === round);
    const round2Senders = [...new Set(of('round2').map((m) => m.senderIndex))].sort((a, b) => a - b);
    return {
      setupId, state: this.isExpired(setup) ? 'expired' : setup.state, params, paramsHash: setup.paramsHash,
      openEnvelope: JSON.parse(setup.openEnvelope) as FrostSetupView['openEnvelope'], expiresAt: setup.expiresAt,
      round1: of('round1').map((m) => JSON.parse(m.message) as FrostSetupView['round1'][number]),
      round2Senders: round2Senders.map((i) => params.participants[i].identityKey),
      confirmations: of('confirm').map((m) => JSON.parse(m.message) as FrostSetupView['confirmations'][number]),
      certificate: setup.certificate === null ? null : JSON.parse(setup.certificate) as FrostSetupView['certificate'],
      vaultId: setup.vaultId,
      abort: setup.abortCode === null ? null : { code: setup.abortCode, message: setup.abortMessage ?? '' },
      createdAt: setup.createdAt,
    };
  }

  /** The round-2 messages sealed to one participant (identity key), as many as are in. */
  async round2For(setupId: string, recipient: string): Promise<Envelope<Round2Body>[]> {
    const setup = await this.repo.find(setupId);
    const params = JSON.parse(setup.params) as FrostSetupParams;
    if (participantIndexOfKey(params, recipient) < 0) {
      throw new ConclaveError('VALIDATION_FAILED', `recipient: ${recipient} is not a participant of FROST setup ${setupId}`);
    }
    return (await this.repo.messagesTo(setupId, recipient)).map((m) => JSON.parse(m.message) as Envelope<Round2Body>);
  }

  /**
   * One DKG message request: in one transaction, lock the setup, refuse it when it ended or
   * expired, and apply `work`; a refusal `work` decides on is thrown once the transaction (and
   * with it an abort) has committed.
   */
  private async relay(setupId: string, work: (manager: EntityManager, running: Running) => Promise<Outcome>): Promise<FrostSetupView> {
    const outcome = await this.tx.run(async (manager) => {
      const setup = await this.repo.find(setupId, manager, true);
      if (setup.state === 'aborted') {
        throw new ConclaveError('FROST_SETUP_ABORTED', `FROST setup ${setupId}: aborted (${setup.abortCode}): ${setup.abortMessage}`, { abort: { code: setup.abortCode, message: setup.abortMessage } });
      }
      if (this.isExpired(setup)) {
        throw new ConclaveError('FROST_SETUP_EXPIRED', `FROST setup ${setupId}: expired at ${setup.expiresAt} before it completed; open a new setup`, { expiresAt: setup.expiresAt });
      }
      return work(manager, { setup, params: JSON.parse(setup.params) as FrostSetupParams });
    });
    if (outcome) throw outcome.refuse;
    return this.get(setupId);
  }

  private isExpired(setup: FrostSetupEntity): boolean {
    return setup.state !== 'complete' && setup.state !== 'aborted' && !(this.clock.now().getTime() < Date.parse(setup.expiresAt));
  }

  private expectState(setup: FrostSetupEntity, state: FrostSetupEntity['state'], why: string): void {
    if (setup.state !== state) {
      throw new ConclaveError('FROST_SETUP_STATE', `FROST setup ${setup.setupId}: is at ${setup.state}, and ${why}`, { state: setup.state });
    }
  }

  private async store(manager: EntityManager, setup: FrostSetupEntity, params: FrostSetupParams, round: DkgRound,
    messages: Array<Verified<unknown> & { recipient: string }>): Promise<void> {
    const createdAt = this.clock.now().toISOString();
    await this.repo.insertMessages(manager, messages.map((m): FrostDkgMessageEntity => ({
      setupId: setup.setupId, round, sender: params.participants[m.sender].identityKey, recipient: m.recipient, senderIndex: m.sender,
      message: canonicalJson(m.message), createdAt,
    })));
  }

  private async advance(manager: EntityManager, setupId: string, state: FrostSetupEntity['state']): Promise<void> {
    await this.repo.update(manager, setupId, { state, updatedAt: this.clock.now().toISOString() });
  }

  /** Records the abort (state, reason, audit event) in this transaction. */
  private async abort(manager: EntityManager, setupId: string, error: ConclaveError): Promise<void> {
    await this.repo.update(manager, setupId, { state: 'aborted', abortCode: error.code, abortMessage: error.message, updatedAt: this.clock.now().toISOString() });
    await this.audit.append(manager, {
      kind: 'frost.setup.aborted', subject: setupId, payload: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
    });
  }

  /** A participant signed two different messages of one kind: abort, keep both, refuse. */
  private async equivocation(manager: EntityManager, setup: FrostSetupEntity, params: FrostSetupParams, sender: number, what: string,
    evidence: Envelope[]): Promise<Outcome> {
    if (setup.state === 'complete') {
      throw new ConclaveError('FROST_SETUP_STATE', `FROST setup ${setup.setupId}: is complete; ${participantLabel(params, sender)} sent another message than the one the certificate holds`, { state: setup.state });
    }
    const error = new ConclaveError('FROST_DKG_EQUIVOCATION',
      `body: ${participantLabel(params, sender)} ${what}; the setup is aborted: never use its key, and keep these messages as evidence`,
      { participant: sender + 1, identityKey: params.participants[sender].identityKey, evidence });
    await this.abort(manager, setup.setupId, error);
    return { refuse: error };
  }

  /**
   * All n confirmations are in: assemble and verify the certificate; a failure (someone
   * confirmed another transcript) aborts the setup, naming who; success makes the vault.
   */
  private async finish(manager: EntityManager, setup: FrostSetupEntity, params: FrostSetupParams): Promise<void> {
    const bySender = (rows: FrostDkgMessageEntity[]) => [...rows].sort((a, b) => a.senderIndex - b.senderIndex).map((r) => JSON.parse(r.message) as unknown);
    const round1 = bySender(await this.repo.messages(setup.setupId, 'round1', manager));
    const confirmations = bySender(await this.repo.messages(setup.setupId, 'confirm', manager));
    let certificate;
    let verified;
    try {
      certificate = assembleCertificate(params, round1, confirmations);
      verified = verifyCertificate(certificate);
    } catch (error) {
      if (!(error instanceof ConclaveError)) throw error;
      await this.abort(manager, setup.setupId, error);
      return;
    }
    const open = JSON.parse(setup.openEnvelope) as Envelope;
    const members = await this.repo.members(manager, params.participants.map((p) => p.identityKey));
    const vaultId = await this.vaults.create(manager, setup.setupId, {
      params, openEnvelope: setup.openEnvelope, openedBy: open.signer, certificate, verified, members,
    });
    await this.repo.update(manager, setup.setupId, { state: 'complete', certificate: canonicalJson(certificate), vaultId, updatedAt: this.clock.now().toISOString() });
  }
}

/** Same statement: the signed bodies are equal (a re-signed copy of one message is a resend, not a second message). */
function sameBody(a: Envelope, b: Envelope): boolean {
  return a.signer === b.signer && canonicalJson(a.body) === canonicalJson(b.body);
}

/**
 * The public checks of a round-1 package that signatures do not cover: t commitments, each a
 * point on the curve, and a valid proof of knowledge of the constant term (RFC 9591 C.1).
 */
function checkRound1Package(params: FrostSetupParams, sender: number, body: Round1Body): void {
  const fail = (why: string) => new ConclaveError('FROST_DKG_PACKAGE_INVALID',
    `body.body.package: the round-1 package of ${participantLabel(params, sender)} ${why}`, { participant: sender + 1 });
  if (body.package.commitment.length !== params.threshold) {
    throw fail(`has ${body.package.commitment.length} commitments for a threshold of ${params.threshold}`);
  }
  body.package.commitment.forEach((c, k) => {
    try {
      decodePoint(c);
    } catch {
      throw fail(`has a commitment[${k}] that is not a point on secp256k1`);
    }
  });
  if (!proofOfKnowledgeValid(body.package)) throw fail('has a proof of knowledge that does not verify');
}

/**
 * A round-2 submission is one sender's n-1 sealed shares, exactly one to each other participant.
 * Returns the sender and each message's recipient (participant indexes).
 */
function checkRound2Submission(params: FrostSetupParams, verified: ReadonlyArray<Verified<Round2Body>>): { sender: number; recipients: number[] } {
  const n = params.participants.length;
  const fail = (message: string) => new ConclaveError('FROST_SETUP_ROUND2_INVALID', message);
  const sender = verified[0].sender;
  const recipients = verified.map((v, i) => {
    if (v.sender !== sender) {
      throw fail(`body.messages[${i}]: is from ${participantLabel(params, v.sender)}, but messages[0] is from ${participantLabel(params, sender)}; one submission holds one sender's shares`);
    }
    const to = participantIndexOfIdentifier(params, v.message.body.recipient);
    if (to < 0) throw fail(`body.messages[${i}].body.recipient: no participant has FROST identifier ${v.message.body.recipient}`);
    if (to === sender) throw fail(`body.messages[${i}].body.recipient: a share from ${participantLabel(params, sender)} to itself`);
    return to;
  });
  const twice = recipients.find((to, i) => recipients.indexOf(to) !== i);
  if (twice !== undefined) throw fail(`body.messages: two shares for ${participantLabel(params, twice)}`);
  if (verified.length !== n - 1) {
    throw fail(`body.messages: holds ${verified.length} shares; ${participantLabel(params, sender)} sends exactly ${n - 1}, one to each other participant`);
  }
  return { sender, recipients };
}
