/** `members`: the coordinator's member list, with fingerprints recomputed locally. */
import { z } from 'zod';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import { memberViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { describeAccountKey } from './whoami';

export async function runMembers(ctx: CliContext): Promise<CommandResult> {
  const own = ctx.keystorePublic().identityKey;
  const members = await ctx.coordinator().get('/api/v1/members', z.array(memberViewSchema));
  const rows = members.map((m) => ({
    id: m.id,
    name: m.name,
    identityKey: m.identityKey,
    fingerprint: identityFingerprint(m.identityKey),
    network: m.network,
    accountKey: m.accountKey,
    you: m.identityKey === own,
  }));
  const text = rows.length === 0 ? ['No members yet.'] : rows.flatMap((m) => [
    `${m.name}${m.you ? ' (you)' : ''}  [${m.id}]`,
    `  fingerprint: ${m.fingerprint}`,
    `  identity:    ${m.identityKey}`,
    `  account:     ${describeAccountKey(m.accountKey)}`,
  ]);
  return { data: { members: rows }, text };
}
