/** OpenAPI schema of a member's statement that may be an envelope or a passkey statement (approvals). */
import type { z } from 'zod';
import { passkeyStatementSchema } from '../../protocol/webauthn/passkey-statement';
import { envelopeSchemaFor, jsonSchemaOf } from './openapi';

type JsonSchema = Record<string, unknown>;

/** A signed envelope of `type`, or a passkey statement of `type` whose body follows `bodySchema`. */
export function statementSchemaFor(type: string, bodySchema: z.ZodType): JsonSchema {
  const base = jsonSchemaOf(passkeyStatementSchema);
  const passkey = {
    ...base,
    properties: { ...(base.properties as JsonSchema), type: { const: type }, body: jsonSchemaOf(bodySchema) },
    description: `Passkey statement of type "${type}": a WebAuthn assertion (ES256) whose challenge is the tagged hash of { type, body, created, signer }, by a passkey pinned for the signer in the vault's governed member set`,
  };
  return { oneOf: [envelopeSchemaFor(type, bodySchema), passkey] };
}
