import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InjectConfig } from '@phoenix/common';
import type { SubscriptionState } from '../entitlement/entitlement';
import { EntitlementService } from '../entitlement/entitlement.service';
import { UsersRepository } from '../identity/users.repository';
import { NotificationName, NotificationPayloads, Notifier } from '../notifications/notifier';
import type { AuthConfig } from '../config';
import { AppleNotification } from './apple.verifier';
import { WebhookStore } from './webhook-store';

export type AppleOutcome = 'processed' | 'duplicate' | 'ignored' | 'stale';

interface Pending<N extends NotificationName = NotificationName> {
  name: N;
  payload: NotificationPayloads[N];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Applies verified App Store notifications, with the same rules as Stripe: idempotent per
 * `notificationUUID`, ordered by `signedDate`, linked to the user by `appAccountToken` = user id.
 */
@Injectable()
export class AppleWebhookService {
  private readonly logger = new Logger('AppleWebhook');
  private readonly yearly: Set<string>;

  constructor(
    private readonly store: WebhookStore,
    private readonly users: UsersRepository,
    private readonly notifier: Notifier,
    private readonly entitlement: EntitlementService,
    @InjectConfig() config: AuthConfig,
  ) {
    this.yearly = new Set(config.APPLE_PRODUCT_YEARLY.split(',').map((s) => s.trim()).filter(Boolean));
  }

  async handle(n: AppleNotification): Promise<AppleOutcome> {
    const id = n.payload.notificationUUID;
    const type = String(n.payload.notificationType ?? 'UNKNOWN');
    if (!id) return 'ignored';
    const outcome = await this.store.ds.transaction(async (m): Promise<AppleOutcome> => {
      if (!(await this.store.claim(m, 'apple', id, type))) return 'duplicate';
      const notify: Pending[] = [];
      const outcome = await this.apply(m, n, notify);
      for (const p of notify) await this.notifier.enqueue(p.name, p.payload, `apple-${id}-${p.name}`);
      if (outcome !== 'processed') this.logger.log(`notification ${id} (${type}) ${outcome}`);
      return outcome;
    });
    if (outcome === 'processed') this.entitlement.subscriptionsChanged();
    return outcome;
  }

  private async apply(m: EntityManager, n: AppleNotification, notify: Pending[]): Promise<AppleOutcome> {
    const tx = n.transaction;
    const original = tx?.originalTransactionId;
    if (!tx || !original) return 'ignored';
    const type = String(n.payload.notificationType);
    const subtype = n.payload.subtype ? String(n.payload.subtype) : null;
    const eventTime = new Date(n.payload.signedDate ?? Date.now());
    const existing = await this.store.findSubscription(m, 'apple', original);
    let userId = existing?.userId ?? null;
    if (!userId && tx.appAccountToken && UUID.test(tx.appAccountToken) && (await this.users.findById(tx.appAccountToken.toLowerCase(), m))) {
      userId = tx.appAccountToken.toLowerCase();
    }
    if (!userId) return 'ignored';

    let state: SubscriptionState | null = null;
    let graceUntil: Date | null = null;
    let ended: NotificationPayloads['subscription-ended']['reason'] | null = null;
    switch (type) {
      case 'SUBSCRIBED':
      case 'DID_RENEW':
      case 'OFFER_REDEEMED':
      case 'RENEWAL_EXTENDED':
      case 'REFUND_REVERSED':
        state = n.renewal?.autoRenewStatus === 0 ? 'canceled' : 'active';
        break;
      case 'DID_CHANGE_RENEWAL_STATUS':
        state = subtype === 'AUTO_RENEW_DISABLED' ? 'canceled' : 'active';
        break;
      case 'DID_FAIL_TO_RENEW':
        state = 'past_due';
        // With Apple's billing grace period the end is Apple's; otherwise PAST_DUE_GRACE_DAYS.
        graceUntil = n.renewal?.gracePeriodExpiresDate ? new Date(n.renewal.gracePeriodExpiresDate) : null;
        break;
      case 'EXPIRED':
      case 'GRACE_PERIOD_EXPIRED':
        state = 'ended';
        ended = 'expired';
        break;
      case 'REFUND':
      case 'REVOKE':
        state = 'ended';
        ended = 'refunded';
        break;
      default:
        return 'ignored';
    }

    const result = await this.store.applySubscription(m, {
      provider: 'apple',
      providerSubscriptionId: original,
      userId,
      customerId: null,
      eventTime,
      state,
      plan: tx.productId ? (this.yearly.has(tx.productId) ? 'yearly' : 'monthly') : null,
      currentPeriodEnd: tx.expiresDate ? new Date(tx.expiresDate) : null,
      graceUntil,
      endedAt: tx.revocationDate ? new Date(tx.revocationDate) : null,
    });

    // Payments are facts of their own: recorded even when the subscription change is stale.
    if (tx.transactionId && (type === 'SUBSCRIBED' || type === 'DID_RENEW') && typeof tx.price === 'number') {
      await this.store.recordPayment(m, {
        provider: 'apple',
        providerPaymentId: tx.transactionId,
        userId,
        // Apple gives prices in milliunits; payments are stored in minor units (cents).
        amount: Math.round(tx.price / 10),
        currency: tx.currency ?? 'USD',
        status: 'paid',
        paidAt: tx.purchaseDate ? new Date(tx.purchaseDate) : eventTime,
        invoiceUrl: null,
        occurredAt: tx.purchaseDate ? new Date(tx.purchaseDate) : eventTime,
      });
    }
    if (type === 'REFUND' && tx.transactionId) await this.store.markRefunded(m, 'apple', tx.transactionId);

    if (!result.applied) return 'stale';
    if (state === 'past_due' && result.previous?.state !== 'past_due') {
      notify.push({ name: 'payment-failed', payload: { userId, provider: 'apple', graceUntil: graceUntil?.toISOString() ?? null } });
    }
    if (ended && result.previous?.state !== 'ended') notify.push({ name: 'subscription-ended', payload: { userId, provider: 'apple', reason: ended } });
    return 'processed';
  }
}
