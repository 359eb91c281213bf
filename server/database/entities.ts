/** Every TypeORM entity of the coordinator; migrations are generated from this list. */
import { AuditEventEntity } from '../audit/audit-event.entity';
import { AuditHeadEntity } from '../audit/audit-head.entity';
import { ChainBroadcastEntity } from '../chain-watch/chain-broadcast.entity';
import { ChainDepositEntity } from '../chain-watch/chain-deposit.entity';
import { ChainTipEntity } from '../chain-watch/chain-tip.entity';
import { ApiTokenEntity } from '../auth/api-token.entity';
import { SessionEntity } from '../auth/session.entity';
import { WebauthnChallengeEntity } from '../auth/webauthn-challenge.entity';
import { RawTransactionEntity } from '../deposits/raw-transaction.entity';
import { UtxoEntity } from '../deposits/utxo.entity';
import { FrostDkgMessageEntity } from '../frost-setups/frost-dkg-message.entity';
import { FrostSetupEntity } from '../frost-setups/frost-setup.entity';
import { FrostCommitmentEntity } from '../frost-signing/frost-commitment.entity';
import { FrostSessionEntity } from '../frost-signing/frost-session.entity';
import { FrostShareEntity } from '../frost-signing/frost-share.entity';
import { GovernanceApprovalEntity } from '../governance/governance-approval.entity';
import { GovernanceChangeEntity } from '../governance/governance-change.entity';
import { MemberEntity } from '../members/member.entity';
import { UsedNonceEntity } from '../replay/used-nonce.entity';
import { SetupKeyRecordEntity } from '../setups/setup-key-record.entity';
import { SetupEntity } from '../setups/setup.entity';
import { PartialSignatureEntity } from '../signing/partial-signature.entity';
import { AddressEntity } from '../vaults/address.entity';
import { VaultConfirmationEntity } from '../vaults/vault-confirmation.entity';
import { VaultMemberEntity } from '../vaults/vault-member.entity';
import { VaultEntity } from '../vaults/vault.entity';
import { ApprovalEntity } from '../withdrawals/approval.entity';
import { WithdrawalTransactionEntity } from '../withdrawals/withdrawal-transaction.entity';
import { WithdrawalEntity } from '../withdrawals/withdrawal.entity';
import { WebhookAttemptEntity } from '../webhooks/webhook-attempt.entity';
import { WebhookCursorEntity } from '../webhooks/webhook-cursor.entity';
import { WebhookDeliveryEntity } from '../webhooks/webhook-delivery.entity';
import { WebhookEndpointEntity } from '../webhooks/webhook-endpoint.entity';

export const ENTITIES = [
  MemberEntity, VaultEntity, VaultMemberEntity, VaultConfirmationEntity, AddressEntity,
  UtxoEntity, RawTransactionEntity, WithdrawalEntity, WithdrawalTransactionEntity, ApprovalEntity, PartialSignatureEntity,
  AuditEventEntity, AuditHeadEntity, UsedNonceEntity, SetupEntity, SetupKeyRecordEntity, FrostSetupEntity, FrostDkgMessageEntity,
  FrostCommitmentEntity, FrostSessionEntity, FrostShareEntity, GovernanceChangeEntity, GovernanceApprovalEntity,
  SessionEntity, ApiTokenEntity, WebauthnChallengeEntity,
  ChainTipEntity, ChainDepositEntity, ChainBroadcastEntity,
  WebhookEndpointEntity, WebhookDeliveryEntity, WebhookAttemptEntity, WebhookCursorEntity,
];
