/**
 * `token create|list|revoke`: API tokens for automation (issue 5). The secret is made here and
 * shown once; the coordinator gets only its hash, in a `token.create` grant signed with this
 * keystore's identity key. A `propose` token can only propose withdrawals (as you, for people to
 * approve and sign); a `read` token only reads. Revoking needs the same signature (or an admin's).
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { base64urlnopad } from '@scure/base';
import { z } from 'zod';
import { MESSAGE_TYPES } from '../../protocol/api';
import { MAX_TOKEN_LIFETIME_DAYS, TOKEN_SCOPES, type TokenCreate } from '../../protocol/auth/access';
import { hash256Schema, nameSchema } from '../../protocol/schemas';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { parseArg, parseCount } from '../validate';

export interface TokenCreateOptions { name: string; scope: string; days?: string }

const tokenViewSchema = z.object({
  id: z.string(), name: z.string(), scope: z.string(), identityKey: z.string(), expiresAt: z.string(), createdAt: z.string(),
  revokedAt: z.string().nullable(), revokedBy: z.string().nullable(), status: z.string(),
});

export async function runTokenCreate(ctx: CliContext, options: TokenCreateOptions): Promise<CommandResult> {
  const name = parseArg(nameSchema, options.name, '--name');
  const scope = parseArg(z.enum(TOKEN_SCOPES), options.scope, '--scope');
  const days = parseCount(options.days ?? '30', '--days', 1, MAX_TOKEN_LIFETIME_DAYS);
  const secret = `ct_${base64urlnopad.encode(new Uint8Array(randomBytes(32)))}`;
  const body: TokenCreate = {
    name, scope, secretHash: bytesToHex(sha256(utf8ToBytes(secret))),
    expiresAt: new Date(ctx.now().getTime() + days * 86_400_000).toISOString(),
  };
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.tokenCreate, body, { now: ctx.now() }));
  const { data } = await ctx.coordinator().post('/api/v1/tokens', envelope, tokenViewSchema);
  return {
    data: { token: secret, ...data },
    text: [
      `API token "${data.name}" (${data.scope}), valid until ${data.expiresAt}:`,
      `  ${secret}`,
      'Shown once: store it where the automation reads it (Authorization: Bearer <token>).',
      `Id (to revoke): ${data.id}`,
    ],
  };
}

export async function runTokenList(ctx: CliContext): Promise<CommandResult> {
  const tokens = await ctx.coordinator().get('/api/v1/tokens', z.array(tokenViewSchema));
  const text = tokens.length === 0 ? ['No API tokens.'] : tokens.map((t) => `${t.id.slice(0, 16)}…  ${t.name}  ${t.scope}  ${t.status}  until ${t.expiresAt}`);
  return { data: { tokens }, text };
}

export async function runTokenRevoke(ctx: CliContext, tokenId: string): Promise<CommandResult> {
  const id = parseArg(hash256Schema, tokenId, 'tokenId');
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.tokenRevoke, { tokenId: id }, { now: ctx.now() }));
  const { data } = await ctx.coordinator().post('/api/v1/tokens/revoke', envelope, tokenViewSchema);
  return { data, text: [`API token "${data.name}" revoked at ${data.revokedAt}.`] };
}
