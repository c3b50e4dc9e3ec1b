import { Controller, Injectable, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AppError, Clock, ErrorCode, InjectConfig, Patterns, type ScheduledCommand } from '@phoenix/common';
import { DataSource } from 'typeorm';
import { StripeGateway } from '../../billing/stripe.gateway';
import type { AuthConfig } from '../../config';
import { TenantsRepository } from '../tenants.repository';
import { TenantUsageSource } from './tenant-usage.source';
import { type BilledMonth, type Metric, meterValue, monthTotals, previousMonth } from './usage';

/** The reply of `identity.billing.tenant-usage`: what one delivery did for the month. */
export interface TenantUsageBillingResult {
  /** The month billed, `YYYY-MM`. */
  month: string;
  /** Tenants with a Stripe customer. */
  tenants: number;
  /** Meter events this delivery sent. */
  sent: number;
  /** Metrics already reported for the month (by an earlier delivery, run or replica). */
  alreadyReported: number;
  /** Metrics with nothing to bill (0): no event. */
  zero: number;
}

/** A claim older than this is taken to be a crashed sender's, and may be claimed again. */
const CLAIM_STALE_MS = 10 * 60_000;
/** How long a delivery waits at its end for the month's claims other replicas hold to settle. */
const SETTLE_WAIT_MS = 30_000;

interface Claimed {
  stripe_customer_id: string;
  event_name: string;
  value: string;
  identifier: string;
  event_time: Date;
}

/**
 * The monthly metered-billing report: for each tenant with a Stripe customer, the previous month's
 * usage (asked of analytics-service, tenant totals only) as one Stripe billing meter event per
 * metric — connections, connection hours, gigabytes — with `identifier`
 * `<tenantId>:<YYYY-MM>:<metric>`, through the Stripe gateway.
 *
 * Once per tenant, month and metric, whatever is delivered: every replica hears the command, and
 * job-worker may deliver a period again. A metric is claimed in `tenant_usage_reports` (insert, or
 * take over a `failed` or stale claim) before its event is sent, then marked `sent` or `failed`; a
 * claim fixes the value and the event time, so a resend is the same event (Stripe keeps identifiers
 * unique for at least 24 hours, and the request's idempotency key is a digest of the parameters).
 * The event time is the report's time, not the month's end: Stripe takes events of the last 35
 * days only and a closed invoice takes no more usage after its grace period (1 hour by default), so
 * a month is billed on the invoice of the period it is reported in (one period in arrears).
 *
 * A delivery that leaves anything unsent (analytics-service or Stripe down, a tenant's usage
 * unread) answers an error, so job-worker retries it with backoff; the retry sends only what is
 * missing.
 */
@Injectable()
export class TenantUsageBilling {
  private readonly logger = new Logger('TenantUsageBilling');

