/**
 * Primitive wire schemas shared by every message family (api.ts, the policy engine, FROST).
 * They live apart from api.ts so that modules api.ts itself imports (the vault policy and the
 * policy engine's rule sets) can use them without an import cycle.
 */
import { z } from 'zod';
import { NETWORK_NAMES } from './network';

export const hexBytes = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lowercase hex`);
export const identityKeySchema = hexBytes(32);
export const txidSchema = hexBytes(32);
export const hash256Schema = hexBytes(32);
export const satsSchema = z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'expected a decimal string of satoshis');
/** sat/vB as a decimal string with at most 3 decimals, e.g. "2" or "0.25". */
export const feeRateSchema = z.string().regex(/^(0|[1-9][0-9]{0,6})(\.[0-9]{1,3})?$/, 'expected sat/vB as a decimal string');
export const networkSchema = z.enum(NETWORK_NAMES);
export const idSchema = z.string().uuid();
/** No NUL: names are stored as text, and PostgreSQL text cannot hold U+0000 (nor can C strings). */
export const noNul = (s: string) => !s.includes('\u0000');
export const nameSchema = z.string().trim().min(1).max(80).refine(noNul, 'must not contain NUL (U+0000)');

/** A policy's cap on any withdrawal's absolute fee: positive satoshis as a decimal string. */
export const feeCapSatsSchema = z.string().regex(/^[1-9][0-9]{0,15}$/, 'expected a positive decimal string of satoshis');
/** A policy's cap on any withdrawal's fee rate, sat/vB as a decimal string. */
export const feeCapRateSchema = feeRateSchema;
