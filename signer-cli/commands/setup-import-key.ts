/**
 * `setup import-key <setupId> --file <f> --member <name|identityKey>`: the opener brings in a
 * key record that another wallet produced for a member (BIP129 `.bsms` plain record, or `.dat`
 * hex or raw MAC || ciphertext under a token of this setup). Other wallets often omit SIG: its
 * absence is accepted, a SIG that is present MUST verify. Its KEY MUST be the member's
 * registered account key. The record is then sealed with the token and relayed like any other
 * key record, by a setup.key-record envelope of the opener naming the member.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MESSAGE_TYPES, idSchema, setupKeyRecordSchema, type SetupKeyRecord } from '../../protocol/api';
import { accountKeyFromKeyRecord, BSMS_VERSION, parseKeyRecord, readBsmsFile, sealRecord, type KeyRecord } from '../../protocol/bsms';
import { sameKeyOrigin } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import { memberViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { fetchSetup, setupViewSchema } from '../setup/relayed-setup';
import { ensureSessionOpen, requireSession } from '../setup/session';
import type { SetupSession } from '../state/state-file';
import { parseArg } from '../validate';
import { resolveMember } from './vault-create';
import { describeAccountKey } from './whoami';

export interface SetupImportKeyOptions { file: string; member: string }

/** The record text as BIP129 signs it: no BOM, LF line ends, no trailing whitespace. */
function normalized(text: string): string {
  return (text.startsWith('\uFEFF') ? text.slice(1) : text).replace(/\r\n/g, '\n').replace(/\s+$/, '');
}

/**
 * The record in the file and the token of this setup it belongs to. A plain record is taken
 * when its token line is one of this setup's tokens: it came straight from the keyholder's
 * wallet, not through the relay, and its KEY is matched against the member's key below.
 */
function readRecord(content: Uint8Array, session: SetupSession): { text: string; token: string; encrypted: boolean } {
  const asText = new TextDecoder('utf-8', { fatal: false }).decode(content);
  if (normalized(asText).startsWith(BSMS_VERSION)) {
    const text = normalized(asText);
    const { token } = parseKeyRecord(text);
    if (!session.tokens.includes(token)) {
      throw new ConclaveError('BSMS_RECORD_INVALID', `--file: the key record was made for another setup session (token ${token.slice(0, 4)}... is not one of this setup's)`);
    }
    return { text, token, encrypted: false };
  }
  for (const token of session.tokens) {
    try {
      const read = readBsmsFile(content, token);
      if (read.kind !== 'key') throw new ConclaveError('BSMS_RECORD_INVALID', '--file: holds a descriptor record, not a key record');
      return { text: normalized(read.record), token, encrypted: read.encrypted };
    } catch (error) {
      if (!(error instanceof ConclaveError) || error.code !== 'BSMS_DECRYPT') throw error;
    }
  }
  throw new ConclaveError('BSMS_DECRYPT', '--file: the encrypted record does not authenticate under any token of this setup');
}

export async function runSetupImportKey(ctx: CliContext, setupId: string, options: SetupImportKeyOptions): Promise<CommandResult> {
  parseArg(idSchema, setupId, 'setupId');
  const pub = ctx.keystorePublic();
  const client = ctx.coordinator();
  const session = requireSession(ctx, setupId, 'opener');
  ensureSessionOpen(session, ctx.now());
  let content: Uint8Array;
  try {
    content = new Uint8Array(readFileSync(options.file));
  } catch (error) {
    throw new ConclaveError('VALIDATION_FAILED', `--file ${options.file}: ${(error as Error).message}`);
  }
  const { text, token, encrypted } = readRecord(content, session);
  const record: KeyRecord = parseKeyRecord(text, { token });

  const members = await client.get('/api/v1/members', z.array(memberViewSchema));
  const member = resolveMember(members, options.member);
  const key = accountKeyFromKeyRecord(record, pub.network);
  if (!sameKeyOrigin(key, member.accountKey)) {
    throw new ConclaveError('BSMS_KEY_MISMATCH', `--file: KEY ${record.key} is not ${member.name}'s registered account key ${describeAccountKey(member.accountKey)}`);
  }
  const setup = await fetchSetup(client, setupId);
  if (setup.keyRecords.some((r) => r.member === member.identityKey)) {
    throw new ConclaveError('SETUP_KEY_RECORD_EXISTS', `setup ${setupId}: already holds a key record for ${member.name}`);
  }

  const body: SetupKeyRecord = parseArg(setupKeyRecordSchema, { setupId, record: sealRecord(token, text), member: member.identityKey }, 'key record');
  const sent = await ctx.withKeystore(async (keystore) =>
    client.post(`/api/v1/setups/${setupId}/key-records`, keystore.signEnvelope(MESSAGE_TYPES.setupKeyRecord, body, { now: ctx.now() }), setupViewSchema));
  const position = sent.data.keyRecords.findIndex((r) => r.member === member.identityKey) + 1;
  return {
    data: {
      setupId, member: member.identityKey, name: member.name, fingerprint: identityFingerprint(member.identityKey), key: record.key,
      signed: record.signed, encrypted, description: record.description, position, received: sent.data.keyRecords.length,
    },
    text: [
      `Imported ${member.name}'s key record into setup ${setupId}: key ${position} of ${session.keyholders}.`,
      `KEY ${record.key} is ${member.name}'s registered account key (${identityFingerprint(member.identityKey)}).`,
      record.signed ? 'Its SIG verifies against KEY.' : 'It has no SIG line (other wallets often leave it out); its KEY was matched instead.',
      ...(encrypted ? [] : ['The file was not encrypted: make sure it came from the keyholder\'s own wallet.']),
    ],
  };
}