  constructor(
    private readonly ds: DataSource,
    private readonly tenants: TenantsRepository,
    private readonly usage: TenantUsageSource,
    private readonly stripe: StripeGateway,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  private metrics(): Array<{ metric: Metric; eventName: string }> {
    const all: Array<{ metric: Metric; eventName: string }> = [
      { metric: 'connections', eventName: this.config.STRIPE_METER_CONNECTIONS },
      { metric: 'connection_hours', eventName: this.config.STRIPE_METER_CONNECTION_HOURS },
      { metric: 'gigabytes', eventName: this.config.STRIPE_METER_GIGABYTES },
    ];
    return all.filter((m) => m.eventName !== 'off');
  }

  async run(command: ScheduledCommand): Promise<TenantUsageBillingResult> {
    const billed = previousMonth(command.period, this.clock.now());
    const tenants = await this.tenants.billed();
    const metrics = this.metrics();
    const result: TenantUsageBillingResult = { month: billed.month, tenants: tenants.length, sent: 0, alreadyReported: 0, zero: 0 };
    let failed = 0;
    let unread = 0;
    let next = 0;
    // A bounded pool over the tenants; once analytics-service fails, the rest is left to the retry.
    const worker = async (): Promise<void> => {
      while (next < tenants.length && unread === 0) {
        const tenant = tenants[next++];
        if (!tenant?.stripeCustomerId) continue;
        try {
          failed += await this.reportTenant(tenant.id, tenant.stripeCustomerId, billed, metrics, command.idempotencyKey, result);
        } catch (e) {
          unread++;
          this.logger.warn(`usage of tenant ${tenant.id} for ${billed.month} not read: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.TENANT_USAGE_REPORT_CONCURRENCY, tenants.length) }, worker));
    // Every replica hears the command and job-worker reads the first reply: whichever replica
    // answers, it answers for the whole month (its own failures and the others').
    const unsent = unread === 0 ? await this.unsettled(billed.month) : 0;
    this.logger.log(`tenant usage ${billed.month} (${command.idempotencyKey}): ${JSON.stringify({ ...result, failed, unread, unsent })}`);
    if (unread > 0) throw new AppError(ErrorCode.UNAVAILABLE, `tenant usage ${billed.month} incomplete (analytics-service did not answer); a retry sends what is missing`);
    if (unsent > 0) throw new AppError(ErrorCode.UNAVAILABLE, `tenant usage ${billed.month} incomplete (${unsent} meter events not sent); a retry sends what is missing`);
    return result;
  }

  /** Reports one tenant's month; returns how many of its events failed. @throws when its usage cannot be read */
  private async reportTenant(tenantId: string, customerId: string, billed: BilledMonth, metrics: Array<{ metric: Metric; eventName: string }>, idempotencyKey: string, result: TenantUsageBillingResult): Promise<number> {
    const days = await this.usage.days(tenantId, billed.from, billed.to);
    const totals = monthTotals(days.filter((d) => d.day >= billed.from && d.day <= billed.to));
    let failed = 0;
    for (const { metric, eventName } of metrics) {
      const value = meterValue(totals[metric]);
      if (value === '0') {
        result.zero++;
        continue;
      }
      const claim = await this.claim(tenantId, billed.month, metric, customerId, eventName, value, idempotencyKey);
      if (!claim) {
        result.alreadyReported++;
        continue;
      }
      try {
        await this.stripe.createMeterEvent({ eventName: claim.event_name, customerId: claim.stripe_customer_id, value: claim.value, identifier: claim.identifier, timestamp: Math.floor(claim.event_time.getTime() / 1000) });
        await this.settle(tenantId, billed.month, metric, 'sent');
        result.sent++;
      } catch (e) {
        failed++;
        this.logger.warn(`meter event ${claim.identifier} not sent: ${(e as Error).message}`);
        await this.settle(tenantId, billed.month, metric, 'failed').catch(() => undefined);
      }
    }
    return failed;
  }

  /**
   * Claims a metric of a month: a new row, or a `failed` or stale `sending` one taken over (keeping
   * its value and event time, taking the tenant's current customer and event name). Null when it is
   * sent already or another delivery is sending it now.
   */
  private async claim(tenantId: string, month: string, metric: Metric, customerId: string, eventName: string, value: string, idempotencyKey: string): Promise<Claimed | null> {
    const now = this.clock.now();
    const rows: Claimed[] = await this.ds.query(
      `INSERT INTO tenant_usage_reports AS r (tenant_id, month, metric, stripe_customer_id, event_name, value, identifier, idempotency_key, event_time, state, claimed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'sending', $9)
       ON CONFLICT (tenant_id, month, metric) DO UPDATE
          SET state = 'sending', claimed_at = EXCLUDED.claimed_at, idempotency_key = EXCLUDED.idempotency_key,
              stripe_customer_id = EXCLUDED.stripe_customer_id, event_name = EXCLUDED.event_name
        WHERE r.state = 'failed' OR (r.state = 'sending' AND r.claimed_at < $10)
       RETURNING stripe_customer_id, event_name, value::text AS value, identifier, event_time`,
      [tenantId, month, metric, customerId, eventName, value, `${tenantId}:${month}:${metric}`, idempotencyKey.slice(0, 500), now, new Date(now.getTime() - CLAIM_STALE_MS)],
    );
    return rows[0] ?? null;
  }

  private async settle(tenantId: string, month: string, metric: Metric, state: 'sent' | 'failed'): Promise<void> {
    await this.ds.query(`UPDATE tenant_usage_reports SET state = $4, sent_at = CASE WHEN $4 = 'sent' THEN $5::timestamptz END WHERE tenant_id = $1 AND month = $2 AND metric = $3 AND state = 'sending'`, [tenantId, month, metric, state, this.clock.now()]);
  }

  /**
   * The month's events not sent once the claims of other deliveries (every replica hears the
   * command; the first reply is the one job-worker reads) have settled, waited for at most
   * SETTLE_WAIT_MS: a failure anywhere makes this delivery's reply an error, so the run is retried.
   */
  private async unsettled(month: string): Promise<number> {
    const deadline = this.clock.nowMs() + SETTLE_WAIT_MS;
    for (;;) {
      const [row]: Array<{ sending: number; failed: number }> = await this.ds.query(
        `SELECT count(*) FILTER (WHERE state = 'sending')::int AS sending, count(*) FILTER (WHERE state = 'failed')::int AS failed FROM tenant_usage_reports
          WHERE month = $1 AND tenant_id IN (SELECT id FROM tenants WHERE stripe_customer_id IS NOT NULL)`,
        [month],
      );
      if (!row || row.sending === 0 || this.clock.nowMs() >= deadline) return (row?.sending ?? 0) + (row?.failed ?? 0);
      await this.clock.sleep(250);
    }
  }
}

/** The payload job-worker sends, checked: a ScheduledCommand or `400`-like VALIDATION_FAILED. */
function scheduledCommand(payload: unknown): ScheduledCommand {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Partial<Record<keyof ScheduledCommand, unknown>>;
  if (typeof p.schedule !== 'string' || typeof p.period !== 'string' || typeof p.idempotencyKey !== 'string' || p.idempotencyKey.length === 0 || p.period.length > 200) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'not a scheduled command ({schedule, period, idempotencyKey})');
  }
  return { schedule: p.schedule, period: p.period, idempotencyKey: p.idempotencyKey };
}

/**
 * `identity.billing.tenant-usage` from job-worker's monthly schedule over the Redis transport
 * (payload: a ScheduledCommand; `period` picks the month). Every replica receives it; the claims
 * make each event go out once.
 */
@Controller()
export class TenantUsageBillingMessagesController {
  constructor(private readonly billing: TenantUsageBilling) {}

  @MessagePattern(Patterns.TENANT_USAGE_BILLING)
  run(@Payload() payload: unknown): Promise<TenantUsageBillingResult> {
    return this.billing.run(scheduledCommand(payload));
  }
}
