/**
 * Vault setup by BIP129 (BSMS 1.0), relayed. BIP129's Coordinator is the opening keyholder's
 * signer CLI, which holds the token(s); this service only stores and forwards what it cannot
 * read, so encrypting the records means something against a compromised coordinator. It
 * enforces what it can without the token: the session's expiry, one key record per member, N
 * records at most, the descriptor record by the opener only and once. Every step is a signed
 * envelope, consumed in the same transaction as the change, with an audit event.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  MESSAGE_TYPES, type SetupDescriptorRecord, type SetupKeyRecord, type SetupOpen, type SetupView,
  setupDescriptorRecordSchema, setupKeyRecordSchema, setupOpenSchema,
} from '../../protocol/api';
import { MAX_SESSION_TTL_SECONDS, type BsmsMode } from '../../protocol/bsms';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { AuditService } from '../audit/audit.service';
import { Clock, Random } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import type { SetupKeyRecordEntity } from './setup-key-record.entity';
import type { SetupEntity } from './setup.entity';
import { SetupsRepository } from './setups.repository';

/** 32-byte MAC and at least one byte of ciphertext, in lowercase hex. */
const SEALED_RECORD = /^(?:[0-9a-f]{2}){33,}$/;
const PLAINTEXT_RECORD_START = 'BSMS 1.0\n';

/**
 * The shape a sealed record must have in `mode`; the content stays opaque. Lowercase hex keeps
 * one stored form per record, so a signer retrying the same record is recognized.
 */
function checkSealed(mode: string, data: string, where: string): void {
  const ok = mode === 'NO_ENCRYPTION' ? data.startsWith(PLAINTEXT_RECORD_START) : SEALED_RECORD.test(data);
  if (!ok) {
    throw new ConclaveError('BSMS_RECORD_INVALID', mode === 'NO_ENCRYPTION'
      ? `${where}: this setup has no encryption, so a record is its BSMS 1.0 text`
      : `${where}: this setup uses ${mode} encryption, so a record is lowercase hex of MAC || ciphertext`);
  }
}

