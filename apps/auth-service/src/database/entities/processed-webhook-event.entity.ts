import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A provider event already applied (idempotency). Holds no user reference on purpose. */
@Entity({ name: 'processed_webhook_events' })
export class ProcessedWebhookEvent {
  @PrimaryColumn({ type: 'text' })
  provider!: 'stripe' | 'apple';

  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'processed_at', type: 'timestamptz' })
  processedAt!: Date;
}
