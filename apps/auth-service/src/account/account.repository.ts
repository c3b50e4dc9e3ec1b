import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { PaymentHistory, Subscription, TrialClaim, User, UserPreferences } from '../database/entities';

export interface PageCursor {
  occurredAt: Date;
  id: string;
}

/** Account data: preferences, payment pages, the trial and erasure. */
@Injectable()
export class AccountRepository {
  constructor(readonly ds: DataSource) {}

  preferences(userId: string): Promise<UserPreferences | null> {
    return this.ds.manager.findOne(UserPreferences, { where: { userId } });
  }

  async savePreferences(p: Omit<UserPreferences, 'updatedAt'>): Promise<void> {
    await this.ds.manager.upsert(UserPreferences, p, ['userId']);
  }

  /** Newest first; keyset pagination on (occurred_at, id). */
  async payments(userId: string, limit: number, after: PageCursor | null): Promise<PaymentHistory[]> {
    const qb = this.ds.manager
      .createQueryBuilder(PaymentHistory, 'p')
      .where('p.user_id = :userId', { userId })
      .orderBy('p.occurred_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(limit);
    if (after) qb.andWhere('(p.occurred_at, p.id) < (:at, :id)', { at: after.occurredAt, id: after.id });
    return qb.getMany();
  }

  allPayments(userId: string): Promise<PaymentHistory[]> {
    return this.ds.manager.find(PaymentHistory, { where: { userId }, order: { occurredAt: 'DESC', id: 'DESC' } });
  }

  /** Claims the one trial of a Firebase account; false when it was ever claimed. */
  async claimTrial(m: EntityManager, uidHash: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await m.query(`INSERT INTO trial_claims (uid_hash, claimed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING uid_hash`, [uidHash, now]);
    return rows.length === 1;
  }

  async hasTrial(m: EntityManager, userId: string): Promise<boolean> {
    return (await m.count(Subscription, { where: { userId, provider: 'trial' } })) > 0;
  }

  trialClaimed(uidHash: string): Promise<boolean> {
    return this.ds.manager.exists(TrialClaim, { where: { uidHash } });
  }

  async insertTrial(m: EntityManager, userId: string, now: Date, end: Date): Promise<void> {
    await m.insert(Subscription, {
      id: randomUUID(),
      userId,
      provider: 'trial',
      providerSubscriptionId: `trial-${userId}`,
      providerCustomerId: null,
      state: 'trialing',
      plan: 'trial',
      currentPeriodEnd: end,
      pastDueSince: null,
      graceUntil: null,
      endedAt: null,
      providerUpdatedAt: now,
    });
  }

  /** Erasure: the user row and, by cascade, subscriptions, payments and preferences. */
  async deleteUser(userId: string): Promise<void> {
    await this.ds.manager.delete(User, { id: userId });
  }
}
