/**
 * A member's identity key replaced by a quorum-approved `member.replace-credentials` (DESIGN.md:
 * no support-desk reset; a lost laptop is recovered this way). The policy engine already moved
 * the vault's member set to the new key; here the coordinator follows it everywhere it knows
 * the member by that key, in the transaction that applies the change and logs it:
 *   - the member row keeps its id, name and account key (a multisig keyholder keeps the same
 *     seed and xpub; only the identity key changes), so the vault membership, which names the
 *     member by id, carries over, and so does the WebSocket login, which looks the key up;
 *   - the vault confirmations and the partial signatures already given are the member's, now
 *     filed under the new key, so the vault stays active and one person never counts twice;
 *   - the old key's sessions end and its API tokens are revoked, and its live sockets close
 *     once the change has committed: a stolen key loses every way in at once.
 * Statements the old key made before stay evidence of their own events (the audit log keeps
 * them as they were); after this point the audit verifier refuses the old key for the vault
 * (protocol/audit/pinned-policy-log.ts).
 */
import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { ConclaveError } from '../../protocol/errors';
import { ApiTokenEntity } from '../auth/api-token.entity';
import { SessionEntity } from '../auth/session.entity';
import { Clock } from '../common/clock';
import { SignerHub } from '../events/signer-hub';
import { MemberEntity } from '../members/member.entity';
import { PartialSignatureEntity } from '../signing/partial-signature.entity';
import { VaultConfirmationEntity } from '../vaults/vault-confirmation.entity';

/** What the replacement did, recorded in the `governance.applied` payload. */
export interface CredentialsReplaced {
  oldIdentityKey: string;
  newIdentityKey: string;
  /** The member row that now carries the new key; null for a member who never joined (no key in any descriptor). */
  memberId: string | null;
  sessionsEnded: number;
  /** Ids of the old key's API tokens revoked by the change, sorted. */
  tokensRevoked: string[];
}

@Injectable()
export class CredentialReplacement {
  private readonly logger = new Logger('CredentialReplacement');

  constructor(private readonly hub: SignerHub, private readonly clock: Clock) {}

  /**
   * Refuses, before a change is filed, a new key the coordinator already knows as another
   * member: the member row could not take it, and two people would share one identity.
   */
  async checkNewKey(manager: EntityManager, newIdentityKey: string): Promise<void> {
    const holder = await manager.getRepository(MemberEntity).findOne({ where: { identityKey: newIdentityKey } });
    if (holder !== null) {
      throw new ConclaveError('MEMBER_EXISTS', `change.newIdentityKey: already the identity key of member ${holder.name} (${holder.id}) on this coordinator; the replacement must be a key of its own (a new keystore's)`);
    }
  }

  /** In the caller's transaction (the one that logs the change as applied). */
  async replace(manager: EntityManager, oldIdentityKey: string, newIdentityKey: string): Promise<CredentialsReplaced> {
    const members = manager.getRepository(MemberEntity);
    const member = await members.findOne({ where: { identityKey: oldIdentityKey } });
    let memberId: string | null = null;
    if (member !== null) {
      if (await members.findOne({ where: { identityKey: newIdentityKey } })) {
        // Joined between the proposal (checkNewKey) and now: the row cannot take the key. The
        // change still holds for the policy; the old key loses its sessions and tokens below.
        this.logger.warn({ msg: 'replacement key already joined as another member; the member row keeps its old key', memberId: member.id });
      } else {
        await members.update({ id: member.id }, { identityKey: newIdentityKey });
        memberId = member.id;
        await this.rekey(manager, VaultConfirmationEntity, 'vaultId', oldIdentityKey, newIdentityKey);
        await this.rekey(manager, PartialSignatureEntity, 'withdrawalId', oldIdentityKey, newIdentityKey);
      }
    }
    const sessionsEnded = (await manager.getRepository(SessionEntity).delete({ identityKey: oldIdentityKey })).affected ?? 0;
    const tokens = manager.getRepository(ApiTokenEntity);
    const live = await tokens.find({ where: { identityKey: oldIdentityKey, revokedAt: IsNull() }, select: { id: true } });
    const tokensRevoked = live.map((t) => t.id).sort();
    if (tokensRevoked.length > 0) {
      await tokens.update({ identityKey: oldIdentityKey, revokedAt: IsNull() }, { revokedAt: this.clock.now().toISOString() });
    }
    this.hub.disconnectAfterCommit(manager, oldIdentityKey, 'CREDENTIALS_REPLACED');
    return { oldIdentityKey, newIdentityKey, memberId, sessionsEnded, tokensRevoked };
  }

  /**
   * Rows of the member filed under the old key move to the new one; where the new key already
   * has a row for the same vault or withdrawal (it confirmed or signed again), the old one stays.
   */
  private async rekey(
    manager: EntityManager, entity: typeof VaultConfirmationEntity | typeof PartialSignatureEntity, scope: 'vaultId' | 'withdrawalId', from: string, to: string,
  ): Promise<void> {
    const repo = manager.getRepository<{ identityKey: string; vaultId?: string; withdrawalId?: string }>(entity);
    for (const row of await repo.find({ where: { identityKey: from } })) {
      const where = { [scope]: row[scope] } as Record<string, string>;
      if (await repo.findOne({ where: { ...where, identityKey: to } })) continue;
      await repo.update({ ...where, identityKey: from }, { identityKey: to });
    }
  }
}
