/**
 * The coordinator: one module wiring the feature folders (each holds its controller, service and
 * entities), and feature modules (FrostSetupsModule) that use the services it exports.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditController } from './audit/audit.controller';
import { AccessGuard } from './auth/access.guard';
import { AuthController } from './auth/auth.controller';
import { PasskeysService } from './auth/passkeys.service';
import { RoleDirectory } from './auth/roles';
import { SessionsService } from './auth/sessions.service';
import { TokenProposalsController } from './auth/token-proposals.controller';
import { TokenProposalsService } from './auth/token-proposals.service';
import { TokensController } from './auth/tokens.controller';
import { TokensService } from './auth/tokens.service';
import { AuditService } from './audit/audit.service';
import { CHAIN_WATCH_PROVIDERS } from './chain-watch/chain-watch.providers';
import { FeeEstimatesController } from './chain-watch/fee-estimates.controller';
import { BroadcastRetryController } from './chain-watch/broadcast-retry.controller';
import { CoordinatorIdentity } from './audit/coordinator-identity';
import { Clock, Random } from './common/clock';
import { APP_CONFIG, type AppConfig } from './config/config';
import { DatabaseModule } from './database/database.module';
import { DepositsController } from './deposits/deposits.controller';
import { DepositsService } from './deposits/deposits.service';
import { UtxoRepository } from './deposits/utxo.repository';
import { SignerHub } from './events/signer-hub';
import { FrostSigningController } from './frost-signing/frost-signing.controller';
import { FrostSigningRepository } from './frost-signing/frost-signing.repository';
import { FrostSigningService } from './frost-signing/frost-signing.service';
import { FrostVaultKeys } from './frost-signing/frost-vault-keys';
import { FrostSetupsModule } from './frost-setups/frost-setups.module';
import { GovernanceModule } from './governance/governance.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebModule } from './web/web.module';
import { HealthController } from './health/health.controller';
import { MembersController } from './members/members.controller';
import { MembersService } from './members/members.service';
import { EnvelopeVerifier } from './replay/envelope-verifier';
import { PasskeyVerifier } from './replay/passkey-verifier';
import { StatementVerifier } from './replay/statement-verifier';
import { SetupsController } from './setups/setups.controller';
import { SetupsRepository } from './setups/setups.repository';
import { SetupsService } from './setups/setups.service';
import { SignaturesService } from './signing/signatures.service';
import { WithdrawalFinalizer } from './signing/withdrawal-finalizer';
import { VaultScripts } from './vaults/vault-scripts';
import { VaultsController } from './vaults/vaults.controller';
import { VaultsRepository } from './vaults/vaults.repository';
import { VaultsService } from './vaults/vaults.service';
import { ApprovalsService } from './withdrawals/approvals.service';
import { WithdrawalEndingsService } from './withdrawals/withdrawal-endings.service';
import { WithdrawalsController } from './withdrawals/withdrawals.controller';
import { WithdrawalsRepository } from './withdrawals/withdrawals.repository';
import { WithdrawalsService } from './withdrawals/withdrawals.service';
import { FeeBumpService } from './withdrawals/fee-bump.service';
import { GovernedProposalChecks } from './withdrawals/governed-proposal-checks';
import { WithdrawalProgress } from './withdrawals/withdrawal-progress';

@Module({})
export class AppModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      // Global, so that feature modules (FrostSetupsModule) share these very instances.
      global: true,
      imports: [{ module: ConfigHolder, global: true, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] }, DatabaseModule, FrostSetupsModule, GovernanceModule, WebhooksModule, WebModule],
      controllers: [HealthController, MembersController, VaultsController, DepositsController, WithdrawalsController, AuditController, SetupsController, FrostSigningController,
        AuthController, TokensController, TokenProposalsController, FeeEstimatesController, BroadcastRetryController],
      providers: [
        Clock, Random, EnvelopeVerifier, PasskeyVerifier, StatementVerifier, AuditService, SignerHub, MembersService, VaultScripts, VaultsRepository, VaultsService,
        UtxoRepository, DepositsService, WithdrawalsRepository, WithdrawalsService, ApprovalsService, WithdrawalEndingsService, FeeBumpService, SignaturesService,
        GovernedProposalChecks, WithdrawalProgress,
        SetupsRepository, SetupsService,
        WithdrawalFinalizer, FrostVaultKeys, FrostSigningRepository, FrostSigningService,
        // Chain backend, deposit watcher, broadcast outbox and confirmation tracking (server/chain-watch).
        ...CHAIN_WATCH_PROVIDERS,
        // Access (server/auth): one global guard holds every route to its @Access declaration.
        RoleDirectory, SessionsService, TokensService, PasskeysService, TokenProposalsService, { provide: APP_GUARD, useClass: AccessGuard },
        { provide: CoordinatorIdentity, inject: [APP_CONFIG], useFactory: (c: AppConfig) => CoordinatorIdentity.open(c.serverKeyFile) },
      ],
      exports: [Clock, Random, EnvelopeVerifier, StatementVerifier, AuditService, VaultScripts, VaultsRepository, SignerHub, CoordinatorIdentity],
    };
  }
}

@Module({})
class ConfigHolder {}
