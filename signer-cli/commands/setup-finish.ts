/**
 * `setup finish <setupId>`: BIP129 "Round 2", Coordinator, run by the keyholder who opened the
 * setup. Every key record the coordinator relayed is opened with the right token (its MAC is
 * what authenticates it: the coordinator cannot forge or swap one), its SIG verified when
 * present, and its KEY matched to the member who sent it: KEY MUST equal that member's
 * registered account key. The vault descriptor lists the keys in record order; its descriptor
 * record (template, `/0/*,/1/*`, FIRST_ADDRESS) is sealed for everyone, or per keyholder in
 * EXTENDED mode, and sent with the usual vault.create (with the policy chosen at `setup open`).
 * Running it again after a partial failure resends nothing already accepted.
 */
import { z } from 'zod';
import { MESSAGE_TYPES, idSchema, setupDescriptorRecordSchema, vaultCreateSchema, type KeyOrigin, type SetupDescriptorRecord, type VaultCreate } from '../../protocol/api';
import {
  accountKeyFromKeyRecord, checkDescriptorRecord, descriptorRecordFor, keyRecordKey, openRecord, parseKeyRecord, sealRecord, type KeyRecord,
} from '../../protocol/bsms';
import { canonicalJson } from '../../protocol/canonical-json';
import {
  deriveVaultScript, descriptorHash, formatVaultDescriptor, parseVaultDescriptor, sameKeyOrigin, type MultisigVaultDescriptor,
} from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION } from '../../protocol/policy';
import { assertGovernedPolicy } from '../../protocol/policy-engine/vault-formation';
import type { CliContext } from '../context';
import type { CoordinatorClient } from '../coordinator/client';
import { memberViewSchema, vaultViewSchema, type MemberViewParsed, type VaultViewParsed } from '../coordinator/views';
import type { CommandResult } from '../output';
import { fetchSetup, setupViewSchema, type RelayedKeyRecord } from '../setup/relayed-setup';
import { ensureSessionOpen, requireSession, saveSession } from '../setup/session';
import type { SetupSession } from '../state/state-file';
import { parseArg } from '../validate';
import { describeAccountKey } from './whoami';

interface OpenedKeyRecord { member: MemberViewParsed; token: string; record: KeyRecord; accountKey: KeyOrigin }

/**
 * Opens each relayed record with its token: the one shared token, or in EXTENDED mode the one
 * unused token under which its MAC verifies (each keyholder has exactly one).
 */
function openKeyRecords(session: SetupSession, relayed: RelayedKeyRecord[], members: MemberViewParsed[], network: NetworkName): OpenedKeyRecord[] {
  const used = new Set<string>();
  return relayed.map((r, i) => {
    const who = `key record ${i + 1} (member ${identityFingerprint(r.member)})`;
    const member = members.find((m) => m.identityKey === r.member);
    if (member === undefined) throw new ConclaveError('MEMBER_NOT_FOUND', `${who}: the coordinator lists no such member`);
    let token: string | undefined;
    let text: string | undefined;
    for (const candidate of session.mode === 'EXTENDED' ? session.tokens.filter((t) => !used.has(t)) : session.tokens) {
      try {
        text = openRecord(candidate, r.sealed);
        token = candidate;
        break;
      } catch (error) {
        if (!(error instanceof ConclaveError) || error.code !== 'BSMS_DECRYPT') throw error;
      }
    }
    if (token === undefined || text === undefined) {
      throw new ConclaveError('BSMS_DECRYPT', `${who}: does not authenticate under ${session.mode === 'EXTENDED' ? 'any unused token' : 'the token'} of this setup: `
        + 'the keyholder typed a wrong token, or the record was altered in transit', { member: r.member });
    }
    used.add(token);
    let record: KeyRecord;
    try {
      // A SIG is verified when present; other wallets often leave it out (BIP129 allows that).
      record = parseKeyRecord(text, { token });
    } catch (error) {
      if (error instanceof ConclaveError) throw new ConclaveError(error.code, `${who}: ${error.message}`, error.details);
      throw error;
    }
    const accountKey = accountKeyFromKeyRecord(record, network);
    if (!sameKeyOrigin(accountKey, member.accountKey)) {
      throw new ConclaveError('BSMS_KEY_MISMATCH',
        `${who}: KEY ${record.key} is not ${member.name}'s registered account key ${describeAccountKey(member.accountKey)}`, { member: r.member });
    }
    return { member, token, record, accountKey };
  });
}

/** Sealed descriptor record(s): one for everyone, or one per keyholder under its own token. */
function sealFor(session: SetupSession, setupId: string, text: string, opened: OpenedKeyRecord[]): SetupDescriptorRecord {
  if (session.mode !== 'EXTENDED') return parseArg(setupDescriptorRecordSchema, { setupId, record: sealRecord(session.tokens[0], text) }, 'descriptor record');
  const records = Object.fromEntries(opened.map((o) => [o.member.identityKey, sealRecord(o.token, text)]));
  return parseArg(setupDescriptorRecordSchema, { setupId, records }, 'descriptor record');
}

async function findVault(client: CoordinatorClient, hash: string, network: NetworkName): Promise<VaultViewParsed | undefined> {
  const vaults = await client.get('/api/v1/vaults', z.array(vaultViewSchema));
  return vaults.find((v) => {
    try {
      return descriptorHash(parseVaultDescriptor(v.descriptor, network)) === hash;
    } catch {
      return false;
    }
  });
}

