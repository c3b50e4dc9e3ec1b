import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'user_preferences' })
export class UserPreferences {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'default_location', type: 'text', nullable: true })
  defaultLocation!: string | null;

  @Column({ name: 'blocklist_enabled', type: 'boolean' })
  blocklistEnabled!: boolean;

  @Column({ name: 'kill_switch', type: 'boolean' })
  killSwitch!: boolean;

  @Column({ name: 'notify_email', type: 'boolean' })
  notifyEmail!: boolean;

  @Column({ name: 'notify_push', type: 'boolean' })
  notifyPush!: boolean;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
