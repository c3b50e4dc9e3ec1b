import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Provider, SubscriptionState } from '../../entitlement/entitlement';

/**
 * One subscription (or the trial) as the provider last told us. `providerUpdatedAt` is the
 * ordering watermark: the time of the newest provider event applied, so an older event that
 * arrives late never overwrites newer state.
 */
@Entity({ name: 'subscriptions' })
@Index(['provider', 'providerSubscriptionId'], { unique: true })
export class Subscription {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  provider!: Provider;

  @Column({ name: 'provider_subscription_id', type: 'text' })
  providerSubscriptionId!: string;

  @Column({ name: 'provider_customer_id', type: 'text', nullable: true })
  providerCustomerId!: string | null;

  @Column({ type: 'text' })
  state!: SubscriptionState;

  @Column({ type: 'text', nullable: true })
  plan!: string | null;

  @Column({ name: 'current_period_end', type: 'timestamptz', nullable: true })
  currentPeriodEnd!: Date | null;

  @Column({ name: 'past_due_since', type: 'timestamptz', nullable: true })
  pastDueSince!: Date | null;

  @Column({ name: 'grace_until', type: 'timestamptz', nullable: true })
  graceUntil!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'provider_updated_at', type: 'timestamptz' })
  providerUpdatedAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
