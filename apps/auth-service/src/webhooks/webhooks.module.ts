import { Module } from '@nestjs/common';
import { AppleWebhookService } from './apple-webhook.service';
import { AppleNotificationVerifier } from './apple.verifier';
import { StripeReconcileMessagesController, StripeReconciler } from './stripe-reconcile';
import { StripeWebhookService } from './stripe-webhook.service';
import { WebhookStore } from './webhook-store';
import { WebhooksController } from './webhooks.controller';

@Module({
  controllers: [WebhooksController, StripeReconcileMessagesController],
  providers: [WebhookStore, StripeWebhookService, AppleNotificationVerifier, AppleWebhookService, StripeReconciler],
})
export class WebhooksModule {}
