import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Subscription } from '../database/entities';
import type { Provider, SubscriptionFacts, SubscriptionState } from '../entitlement/entitlement';

interface FactsRow {
  user_id: string;
  provider: Provider | null;
  state: SubscriptionState | null;
  plan: string | null;
  current_period_end: Date | null;
  past_due_since: Date | null;
  grace_until: Date | null;
  provider_updated_at: Date | null;
}

export function toFacts(s: Subscription): SubscriptionFacts {
  return {
    provider: s.provider,
    state: s.state,
    plan: s.plan,
    currentPeriodEnd: s.currentPeriodEnd,
    pastDueSince: s.pastDueSince,
    graceUntil: s.graceUntil,
    providerUpdatedAt: s.providerUpdatedAt,
  };
}

@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly ds: DataSource) {}

  listForUser(userId: string, m: EntityManager = this.ds.manager): Promise<Subscription[]> {
    return m.find(Subscription, { where: { userId }, order: { createdAt: 'ASC' } });
  }

  /** The row for a provider subscription, locked for the rest of the transaction (ordering checks). */
  findForUpdate(m: EntityManager, provider: Provider, providerSubscriptionId: string): Promise<Subscription | null> {
    return m.findOne(Subscription, { where: { provider, providerSubscriptionId }, lock: { mode: 'pessimistic_write' } });
  }

  findByCustomer(m: EntityManager, provider: Provider, customerId: string): Promise<Subscription | null> {
    return m.findOne(Subscription, { where: { provider, providerCustomerId: customerId }, order: { providerUpdatedAt: 'DESC' } });
  }

  /**
   * The hot path of issuance: the user id and subscription facts for a Firebase uid in one
   * query. Null when the user has never been seen.
   */
  async factsForFirebaseUid(uid: string): Promise<{ userId: string; facts: SubscriptionFacts[] } | null> {
    const rows: FactsRow[] = await this.ds.query(
      `SELECT u.id AS user_id, s.provider, s.state, s.plan, s.current_period_end, s.past_due_since, s.grace_until, s.provider_updated_at
         FROM users u LEFT JOIN subscriptions s ON s.user_id = u.id
        WHERE u.firebase_uid = $1`,
      [uid],
    );
    if (rows.length === 0) return null;
    const facts = rows
      .filter((r) => r.provider !== null)
      .map((r) => ({
        provider: r.provider as Provider,
        state: r.state as SubscriptionState,
        plan: r.plan,
        currentPeriodEnd: r.current_period_end,
        pastDueSince: r.past_due_since,
        graceUntil: r.grace_until,
        providerUpdatedAt: r.provider_updated_at as Date,
      }));
    return { userId: rows[0].user_id, facts };
  }
}
