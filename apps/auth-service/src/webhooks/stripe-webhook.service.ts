import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { StripeEventEnvelope, StripeGateway } from '../billing/stripe.gateway';
import type { SubscriptionState } from '../entitlement/entitlement';
import { EntitlementService } from '../entitlement/entitlement.service';
import { UsersRepository } from '../identity/users.repository';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { NotificationName, NotificationPayloads, Notifier } from '../notifications/notifier';
import { WebhookStore } from './webhook-store';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** An id field that may be a string or an expanded object. */
const idOf = (v: unknown): string | null => str(v) ?? str(obj(v)?.id);
const seconds = (v: unknown): Date | null => {
  const n = int(v);
  return n === null ? null : new Date(n * 1000);
};
const eventTime = (e: StripeEventEnvelope): Date => new Date(e.created * 1000);
const list = (v: unknown): Obj[] => {
  const data = obj(v)?.data;
  return Array.isArray(data) ? data.map(obj).filter((o): o is Obj => o !== null) : [];
};

export type StripeOutcome = 'processed' | 'duplicate' | 'ignored' | 'stale';

interface Pending<N extends NotificationName = NotificationName> {
  name: N;
  payload: NotificationPayloads[N];
}

/**
 * Applies verified Stripe events. Each event is handled in one transaction that first claims
 * its id (a replay changes nothing) and then applies it only if it is not older than the stored
 * state; notifications are enqueued before the commit with the event id as job id.
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger('StripeWebhook');

  constructor(
    private readonly store: WebhookStore,
    private readonly users: UsersRepository,
    private readonly stripe: StripeGateway,
    private readonly notifier: Notifier,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly entitlement: EntitlementService,
  ) {}

  async handle(event: StripeEventEnvelope): Promise<StripeOutcome> {
    const outcome = await this.store.ds.transaction(async (m): Promise<StripeOutcome> => {
      if (!(await this.store.claim(m, 'stripe', event.id, event.type))) return 'duplicate';
      const notify: Pending[] = [];
      const outcome = await this.apply(m, event, notify);
      for (const n of notify) await this.notifier.enqueue(n.name, n.payload, `stripe-${event.id}-${n.name}`);
      if (outcome !== 'processed') this.logger.log(`event ${event.id} (${event.type}) ${outcome}`);
      return outcome;
    });
    if (outcome === 'processed') this.entitlement.subscriptionsChanged();
    return outcome;
  }

  /**
   * A subscription as re-read from Stripe at `readAt` (billing reconcile), applied as its
   * `customer.subscription.updated` would be, under the same ordering rule: `readAt` is the
   * snapshot's time, so an event applied since (a newer webhook) wins and this snapshot is
   * `stale`, and a webhook older than the snapshot that arrives later is stale in turn. No event id
   * is claimed (none exists); applying the same state again changes nothing but the watermark.
   */
  async applySnapshot(subscription: Record<string, unknown>, readAt: Date): Promise<StripeOutcome> {
    const snapshot: StripeEventEnvelope = { id: `reconcile-${String(subscription.id)}`, type: 'customer.subscription.updated', created: readAt.getTime() / 1000, object: subscription };
    const outcome = await this.store.ds.transaction(async (m): Promise<StripeOutcome> => {
      const notify: Pending[] = [];
      const outcome = await this.subscriptionChanged(m, snapshot, notify);
      // One notice per transition: an end seen by reconcile is not seen again (the state is then ended).
      for (const n of notify) await this.notifier.enqueue(n.name, n.payload, `stripe-${snapshot.id}-${n.name}`);
      return outcome;
    });
    if (outcome === 'processed') this.entitlement.subscriptionsChanged();
    return outcome;
  }

  private apply(m: EntityManager, event: StripeEventEnvelope, notify: Pending[]): Promise<StripeOutcome> {
    switch (event.type) {
      case 'checkout.session.completed':
        return this.checkoutCompleted(m, event);
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        return this.subscriptionChanged(m, event, notify);
      case 'invoice.paid':
        return this.invoice(m, event, 'paid', notify);
      case 'invoice.payment_failed':
        return this.invoice(m, event, 'failed', notify);
      case 'charge.refunded':
        return this.chargeRefunded(m, event);
      default:
        return Promise.resolve('ignored');
    }
  }

  /** The user an object belongs to: metadata set at checkout, else the customer, else the stored subscription. */
  private async userFor(m: EntityManager, o: Obj, subscriptionId: string | null): Promise<string | null> {
    const candidates = [str(obj(o.metadata)?.userId), str(o.client_reference_id), str(obj(obj(obj(o.parent)?.subscription_details)?.metadata)?.userId)];
    for (const id of candidates) {
      if (id && /^[0-9a-f-]{36}$/i.test(id) && (await this.users.findById(id, m))) return id;
    }
    const customer = idOf(o.customer);
    if (customer) {
      const u = await this.users.findByStripeCustomer(customer, m);
      if (u) return u.id;
      const byCustomer = await this.subscriptions.findByCustomer(m, 'stripe', customer);
      if (byCustomer) return byCustomer.userId;
    }
    if (subscriptionId) {
      const s = await this.store.findSubscription(m, 'stripe', subscriptionId);
      if (s) return s.userId;
    }
    return null;
  }

  private async checkoutCompleted(m: EntityManager, event: StripeEventEnvelope): Promise<StripeOutcome> {
    const session = event.object;
    const userId = await this.userFor(m, session, idOf(session.subscription));
    const customer = idOf(session.customer);
    if (!userId || !customer) return 'ignored';
    const user = await this.users.findById(userId, m);
    if (user && !user.stripeCustomerId) await this.users.setStripeCustomer(userId, customer, m);
    return 'processed';
  }

  private async subscriptionChanged(m: EntityManager, event: StripeEventEnvelope, notify: Pending[]): Promise<StripeOutcome> {
    const sub = event.object;
    const id = str(sub.id);
    if (!id) return 'ignored';
    const state = event.type === 'customer.subscription.deleted' ? 'ended' : this.stateOf(sub);
    if (!state) return 'ignored';
    const userId = await this.userFor(m, sub, id);
    if (!userId) return 'ignored';
    const items = list(sub.items);
    // API versions from 2025-03 keep the period on the items; older ones on the subscription.
    const periodEnds = [int(sub.current_period_end), ...items.map((i) => int(i.current_period_end))].filter((n): n is number => n !== null);
    const price = obj(items[0]?.price);
    const interval = str(obj(price?.recurring)?.interval);
    const plan = this.stripe.planForPrice(idOf(price)) ?? (interval === 'year' ? 'yearly' : interval === 'month' ? 'monthly' : null);
    const result = await this.store.applySubscription(m, {
      provider: 'stripe',
      providerSubscriptionId: id,
      userId,
      customerId: idOf(sub.customer),
      eventTime: eventTime(event),
      state,
      plan,
      currentPeriodEnd: periodEnds.length ? new Date(Math.max(...periodEnds) * 1000) : null,
      endedAt: seconds(sub.ended_at),
    });
    if (!result.applied) return 'stale';
    if (state === 'ended' && result.previous?.state !== 'ended') notify.push({ name: 'subscription-ended', payload: { userId, provider: 'stripe', reason: 'canceled' } });
    return 'processed';
  }

  private stateOf(sub: Obj): SubscriptionState | null {
    const cancelling = sub.cancel_at_period_end === true || int(sub.cancel_at) !== null;
    switch (str(sub.status)) {
      case 'trialing':
        return cancelling ? 'canceled' : 'trialing';
      case 'active':
        return cancelling ? 'canceled' : 'active';
      case 'past_due':
      case 'unpaid':
        return 'past_due';
      case 'canceled':
      case 'incomplete_expired':
      case 'paused':
        return 'ended';
      default:
        // `incomplete`: the first payment has not gone through; nothing to entitle yet.
        return null;
    }
  }

  private async invoice(m: EntityManager, event: StripeEventEnvelope, outcome: 'paid' | 'failed', notify: Pending[]): Promise<StripeOutcome> {
    const inv = event.object;
    const invoiceId = str(inv.id);
    const subscriptionId = idOf(inv.subscription) ?? idOf(obj(obj(inv.parent)?.subscription_details)?.subscription);
    const userId = await this.userFor(m, inv, subscriptionId);
    if (!invoiceId || !userId) return 'ignored';
    const at = eventTime(event);
    const paidAt = outcome === 'paid' ? (seconds(obj(inv.status_transitions)?.paid_at) ?? at) : null;
    await this.store.recordPayment(m, {
      provider: 'stripe',
      providerPaymentId: invoiceId,
      userId,
      amount: int(outcome === 'paid' ? inv.amount_paid : inv.amount_due) ?? 0,
      currency: str(inv.currency) ?? 'usd',
      status: outcome,
      paidAt,
      invoiceUrl: str(inv.hosted_invoice_url),
      occurredAt: paidAt ?? at,
    });
    if (!subscriptionId) return 'processed';
    const existing = await this.store.findSubscription(m, 'stripe', subscriptionId);
    if (!existing) return 'processed';
    const facts = { provider: 'stripe' as const, providerSubscriptionId: subscriptionId, userId: existing.userId, customerId: idOf(inv.customer), eventTime: at };
    if (outcome === 'paid') {
      // A paid renewal ends a past-due period; the subscription events carry everything else.
      if (existing.state !== 'past_due') return 'processed';
      const lineEnds = list(inv.lines).map((l) => int(obj(l.period)?.end)).filter((n): n is number => n !== null);
      const result = await this.store.applySubscription(m, {
        ...facts,
        state: 'active',
        currentPeriodEnd: lineEnds.length ? new Date(Math.max(...lineEnds) * 1000) : null,
      });
      return result.applied ? 'processed' : 'stale';
    }
    if (existing.state === 'ended') return 'processed';
    const result = await this.store.applySubscription(m, { ...facts, state: 'past_due' });
    if (!result.applied) return 'stale';
    notify.push({ name: 'payment-failed', payload: { userId: existing.userId, provider: 'stripe', graceUntil: null } });
    return 'processed';
  }

  private async chargeRefunded(m: EntityManager, event: StripeEventEnvelope): Promise<StripeOutcome> {
    const charge = event.object;
    const chargeId = str(charge.id);
    const userId = await this.userFor(m, charge, null);
    if (!chargeId || !userId) return 'ignored';
    const invoiceId = idOf(charge.invoice);
    if (invoiceId) await this.store.markRefunded(m, 'stripe', invoiceId);
    await this.store.recordPayment(m, {
      provider: 'stripe',
      providerPaymentId: `refund:${chargeId}`,
      userId,
      amount: -(int(charge.amount_refunded) ?? 0),
      currency: str(charge.currency) ?? 'usd',
      status: 'refunded',
      paidAt: null,
      invoiceUrl: str(charge.receipt_url),
      occurredAt: eventTime(event),
    });
    return 'processed';
  }
}
