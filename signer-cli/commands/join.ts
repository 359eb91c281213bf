/**
 * `join --coordinator <url> --name <name>`: register this signer as a member, by a member.join
 * envelope signed with the identity key and carrying the BIP48 account key. Running it again
 * against the same coordinator is harmless: an existing registration of the same keys is reused.
 * It also pins the coordinator's key, which signs the audit log (`audit verify` checks every
 * event against it), on first use; a different key later is refused, never silently re-pinned.
 */
import { z } from 'zod';
import { MESSAGE_TYPES, memberJoinSchema, type MemberJoin } from '../../protocol/api';
import { sameKeyOrigin } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import { infoViewSchema, memberViewSchema, type MemberViewParsed } from '../coordinator/views';
import type { CommandResult } from '../output';
import { parseArg } from '../validate';

export interface JoinOptions { name: string }

export async function runJoin(ctx: CliContext, options: JoinOptions): Promise<CommandResult> {
  const client = ctx.coordinator();
  const pub = ctx.keystorePublic();
  const body: MemberJoin = parseArg(memberJoinSchema, { name: options.name, network: pub.network, accountKey: pub.accountKey }, '--name');

  const info = await client.get('/api/v1/info', infoViewSchema);
  if (info.network !== pub.network) {
    throw new ConclaveError('VALIDATION_FAILED', `coordinator: runs on ${info.network}, but this keystore is for ${pub.network}`);
  }
  const pinnedKey = ctx.state.read().coordinatorKey;
  if (pinnedKey !== null && pinnedKey !== info.coordinatorKey) {
    throw new ConclaveError('PIN_MISMATCH',
      `coordinator: its key is now ${info.coordinatorKey} (fingerprint ${identityFingerprint(info.coordinatorKey)}), `
      + `but this signer pinned ${pinnedKey} (fingerprint ${identityFingerprint(pinnedKey)}); the audit log it serves would not be the one you saw`,
      { pinned: pinnedKey, served: info.coordinatorKey });
  }

  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.memberJoin, body, { now: ctx.now() }));
  let member: MemberViewParsed;
  let alreadyJoined = false;
  try {
    member = (await client.post('/api/v1/members', envelope, memberViewSchema)).data;
  } catch (error) {
    if (!(error instanceof ConclaveError) || error.code !== 'MEMBER_EXISTS') throw error;
    const members = await client.get('/api/v1/members', z.array(memberViewSchema));
    const existing = members.find((m) => m.identityKey === pub.identityKey);
    if (existing === undefined) throw error;
    member = existing;
    alreadyJoined = true;
  }
  const sameKeys = member.identityKey === pub.identityKey && sameKeyOrigin(member.accountKey, pub.accountKey);
  if (!sameKeys) {
    throw new ConclaveError('COORDINATOR_ERROR', 'coordinator: the member it recorded does not carry this signer\'s identity and account keys');
  }
  ctx.state.update((state) => {
    state.coordinator = client.baseUrl;
    state.coordinatorKey = info.coordinatorKey;
    state.memberId = member.id;
  });
  const fingerprint = identityFingerprint(pub.identityKey);
  const coordinatorFingerprint = identityFingerprint(info.coordinatorKey);
  return {
    data: {
      memberId: member.id, name: member.name, identityKey: pub.identityKey, fingerprint, coordinator: client.baseUrl, alreadyJoined,
      coordinatorKey: info.coordinatorKey, coordinatorFingerprint, coordinatorKeyNewlyPinned: pinnedKey === null,
    },
    text: [
      `${alreadyJoined ? 'Already a member' : 'Joined'} ${client.baseUrl} as "${member.name}" (member ${member.id}).`,
      `Identity fingerprint: ${fingerprint}`,
      'Read this fingerprint to your co-keyholders out of band (in person or by phone) before forming a vault.',
      `Coordinator key fingerprint: ${coordinatorFingerprint} (${pinnedKey === null ? 'pinned now' : 'as pinned before'}); `
        + 'compare it with the operator and the other keyholders: "audit verify" checks the audit log against it.',
    ],
  };
}
