import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Spent tokens, durably: Redis `SET NX` stays the fast first check, and the lease transaction also
 * inserts the token's nullifier here, so a flushed, replaced or failed-over Redis never lets a
 * token redeem twice. Deliberately no link to the lease: no lease or node id, no foreign key, and
 * no time finer than the day the issuing key stops being redeemable (`forget_on`, the same for
 * every token of a key), so a row cannot be joined to a lease by id or by time.
 */
export class SpentToken1796071258000 implements MigrationInterface {
  name = 'SpentToken1796071258000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE spent_token (
        nullifier  bytea PRIMARY KEY CHECK (length(nullifier) = 32),
        forget_on  date NOT NULL
      )`);
    await q.query(`CREATE INDEX spent_token_forget_on ON spent_token (forget_on)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE spent_token`);
  }
}
