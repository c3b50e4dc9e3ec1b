import { Module } from '@nestjs/common';
import { AppleWebhookService } from './apple-webhook.service';
import { AppleNotificationVerifier } from './apple.verifier';
import { StripeWebhookService } from './stripe-webhook.service';
import { WebhookStore } from './webhook-store';
import { WebhooksController } from './webhooks.controller';

@Module({ controllers: [WebhooksController], providers: [WebhookStore, StripeWebhookService, AppleNotificationVerifier, AppleWebhookService] })
export class WebhooksModule {}
