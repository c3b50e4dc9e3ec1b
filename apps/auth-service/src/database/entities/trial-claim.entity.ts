import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * That a Firebase account once started a trial, as SHA-256 of its uid. It survives account
 * erasure so that deleting and re-creating an account cannot mint trial after trial (README,
 * "What erasure keeps").
 */
@Entity({ name: 'trial_claims' })
export class TrialClaim {
  @PrimaryColumn({ name: 'uid_hash', type: 'char', length: 64 })
  uidHash!: string;

  @Column({ name: 'claimed_at', type: 'timestamptz' })
  claimedAt!: Date;
}
