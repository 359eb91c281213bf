/**
 * Builds a running coordinator from a configuration: used by `main.ts` and by tests that
 * need a real server in-process. JSON logs, strict body size, no NUL in any input
 * (common/input-guard.ts), one error filter, OpenAPI at /api/docs, the signer WebSocket at /ws,
 * the web app at / and its live WebSocket at /ws/web.
 */
import type { Server } from 'node:http';
import { ConsoleLogger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import 'reflect-metadata';
import { AppModule } from './app.module';
import { ConclaveErrorFilter } from './common/error.filter';
import { inputGuard } from './common/input-guard';
import type { AppConfig } from './config/config';
import { SignerHub } from './events/signer-hub';
import { BrowserHub } from './web/browser-hub';
import { VERSION } from './health/health.controller';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export async function createCoordinator(config: AppConfig): Promise<INestApplication> {
  const logger = new ConsoleLogger('Conclave', { json: config.logFormat === 'json', logLevels: LEVELS[config.logLevel], colors: false });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forConfig(config), { logger, bodyParser: false });
  // Large consolidations carry many full previous transactions; 5 MB bounds a request.
  app.useBodyParser('json', { limit: '5mb', strict: true });
  app.use(inputGuard);
  app.useGlobalFilters(new ConclaveErrorFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('Conclave coordinator API')
    .setDescription('State-changing requests are signed envelopes; errors are {error:{code,message}} with stable codes.')
    .setVersion(VERSION)
    .build());
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
  // Idle keep-alive connections outlive every client's own idle time-out (Node's fetch drops
  // idle sockets after 4 s), so a client never reuses a socket at the moment the server closes
  // it: that race surfaced as ECONNRESET on requests that never arrived.
  const http = app.getHttpServer() as Server;
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  app.get(SignerHub).attach(app.getHttpServer() as Server);
  app.get(BrowserHub).attach(app.getHttpServer() as Server);
  return app;
}