@Injectable()
export class SetupsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly repo: SetupsRepository,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async open(input: unknown): Promise<SetupView> {
    const id = await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<SetupOpen>(manager, input, MESSAGE_TYPES.setupOpen);
      const body = parseWith(setupOpenSchema, envelope.body, 'envelope.body');
      if (body.network !== this.config.network) {
        throw new ConclaveError('ADDRESS_WRONG_NETWORK', `envelope.body.network: this coordinator runs on ${this.config.network}`);
      }
      if (!(await this.repo.member(manager, envelope.signer))) throw new ConclaveError('NOT_A_MEMBER', 'only a member may open a vault setup; join first');
      const now = this.clock.now();
      const expires = Date.parse(body.expiresAt);
      if (!(expires > now.getTime())) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.expiresAt: lies in the past');
      if (expires > now.getTime() + MAX_SESSION_TTL_SECONDS * 1000) {
        throw new ConclaveError('VALIDATION_FAILED', `envelope.body.expiresAt: at most ${MAX_SESSION_TTL_SECONDS / 86400} days ahead (BIP129: a session is short-lived)`);
      }
      const setup: SetupEntity = {
        id: this.random.uuid(), name: body.name, network: body.network, threshold: body.threshold, keyholders: body.keyholders,
        mode: body.mode, expiresAt: new Date(expires).toISOString(), openedBy: envelope.signer, openEnvelope: canonicalJson(envelope),
        descriptorEnvelope: null, completedAt: null, createdAt: now.toISOString(),
      };
      await this.repo.insert(manager, setup);
      await this.audit.append(manager, {
        kind: 'setup.opened', actor: envelope.signer, subject: setup.id,
        payload: { name: setup.name, threshold: setup.threshold, keyholders: setup.keyholders, mode: setup.mode, expiresAt: setup.expiresAt },
        evidence: envelope,
      });
      return setup.id;
    });
    return this.get(id);
  }

  async addKeyRecord(setupId: string, input: unknown): Promise<SetupView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<SetupKeyRecord>(manager, input, MESSAGE_TYPES.setupKeyRecord);
      const body = parseWith(setupKeyRecordSchema, envelope.body, 'envelope.body');
      if (body.setupId !== setupId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.setupId: does not match the route');
      const setup = await this.repo.find(setupId, manager, true);
      if (!(await this.repo.member(manager, envelope.signer))) throw new ConclaveError('NOT_A_MEMBER', 'the signer is not a member of this coordinator');
      const member = body.member ?? envelope.signer;
      if (member !== envelope.signer) {
        // A record made by another wallet, brought in by the opener (`setup import-key`).
        if (envelope.signer !== setup.openedBy) throw new ConclaveError('SETUP_NOT_OPENER', 'envelope.body.member: only the opener may relay another member\'s key record');
        if (!(await this.repo.member(manager, member))) throw new ConclaveError('MEMBER_NOT_FOUND', `envelope.body.member: no member with identity key ${member}`);
      }
      this.ensureOpen(setup);
      const records = await this.repo.keyRecords(setupId, manager);
      if (records.some((r) => r.member === member)) {
        throw new ConclaveError('SETUP_KEY_RECORD_EXISTS', `setup ${setupId}: already holds a key record for member ${member}`);
      }
      if (records.length >= setup.keyholders) {
        throw new ConclaveError('SETUP_FULL', `setup ${setupId}: already holds all ${setup.keyholders} key records`);
      }
      checkSealed(setup.mode, body.record, 'envelope.body.record');
      const row: SetupKeyRecordEntity = {
        setupId, member, position: records.length, submittedBy: envelope.signer, record: body.record,
        envelope: canonicalJson(envelope), createdAt: this.clock.now().toISOString(),
      };
      await this.repo.insertKeyRecord(manager, row);
      await this.audit.append(manager, {
        kind: 'setup.key-record', actor: envelope.signer, subject: setupId,
        payload: { member, position: row.position, received: records.length + 1, keyholders: setup.keyholders }, evidence: envelope,
      });
    });
    return this.get(setupId);
  }

  async setDescriptorRecord(setupId: string, input: unknown): Promise<SetupView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<SetupDescriptorRecord>(manager, input, MESSAGE_TYPES.setupDescriptorRecord);
      const body = parseWith(setupDescriptorRecordSchema, envelope.body, 'envelope.body');
      if (body.setupId !== setupId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.setupId: does not match the route');
      const setup = await this.repo.find(setupId, manager, true);
      if (envelope.signer !== setup.openedBy) throw new ConclaveError('SETUP_NOT_OPENER', 'only the keyholder who opened the setup sends its descriptor record');
      this.ensureOpen(setup);
      const records = await this.repo.keyRecords(setupId, manager);
      if (records.length < setup.keyholders) {
        throw new ConclaveError('SETUP_INCOMPLETE', `setup ${setupId}: holds ${records.length} of ${setup.keyholders} key records`);
      }
      const mode = setup.mode as BsmsMode;
      let recipients: number;
      if (mode === 'EXTENDED') {
        // One token per keyholder, so one sealed record per keyholder, for exactly those who sent a key record.
        if (body.records === undefined) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.records: an EXTENDED setup sends one record per keyholder');
        const wanted = new Set(records.map((r) => r.member));
        const given = Object.keys(body.records);
        const stray = given.find((k) => !wanted.has(k));
        if (stray !== undefined) throw new ConclaveError('VALIDATION_FAILED', `envelope.body.records.${stray}: sent no key record to this setup`);
        const missing = [...wanted].find((k) => body.records![k] === undefined);
        if (missing !== undefined) throw new ConclaveError('VALIDATION_FAILED', `envelope.body.records: no record for ${missing}`);
        for (const k of given) checkSealed(mode, body.records[k]!, `envelope.body.records.${k}`);
        recipients = given.length;
      } else {
        if (body.record === undefined) throw new ConclaveError('VALIDATION_FAILED', `envelope.body.record: a ${mode} setup sends one record for everyone`);
        checkSealed(mode, body.record, 'envelope.body.record');
        recipients = records.length;
      }
      await this.repo.complete(manager, setupId, canonicalJson(envelope), this.clock.now().toISOString());
      await this.audit.append(manager, {
        kind: 'setup.descriptor-record', actor: envelope.signer, subject: setupId, payload: { mode, recipients }, evidence: envelope,
      });
    });
    return this.get(setupId);
  }

  async get(id: string): Promise<SetupView> {
    const setup = await this.repo.find(id);
    const records = await this.repo.keyRecords(id);
    return toView(setup, records, this.clock.now());
  }

  /** Records are accepted only before expiry and before the descriptor record. */
  private ensureOpen(setup: SetupEntity): void {
    if (setup.descriptorEnvelope !== null) throw new ConclaveError('SETUP_COMPLETE', `setup ${setup.id}: already has its descriptor record`);
    if (!(this.clock.now().getTime() < Date.parse(setup.expiresAt))) {
      throw new ConclaveError('BSMS_SESSION_EXPIRED', `setup ${setup.id}: expired at ${setup.expiresAt}; open a new setup with new tokens`, { expiresAt: setup.expiresAt });
    }
  }
}

function toView(setup: SetupEntity, records: SetupKeyRecordEntity[], now: Date): SetupView {
  let status: SetupView['status'];
  if (setup.descriptorEnvelope !== null) status = 'complete';
  else if (!(now.getTime() < Date.parse(setup.expiresAt))) status = 'expired';
  else status = records.length >= setup.keyholders ? 'ready' : 'collecting';
  return {
    id: setup.id, name: setup.name, network: setup.network, threshold: setup.threshold, keyholders: setup.keyholders,
    mode: setup.mode as SetupView['mode'], expiresAt: setup.expiresAt, openedBy: setup.openedBy, createdAt: setup.createdAt, status,
    openEnvelope: JSON.parse(setup.openEnvelope),
    keyRecords: records.map((r) => ({
      position: r.position, member: r.member, submittedBy: r.submittedBy, record: r.record, envelope: JSON.parse(r.envelope), createdAt: r.createdAt,
    })),
    descriptorRecord: setup.descriptorEnvelope === null ? null : { envelope: JSON.parse(setup.descriptorEnvelope), createdAt: setup.completedAt ?? setup.createdAt },
  };
}
