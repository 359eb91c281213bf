/** Liveness and readiness for operators and load balancers, plus public coordinator facts. */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { dialectOf } from '../database/data-source-options';
import { CoordinatorIdentity } from '../audit/coordinator-identity';
import { SignerHub } from '../events/signer-hub';
import { Access } from '../auth/access.decorator';

export const VERSION = '0.1.0';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly hub: SignerHub,
    private readonly identity: CoordinatorIdentity,
  ) {}

  @Get('health')
  @Access('public')
  async health(@Res({ passthrough: true }) res: Response) {
    let database: 'ok' | 'unavailable' = 'ok';
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      database = 'unavailable';
    }
    res.status(database === 'ok' ? 200 : 503);
    return { status: database === 'ok' ? 'ok' : 'degraded', database, dialect: dialectOf(this.config), network: this.config.network, signersConnected: this.hub.connectedCount };
  }

  /** `coordinatorKey` signs the audit log; signers pin it at join (compare the fingerprint out of band). */
  @Get('api/v1/info')
  @Access('public')
  info() {
    return {
      name: 'Conclave coordinator', version: VERSION, network: this.config.network, chain: 'offline',
      coordinatorKey: this.identity.publicKey, coordinatorFingerprint: this.identity.fingerprint,
      // Where the web app is opened, so passkeys (bound to it) work: enrolment links point here.
      webOrigin: this.config.webauthn.origins[0] ?? null,
    };
  }
}
