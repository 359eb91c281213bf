/**
 * The coordinator as the offline signer sees it: the signing-request bundle. The signing code
 * that `listen` runs (signing/sign-frost-withdrawal.ts) asks its transport for the withdrawal
 * and its FROST rounds and posts its signed statements; here the reads are answered from the
 * bundle and every statement is kept for the response file instead of being sent. No socket is
 * ever opened: there is no URL here to open one to.
 */
import type { z } from 'zod';
import type { Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import type { PostResult } from '../coordinator/client';
import type { SigningTransport } from '../signing/sign-withdrawal';
import type { SigningRequest } from './request-bundle';

export class BundleTransport implements SigningTransport {
  /** The statements the signing code would have posted, in order. */
  readonly statements: Envelope[] = [];

  constructor(private readonly request: SigningRequest) {}

  async get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
    return this.answer(path, schema);
  }

  async post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<PostResult<z.infer<S>>> {
    const base = `/api/v1/withdrawals/${this.request.withdrawalId}`;
    const accepted = path === `${base}/signatures` || path === `${base}/frost/commitments` || /^\/frost\/sessions\/[0-9a-f-]{36}\/shares$/.test(path.slice(base.length));
    if (!path.startsWith(base) || !accepted) throw new ConclaveError('INTERNAL', `offline: the signing code posted to ${path}, which no offline response carries`);
    this.statements.push(body as Envelope);
    // What the coordinator would answer is unknown offline: the state the bundle was made in.
    return { status: 200, data: this.answer(path.endsWith('/signatures') ? base : `${base}/frost`, schema) };
  }

  private answer<S extends z.ZodType>(path: string, schema: S): z.infer<S> {
    const base = `/api/v1/withdrawals/${this.request.withdrawalId}`;
    let value: unknown;
    if (path === base) value = this.request.withdrawal;
    else if (path === `${base}/frost` && this.request.frost !== null) value = this.request.frost;
    else throw new ConclaveError('OFFLINE_BUNDLE_INVALID', `offline: the bundle does not carry ${path}${path.endsWith('/frost') ? ' (no FROST rounds: export it again for this FROST vault)' : ''}`);
    return schema.parse(value);
  }
}
