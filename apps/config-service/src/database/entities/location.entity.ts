import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A place users can choose (`de-fra`). Public data: no node addresses live here. */
@Entity({ name: 'location' })
export class Location {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  /** ISO 3166-1 alpha-2, upper case. */
  @Column({ type: 'char', length: 2 })
  country!: string;

  @Column({ type: 'text' })
  city!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** Which versions of `infra/locations/locations.v<N>.json` were applied (each exactly once). */
@Entity({ name: 'location_seed' })
export class LocationSeed {
  @PrimaryColumn({ type: 'int' })
  version!: number;

  @CreateDateColumn({ name: 'applied_at', type: 'timestamptz' })
  appliedAt!: Date;
}
