import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A node's desired-state generation moves out of the `node` row into a row of its own. The lease
 * transaction no longer bumps it: it used to, so every redemption on a node took that row's lock and
 * held it through its commit, and redemptions to one node could not share a group commit (about
 * 300/s per node whatever the hardware). Now a lease commits on its own and its node's generation
 * moves on just after, once for every lease committed meanwhile (fleet/node-generations.ts).
 * Removals (expiry, decommission, reaping) still bump it in their own transactions. The `node` row
 * keeps only what selection, pulses and the admin change.
 */
export class NodeGeneration1797000000000 implements MigrationInterface {
  name = 'NodeGeneration1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE node_generation (
        node_id     uuid PRIMARY KEY REFERENCES node (id) ON DELETE CASCADE,
        generation  bigint NOT NULL DEFAULT 0 CHECK (generation >= 0)
      )`);
    await q.query(`INSERT INTO node_generation (node_id, generation) SELECT id, generation FROM node`);
    await q.query(`ALTER TABLE node DROP COLUMN generation`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE node ADD COLUMN generation bigint NOT NULL DEFAULT 0`);
    await q.query(`UPDATE node n SET generation = g.generation FROM node_generation g WHERE g.node_id = n.id`);
    await q.query(`DROP TABLE node_generation`);
  }
}
