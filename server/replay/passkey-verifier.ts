/**
 * Verifies a member's passkey statement (protocol/webauthn/passkey-statement.ts) for a state
 * change and uses it up in the caller's transaction, as EnvelopeVerifier does for envelopes:
 *  - against the passkeys pinned for its signer in the vault's governed member set, which the
 *    caller looks up (`pinnedFor`), never against a key that arrives with the statement;
 *  - for this coordinator's relying party and web origins (CONCLAVE_WEBAUTHN_RP_ID / _ORIGIN);
 *  - made recently: a statement carries no expiry of its own, so its `created` must lie within
 *    the longest validity window an envelope may have (protocol/envelope.ts);
 *  - once: its challenge (the hash of type, body, created and signer) is recorded with the
 *    envelope nonces, so the same statement never authorizes a second change.
 */
import { Inject, Injectable } from '@nestjs/common';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { EntityManager } from 'typeorm';
import { CLOCK_SKEW_SECONDS, MAX_ENVELOPE_TTL_SECONDS } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { type PasskeyStatement, passkeyChallenge, passkeyStatementSchema } from '../../protocol/webauthn/passkey-statement';
import { type PinnedPasskey, verifyPasskeyStatement } from '../../protocol/webauthn/verify-passkey-statement';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { UsedNonceEntity } from './used-nonce.entity';

export interface ConsumedPasskeyStatement<T> {
  /** The statement as verified (schema-parsed), which is what is stored as evidence. */
  statement: PasskeyStatement & { body: T };
  /** The pinned passkey that made it. */
  passkey: PinnedPasskey;
}

/** Key of a passkey statement in the used-nonce table: its challenge already commits to the signer. */
export function passkeyReplayKey(statement: Pick<PasskeyStatement, 'type' | 'body' | 'created' | 'signer'>): string {
  return `passkey:${bytesToHex(passkeyChallenge(statement))}`;
}

@Injectable()
export class PasskeyVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Everything but the replay check, and nothing is written (a re-sent proposal is answered before it is used up). */
  async check<T>(input: unknown, type: string, pinnedFor: (signer: string) => Promise<readonly PinnedPasskey[]>): Promise<ConsumedPasskeyStatement<T>> {
    const parsed = passkeyStatementSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConclaveError('PASSKEY_INVALID', `statement.${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`);
    }
    const pinned = await pinnedFor(parsed.data.signer);
    const verified = verifyPasskeyStatement<T>(parsed.data, () => pinned, type, { rpId: this.config.webauthn.rpId, origins: this.config.webauthn.origins });
    this.checkTime(verified.created);
    const passkey = pinned.find((p) => p.credentialId === verified.credentialId)!;
    return { statement: parsed.data as PasskeyStatement & { body: T }, passkey: { credentialId: passkey.credentialId, publicKey: passkey.publicKey } };
  }

  async consume<T>(manager: EntityManager, input: unknown, type: string, pinnedFor: (signer: string) => Promise<readonly PinnedPasskey[]>): Promise<ConsumedPasskeyStatement<T>> {
    const checked = await this.check<T>(input, type, pinnedFor);
    const verified = checked.statement;
    const id = passkeyReplayKey(verified);
    const repo = manager.getRepository(UsedNonceEntity);
    if (await repo.findOne({ where: { id } })) {
      throw new ConclaveError('PASSKEY_REPLAYED', `statement: this passkey statement of ${verified.signer} (created ${verified.created}) was already used`);
    }
    const expiresAt = new Date(Date.parse(verified.created) + MAX_ENVELOPE_TTL_SECONDS * 1000).toISOString();
    await repo.insert({ id, type: verified.type, expiresAt });
    return checked;
  }

  private checkTime(created: string): void {
    const at = Date.parse(created);
    const now = this.clock.now().getTime();
    if (at > now + CLOCK_SKEW_SECONDS * 1000) throw new ConclaveError('PASSKEY_EXPIRED', 'statement.created: lies in the future; check the clock');
    if (at < now - MAX_ENVELOPE_TTL_SECONDS * 1000) {
      throw new ConclaveError('PASSKEY_EXPIRED', `statement.created: ${created} is more than ${MAX_ENVELOPE_TTL_SECONDS / 3600} h ago; approve again with the passkey`);
    }
  }
}