export async function runSetupFinish(ctx: CliContext, setupId: string): Promise<CommandResult> {
  parseArg(idSchema, setupId, 'setupId');
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const session = requireSession(ctx, setupId, 'opener');
  ensureSessionOpen(session, ctx.now());
  const policy = session.policy;
  if (policy === undefined) throw new ConclaveError('VALIDATION_FAILED', `setup ${setupId}: the local session has no policy`);

  const setup = await fetchSetup(client, setupId);
  if (setup.opener !== pub.identityKey) throw new ConclaveError('SETUP_NOT_OPENER', `setup ${setupId}: the coordinator shows another opener`);
  const { open } = setup;
  if (open.threshold !== session.threshold || open.keyholders !== session.keyholders || open.mode !== session.mode || open.name !== session.name) {
    throw new ConclaveError('PIN_MISMATCH', `setup ${setupId}: the coordinator shows other parameters than this signer opened`);
  }
  if (setup.keyRecords.length < session.keyholders) {
    throw new ConclaveError('SETUP_INCOMPLETE', `setup ${setupId}: ${setup.keyRecords.length} of ${session.keyholders} key records so far`);
  }
  if (setup.keyRecords.length > session.keyholders) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: setup ${setupId} holds more key records than keyholders`);

  const members = await client.get('/api/v1/members', z.array(memberViewSchema));
  const opened = openKeyRecords(session, setup.keyRecords, members, pub.network);
  const own = opened.find((o) => o.member.identityKey === pub.identityKey);
  if (own === undefined || !sameKeyOrigin(own.accountKey, pub.accountKey)) {
    throw new ConclaveError('BSMS_KEY_NOT_IN_DESCRIPTOR', `setup ${setupId}: your own key record is not among the records`);
  }

  // A governed policy names its keyholders; now that their keys are known, they must be these.
  if (policy.version === GOVERNED_POLICY_VERSION) {
    assertGovernedPolicy(policy, opened.map((o) => o.member.identityKey), `setup ${setupId}`, pub.network, `setup ${setupId}: the governed policy given at "setup open" does not fit the keyholders whose records came in`);
  }

  const vault: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: pub.network, threshold: session.threshold, keys: opened.map((o) => o.accountKey) };
  const descriptor = formatVaultDescriptor(vault);
  const hash = descriptorHash(vault);
  const recordText = descriptorRecordFor(vault);
  // This signer is a Signer too: the record must pass the checks every keyholder will run.
  const check = checkDescriptorRecord(recordText, { network: pub.network, ownKey: keyRecordKey(pub.accountKey) });
  const sealed = sealFor(session, setupId, recordText, opened);
  if (setup.descriptor !== null && canonicalJson(setup.descriptor) !== canonicalJson(sealed)) {
    throw new ConclaveError('SETUP_COMPLETE', `setup ${setupId}: the coordinator holds another descriptor record than this signer builds from the key records`);
  }

  const created = await ctx.withKeystore(async (keystore) => {
    if (setup.descriptor === null) {
      await client.post(`/api/v1/setups/${setupId}/descriptor-record`, keystore.signEnvelope(MESSAGE_TYPES.setupDescriptorRecord, sealed, { now: ctx.now() }), setupViewSchema);
    }
    const existing = await findVault(client, hash, pub.network);
    if (existing !== undefined) return { vault: existing, created: false };
    const body: VaultCreate = parseArg(vaultCreateSchema, {
      name: session.name, network: pub.network, threshold: session.threshold, members: opened.map((o) => o.member.identityKey), descriptor, policy,
    }, 'vault');
    const { data } = await client.post('/api/v1/vaults', keystore.signEnvelope(MESSAGE_TYPES.vaultCreate, body, { now: ctx.now() }), vaultViewSchema);
    return { vault: data, created: true };
  });
  const vaultId = created.vault.id;
  if (descriptorHash(parseVaultDescriptor(created.vault.descriptor, pub.network)) !== hash) {
    throw new ConclaveError('PIN_MISMATCH', `coordinator: vault ${vaultId} was recorded with another descriptor than the one signed`);
  }
  saveSession(ctx, { ...session, vaultId });

  const firstAddress = deriveVaultScript(vault, 0, 0).address;
  const rows = opened.map((o, i) => ({
    position: i + 1, name: o.member.name, identityKey: o.member.identityKey, fingerprint: identityFingerprint(o.member.identityKey),
    key: o.record.key, signed: o.record.signed, description: o.record.description,
  }));
  return {
    data: {
      setupId, vaultId, vaultCreated: created.created, name: session.name, network: pub.network, threshold: session.threshold, keyholders: session.keyholders,
      mode: session.mode, descriptor, descriptorHash: hash, firstAddress, policy, members: rows, ownPositions: check.positions,
    },
    text: [
      `Setup ${setupId}: all ${session.keyholders} key records opened and checked; descriptor record sent (${session.mode}).`,
      `${created.created ? 'Created' : 'Found'} vault "${session.name}" ${vaultId}: ${session.threshold} of ${session.keyholders} on ${pub.network}.`,
      'Keys in record order (compare each fingerprint with its owner out of band):',
      ...rows.flatMap((r) => [`  ${r.position}. ${r.name}  ${r.fingerprint}${r.signed ? '' : '  (key record without SIG)'}`, `     ${r.key}`]),
      `Descriptor:    ${descriptor}`,
      `First address: ${firstAddress}`,
      `Next: every keyholder, you too, runs: conclave-signer setup confirm ${setupId}`,
    ],
  };
}
