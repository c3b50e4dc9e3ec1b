import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@phoenix/common';
import { PaymentHistory, PaymentStatus, Subscription } from '../database/entities';
import type { Provider, SubscriptionState } from '../entitlement/entitlement';
import { isStale } from './ordering';

export interface SubscriptionChange {
  provider: Exclude<Provider, 'trial'>;
  providerSubscriptionId: string;
  userId: string;
  customerId: string | null;
  eventTime: Date;
  state: SubscriptionState;
  plan?: string | null;
  currentPeriodEnd?: Date | null;
  graceUntil?: Date | null;
  endedAt?: Date | null;
}

export interface PaymentRecord {
  provider: 'stripe' | 'apple';
  providerPaymentId: string;
  userId: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  paidAt: Date | null;
  invoiceUrl: string | null;
  occurredAt: Date;
}

export type ApplyResult = { applied: true; previous: Subscription | null; row: Subscription } | { applied: false; reason: 'stale' };

/**
 * Webhook persistence shared by the Stripe and Apple handlers: the idempotency claim, ordered
 * subscription updates and payment rows, all inside the caller's transaction.
 */
@Injectable()
export class WebhookStore {
  constructor(
    readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Records the event id; false when it was already processed (a replay). Blocks on a concurrent duplicate until it commits. */
  async claim(m: EntityManager, provider: 'stripe' | 'apple', eventId: string, eventType: string): Promise<boolean> {
    const res: unknown[] = await m.query(
      `INSERT INTO processed_webhook_events (provider, event_id, event_type, processed_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id`,
      [provider, eventId, eventType, this.clock.now()],
    );
    return res.length === 1;
  }

  findSubscription(m: EntityManager, provider: Provider, providerSubscriptionId: string): Promise<Subscription | null> {
    return m.findOne(Subscription, { where: { provider, providerSubscriptionId }, lock: { mode: 'pessimistic_write' } });
  }

  /** Applies a subscription change unless an event newer than it was already applied. */
  async applySubscription(m: EntityManager, c: SubscriptionChange): Promise<ApplyResult> {
    const existing = await this.findSubscription(m, c.provider, c.providerSubscriptionId);
    if (isStale(existing, c.eventTime, c.state)) return { applied: false, reason: 'stale' };
    const previous = existing ? { ...existing } : null;
    const row = existing ?? m.create(Subscription, { id: randomUUID(), provider: c.provider, providerSubscriptionId: c.providerSubscriptionId, userId: c.userId, pastDueSince: null, graceUntil: null, endedAt: null, plan: null, currentPeriodEnd: null });
    const wasPastDue = existing?.state === 'past_due';
    row.state = c.state;
    row.providerCustomerId = c.customerId ?? row.providerCustomerId ?? null;
    if (c.plan !== undefined && c.plan !== null) row.plan = c.plan;
    if (c.currentPeriodEnd !== undefined && c.currentPeriodEnd !== null) row.currentPeriodEnd = c.currentPeriodEnd;
    row.pastDueSince = c.state === 'past_due' ? (wasPastDue && row.pastDueSince ? row.pastDueSince : c.eventTime) : null;
    row.graceUntil = c.state === 'past_due' ? (c.graceUntil ?? (wasPastDue ? row.graceUntil : null)) : null;
    row.endedAt = c.state === 'ended' ? (c.endedAt ?? c.eventTime) : null;
    row.providerUpdatedAt = c.eventTime;
    await m.save(Subscription, row);
    return { applied: true, previous, row };
  }

  /** Inserts or updates a payment row (same provider payment id → same row): paid beats failed, refunded is final. */
  async recordPayment(m: EntityManager, p: PaymentRecord): Promise<void> {
    await m.query(
      `INSERT INTO payment_history (id, user_id, provider, provider_payment_id, amount, currency, status, paid_at, invoice_url, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (provider, provider_payment_id) DO UPDATE
         SET status = EXCLUDED.status,
             amount = EXCLUDED.amount,
             paid_at = COALESCE(EXCLUDED.paid_at, payment_history.paid_at),
             invoice_url = COALESCE(EXCLUDED.invoice_url, payment_history.invoice_url)
       WHERE payment_history.status = 'failed' OR EXCLUDED.status = 'refunded'`,
      [randomUUID(), p.userId, p.provider, p.providerPaymentId, p.amount, p.currency.toLowerCase(), p.status, p.paidAt, p.invoiceUrl, p.occurredAt],
    );
  }

  markRefunded(m: EntityManager, provider: 'stripe' | 'apple', providerPaymentId: string): Promise<unknown> {
    return m.update(PaymentHistory, { provider, providerPaymentId }, { status: 'refunded' });
  }
}
