/**
 * The FROST key-generation feature: relay of the DKG rounds between `signer-cli frost ...`
 * processes, and the vault made from the certificate. Uses the coordinator's shared services
 * (envelopes, audit, clock, vaults), which AppModule exports.
 */
import { Module } from '@nestjs/common';
import { FrostSetupsController } from './frost-setups.controller';
import { FrostSetupsRepository } from './frost-setups.repository';
import { FrostSetupsService } from './frost-setups.service';
import { FrostVaultFactory } from './frost-vault-factory';

@Module({
  controllers: [FrostSetupsController],
  providers: [FrostSetupsRepository, FrostSetupsService, FrostVaultFactory],
})
export class FrostSetupsModule {}
