import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A person who signed in with Firebase. Created on first sight. */
@Entity({ name: 'users' })
export class User {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'firebase_uid', type: 'text', unique: true })
  firebaseUid!: string;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  @Column({ name: 'stripe_customer_id', type: 'text', nullable: true, unique: true })
  stripeCustomerId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
