/**
 * The coordinator: one module wiring the feature folders (each holds its controller, service and
 * entities), and feature modules (FrostSetupsModule) that use the services it exports.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { AuditController } from './audit/audit.controller';
import { AuditService } from './audit/audit.service';
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
import { HealthController } from './health/health.controller';
import { MembersController } from './members/members.controller';
import { MembersService } from './members/members.service';
import { EnvelopeVerifier } from './replay/envelope-verifier';
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

@Module({})
export class AppModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      // Global, so that feature modules (FrostSetupsModule) share these very instances.
      global: true,
      imports: [{ module: ConfigHolder, global: true, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] }, DatabaseModule, FrostSetupsModule],
      controllers: [HealthController, MembersController, VaultsController, DepositsController, WithdrawalsController, AuditController, SetupsController, FrostSigningController],
      providers: [
        Clock, Random, EnvelopeVerifier, AuditService, SignerHub, MembersService, VaultScripts, VaultsRepository, VaultsService,
        UtxoRepository, DepositsService, WithdrawalsRepository, WithdrawalsService, ApprovalsService, WithdrawalEndingsService, FeeBumpService, SignaturesService,
        SetupsRepository, SetupsService,
        WithdrawalFinalizer, FrostVaultKeys, FrostSigningRepository, FrostSigningService,
        { provide: CoordinatorIdentity, inject: [APP_CONFIG], useFactory: (c: AppConfig) => CoordinatorIdentity.open(c.serverKeyFile) },
      ],
      exports: [Clock, Random, EnvelopeVerifier, AuditService, VaultScripts, VaultsRepository],
    };
  }
}

@Module({})
class ConfigHolder {}
