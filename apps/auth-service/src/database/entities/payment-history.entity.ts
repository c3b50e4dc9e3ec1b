import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type PaymentStatus = 'paid' | 'failed' | 'refunded';

/** A payment, failed payment or refund reported by a provider. Amounts in minor units. */
@Entity({ name: 'payment_history' })
@Index(['provider', 'providerPaymentId'], { unique: true })
@Index(['userId', 'occurredAt', 'id'])
export class PaymentHistory {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  provider!: 'stripe' | 'apple';

  @Column({ name: 'provider_payment_id', type: 'text' })
  providerPaymentId!: string;

  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  amount!: number;

  @Column({ type: 'text' })
  currency!: string;

  @Column({ type: 'text' })
  status!: PaymentStatus;

  @Column({ name: 'paid_at', type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  @Column({ name: 'invoice_url', type: 'text', nullable: true })
  invoiceUrl!: string | null;

  /** When the payment happened (or was recorded): the pagination order. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
