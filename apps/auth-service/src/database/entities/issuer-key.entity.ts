import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A Privacy Pass issuer key (RSA-2048, token type 2). Listed in the directory from `publishFrom`
 * (a day before it signs) until `removeAt` (the redeem window after it stops signing), signing
 * in [notBefore, signsUntil). The private key is stored sealed under the KEK with the key id as
 * associated data, and the row is deleted at `removeAt`. `tenantId` is null for the consumer
 * issuer and a tenant's id for that tenant's issuer; each issuer has its own schedule
 * (`notBefore` is unique per issuer).
 */
@Entity({ name: 'issuer_keys' })
export class IssuerKey {
  /** SHA-256 of the token key, lowercase hex. */
  @PrimaryColumn({ name: 'key_id', type: 'char', length: 64 })
  keyId!: string;

  @Column({ name: 'truncated_key_id', type: 'smallint' })
  truncatedKeyId!: number;

  /** The 342-byte RSASSA-PSS SPKI published as `token-key`. */
  @Column({ name: 'token_key', type: 'bytea' })
  tokenKey!: Buffer;

  @Column({ name: 'encrypted_private_key', type: 'bytea' })
  encryptedPrivateKey!: Buffer;

  @Column({ name: 'publish_from', type: 'timestamptz' })
  publishFrom!: Date;

  /** The tenant whose issuer this key belongs to; null: the consumer issuer. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;

  @Column({ name: 'not_before', type: 'timestamptz' })
  notBefore!: Date;

  @Column({ name: 'signs_until', type: 'timestamptz' })
  signsUntil!: Date;

  @Column({ name: 'remove_at', type: 'timestamptz' })
  removeAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
