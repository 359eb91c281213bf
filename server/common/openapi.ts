/** OpenAPI schemas for request bodies, generated from the same zod schemas that validate them. */
import { z } from 'zod';
import { envelopeSchema } from '../../protocol/envelope';

type JsonSchema = Record<string, unknown>;

export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** A signed envelope whose `body` follows `bodySchema`. */
export function envelopeSchemaFor(type: string, bodySchema: z.ZodType): JsonSchema {
  const base = jsonSchemaOf(envelopeSchema);
  const properties = { ...(base.properties as JsonSchema), type: { const: type }, body: jsonSchemaOf(bodySchema) };
  return { ...base, properties, description: `Signed envelope of type "${type}" (BIP340 over the tagged hash of its RFC 8785 form)` };
}
