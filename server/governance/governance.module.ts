/**
 * The governance feature (issue 5): changes to a governed vault's rule set, members and address
 * book, proposed and approved by signed statements, applied to the coordinator's copy of the
 * policy once the policy engine accepts them. Uses the coordinator's shared services
 * (envelopes, audit, clock, vaults, signer hub), which AppModule exports.
 */
import { Module } from '@nestjs/common';
import { ChangeSettlement } from './change-settlement';
import { CredentialReplacement } from './credential-replacement';
import { GovernanceController } from './governance.controller';
import { GovernanceRepository } from './governance.repository';
import { GovernanceService } from './governance.service';

@Module({
  controllers: [GovernanceController],
  providers: [GovernanceRepository, GovernanceService, ChangeSettlement, CredentialReplacement],
})
export class GovernanceModule {}
