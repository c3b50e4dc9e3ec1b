import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppError, ErrorCode, InjectConfig } from '@phoenix/common';
import Stripe from 'stripe';
import type { AuthConfig } from '../config';

export type Plan = 'monthly' | 'yearly';

/** A verified Stripe event, reduced to what the webhook handler reads. */
export interface StripeEventEnvelope {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  object: Record<string, unknown>;
}

/** Stripe behind one adapter: webhook signatures, customers, Checkout, the portal, cancellation, re-reading a subscription, meter events. */
@Injectable()
export class StripeGateway {
  private readonly logger = new Logger('Stripe');
  private readonly stripe: Stripe;
  private readonly prices: Record<Plan, string>;

  constructor(@InjectConfig() private readonly config: AuthConfig) {
    const api = config.STRIPE_API_URL ? new URL(config.STRIPE_API_URL) : null;
    this.stripe = new Stripe(config.STRIPE_SECRET_KEY, {
      maxNetworkRetries: 1,
      timeout: 10_000,
      telemetry: false,
      ...(api ? { host: api.hostname, port: Number(api.port || (api.protocol === 'https:' ? 443 : 80)), protocol: api.protocol === 'https:' ? 'https' : 'http' } : {}),
    });
    this.prices = { monthly: config.STRIPE_PRICE_MONTHLY, yearly: config.STRIPE_PRICE_YEARLY };
  }

  planForPrice(priceId: string | null): Plan | null {
    if (priceId === this.prices.monthly) return 'monthly';
    if (priceId === this.prices.yearly) return 'yearly';
    return null;
  }

  /**
   * Verifies `Stripe-Signature` over the exact raw body.
   * @throws AppError BAD_SIGNATURE
   */
  verifyEvent(rawBody: Buffer, signature: string): StripeEventEnvelope {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.config.STRIPE_WEBHOOK_SECRET);
    } catch {
      throw new AppError(ErrorCode.BAD_SIGNATURE, 'Stripe-Signature does not verify');
    }
    const object = (event as { data?: { object?: unknown } }).data?.object;
    if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number' || typeof object !== 'object' || object === null) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'not a Stripe event');
    }
    return { id: event.id, type: event.type, created: event.created, object: object as Record<string, unknown> };
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.logger.warn(`${what} failed: ${(e as Error).message}`);
      throw AppError.unavailable('payment provider', e);
    }
  }

  createCustomer(userId: string, email: string | null): Promise<string> {
    return this.call('create customer', async () => (await this.stripe.customers.create({ metadata: { userId }, ...(email ? { email } : {}) }, { idempotencyKey: `customer-${userId}` })).id);
  }

  createCheckoutSession(customerId: string, userId: string, plan: Plan): Promise<string> {
    return this.call('create checkout session', async () => {
      const session = await this.stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customerId,
        client_reference_id: userId,
        line_items: [{ price: this.prices[plan], quantity: 1 }],
        // The webhook finds the user through these, whichever event arrives first.
        metadata: { userId },
        subscription_data: { metadata: { userId } },
        success_url: this.config.STRIPE_CHECKOUT_SUCCESS_URL,
        cancel_url: this.config.STRIPE_CHECKOUT_CANCEL_URL,
      });
      if (!session.url) throw new Error('checkout session without url');
      return session.url;
    });
  }

  createPortalSession(customerId: string): Promise<string> {
    return this.call('create portal session', async () => (await this.stripe.billingPortal.sessions.create({ customer: customerId, return_url: this.config.STRIPE_PORTAL_RETURN_URL })).url);
  }

  /** Cancels a subscription now; one that is already gone counts as canceled. */
  cancelSubscription(subscriptionId: string): Promise<void> {
    return this.call('cancel subscription', async () => {
      try {
        await this.stripe.subscriptions.cancel(subscriptionId);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return;
        throw e;
      }
    });
  }

  /**
   * The subscription as Stripe has it now (billing reconcile), reduced like a webhook's object;
   * null when Stripe does not know it.
   */
  retrieveSubscription(subscriptionId: string): Promise<Record<string, unknown> | null> {
    return this.call('retrieve subscription', async () => {
      try {
        const sub = await this.stripe.subscriptions.retrieve(subscriptionId);
        const { lastResponse: _response, ...object } = sub as Stripe.Subscription & { lastResponse?: unknown };
        return object as unknown as Record<string, unknown>;
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return null;
        throw e;
      }
    });
  }

  /**
   * Sends one billing meter event (`POST /v1/billing/meter_events`): `value` (a decimal string) for
   * `customerId` on the meter whose `event_name` is `eventName`, at `timestamp` (Unix seconds, within
   * Stripe's last 35 days). `identifier` names the event (Stripe keeps it unique for at least 24
   * hours); the request's idempotency key is a digest of every parameter, so a retry of the same
   * event is answered once and a changed one (a corrected customer) is not refused as a reused key.
   */
  createMeterEvent(event: { eventName: string; customerId: string; value: string; identifier: string; timestamp: number }): Promise<void> {
    return this.call('create meter event', async () => {
      await this.stripe.billing.meterEvents.create(
        { event_name: event.eventName, payload: { stripe_customer_id: event.customerId, value: event.value }, identifier: event.identifier, timestamp: event.timestamp },
        { idempotencyKey: `meter-event-${createHash('sha256').update(JSON.stringify(event)).digest('hex')}` },
      );
    });
  }

  /** Deletes the customer (their stored payment methods and profile at Stripe); gone counts as deleted. */
  deleteCustomer(customerId: string): Promise<void> {
    return this.call('delete customer', async () => {
      try {
        await this.stripe.customers.del(customerId);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return;
        throw e;
      }
    });
  }
}
