import { Controller, Injectable, Logger } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Clock, InjectConfig, Patterns } from '@phoenix/common';
import { DataSource } from 'typeorm';
import { StripeGateway } from '../billing/stripe.gateway';
import type { AuthConfig } from '../config';
import { StripeWebhookService } from './stripe-webhook.service';

/** The reply of `identity.billing.reconcile`: what one run did. */
export interface ReconcileResult {
  /** Stale subscriptions re-read from Stripe. */
  checked: number;
  /** Re-read state differed from ours and was applied (a missed webhook made good). */
  corrected: number;
  /** Re-read state equalled ours (the watermark moved on). */
  unchanged: number;
  /** A newer event was applied since the read: the snapshot was ignored (webhook ordering). */
  stale: number;
  /** Stripe does not know the subscription (left alone, logged). */
  missing: number;
  /** Stripe or the database failed for it; the next run tries again. */
  failed: number;
}

interface StaleRow {
  provider_subscription_id: string;
  state: string;
  current_period_end: Date | null;
}

/**
 * Re-reads from Stripe the subscriptions whose stored state may be stale because a webhook was
 * missed. "Stale" means: a running subscription (trialing, active, canceled-at-period-end) whose
 * period has ended — its renewal or its end should have arrived — or a past-due one whose last
 * provider event is older than BILLING_RECONCILE_STALE_HOURS (a payment or the end should have
 * arrived). Ended subscriptions are final and never re-read. At most BILLING_RECONCILE_BATCH per
 * run, the longest-unheard first. Each snapshot goes through {@link StripeWebhookService.applySnapshot},
 * the webhook path's ordering rule included; a run is idempotent (a second one re-reads and
 * finds nothing to change).
 */
@Injectable()
export class StripeReconciler {
  private readonly logger = new Logger('StripeReconcile');

  constructor(
    private readonly ds: DataSource,
    private readonly stripe: StripeGateway,
    private readonly webhooks: StripeWebhookService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async reconcile(): Promise<ReconcileResult> {
    const now = this.clock.now();
    const rows: StaleRow[] = await this.ds.query(
      `SELECT provider_subscription_id, state, current_period_end FROM subscriptions
        WHERE provider = 'stripe'
          AND (   (state IN ('trialing', 'active', 'canceled') AND (current_period_end IS NULL OR current_period_end < $1))
               OR (state = 'past_due' AND provider_updated_at < $2))
        ORDER BY provider_updated_at ASC LIMIT $3`,
      [now, new Date(now.getTime() - this.config.BILLING_RECONCILE_STALE_HOURS * 3_600_000), this.config.BILLING_RECONCILE_BATCH],
    );
    const result: ReconcileResult = { checked: 0, corrected: 0, unchanged: 0, stale: 0, missing: 0, failed: 0 };
    for (const row of rows) {
      result.checked++;
      try {
        // The snapshot's time is taken before the request: anything Stripe sent after it is newer.
        const readAt = this.clock.now();
        const sub = await this.stripe.retrieveSubscription(row.provider_subscription_id);
        if (!sub) {
          result.missing++;
          this.logger.warn(`subscription ${row.provider_subscription_id} is unknown to Stripe; left as it is`);
          continue;
        }
        const outcome = await this.webhooks.applySnapshot(sub, readAt);
        if (outcome !== 'processed') {
          result[outcome === 'stale' ? 'stale' : 'unchanged']++;
          continue;
        }
        const [after]: StaleRow[] = await this.ds.query(`SELECT provider_subscription_id, state, current_period_end FROM subscriptions WHERE provider = 'stripe' AND provider_subscription_id = $1`, [row.provider_subscription_id]);
        const same = after && after.state === row.state && after.current_period_end?.getTime() === row.current_period_end?.getTime();
        result[same ? 'unchanged' : 'corrected']++;
      } catch (e) {
        result.failed++;
        this.logger.warn(`reconcile of ${row.provider_subscription_id} failed: ${(e as Error).message}`);
      }
    }
    if (result.corrected || result.failed || result.missing) this.logger.log(`billing reconcile: ${JSON.stringify(result)}`);
    return result;
  }
}

/**
 * `identity.billing.reconcile` from job-worker over the Redis transport (payload: a
 * ScheduledCommand, not needed: the run is idempotent on state). Every replica receives it; two
 * replicas reconciling at once read the same snapshots and the row lock plus the ordering rule
 * make the second apply a no-op.
 */
@Controller()
export class StripeReconcileMessagesController {
  constructor(private readonly reconciler: StripeReconciler) {}

  @MessagePattern(Patterns.BILLING_RECONCILE)
  reconcile(): Promise<ReconcileResult> {
    return this.reconciler.reconcile();
  }
}
