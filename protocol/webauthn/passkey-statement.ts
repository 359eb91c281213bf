/**
 * A statement signed with a member's passkey (WebAuthn assertion) instead of their identity
 * key: the same `type` and `body` as an envelope, with the assertion as signature. The
 * assertion's challenge is the tagged hash of `{ type, body, created, signer }`, so the passkey
 * signs exactly this statement; `signer` is the member's identity key, naming whose pinned
 * passkeys may have made it. Verified against the passkey's public key as pinned in the
 * member set (protocol/policy-engine/members.ts), never against a key the coordinator sends.
 */
import { z } from 'zod';
import { canonicalBytes } from '../canonical-json';
import { taggedHash } from '../hashing';
import { identityKeySchema } from '../schemas';

export const PASSKEY_CHALLENGE_TAG = 'Conclave/passkey-statement';
const base64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, 'expected base64url');

export const passkeyStatementSchema = z.object({
  format: z.literal('webauthn'),
  type: z.string().min(1).max(64),
  body: z.unknown(),
  created: z.iso.datetime({ precision: 3 }),
  signer: identityKeySchema,
  credentialId: base64url(1366),
  authenticatorData: base64url(4096),
  clientDataJSON: base64url(4096),
  signature: base64url(512),
}).strict();
export type PasskeyStatement = z.infer<typeof passkeyStatementSchema>;

/** The 32 bytes the passkey's assertion must carry as its challenge. */
export function passkeyChallenge(statement: Pick<PasskeyStatement, 'type' | 'body' | 'created' | 'signer'>): Uint8Array {
  const { type, body, created, signer } = statement;
  return taggedHash(PASSKEY_CHALLENGE_TAG, canonicalBytes({ type, body, created, signer }));
}
