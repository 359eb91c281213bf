/**
 * Signed webhooks (issue 6): administrators register HTTP endpoints; every committed audit event
 * of a subscribed kind becomes a delivery (webhook-outbox.ts), POSTed with an HMAC signature and
 * retried with back-off until it is delivered or fails (webhook-dispatcher.ts). Uses the
 * coordinator's shared services (envelopes, audit, clock, identity key), which AppModule exports.
 */
import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookOutbox } from './webhook-outbox';
import { WebhookSecrets } from './webhook-secrets';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  providers: [WebhookSecrets, WebhookOutbox, WebhookDispatcher, WebhooksService],
})
export class WebhooksModule {}
