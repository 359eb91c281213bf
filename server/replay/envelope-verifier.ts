/**
 * Verifies a member's signed envelope and consumes its nonce in the caller's transaction, so
 * the replay check and the state change it authorizes commit together or not at all.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Envelope, verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { Clock } from '../common/clock';
import { UsedNonceEntity } from './used-nonce.entity';

@Injectable()
export class EnvelopeVerifier {
  constructor(private readonly clock: Clock) {}

  /** Signature and validity window only; no nonce is consumed (for read-only checks). */
  check<T>(input: unknown, type: string): Envelope<T> {
    return verifyEnvelope<T>(input, { now: this.clock.now(), expectedType: type });
  }

  async consume<T>(manager: EntityManager, input: unknown, type: string): Promise<Envelope<T>> {
    const envelope = this.check<T>(input, type);
    const id = `${envelope.signer}:${envelope.nonce}`;
    const repo = manager.getRepository(UsedNonceEntity);
    if (await repo.findOne({ where: { id } })) {
      throw new ConclaveError('ENVELOPE_REPLAYED', `envelope.nonce: ${envelope.nonce} was already used by this key`);
    }
    await repo.insert({ id, type: envelope.type, expiresAt: envelope.expires });
    return envelope;
  }
}
