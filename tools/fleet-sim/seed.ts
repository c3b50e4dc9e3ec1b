import type { Client } from 'pg';

/** Rows per INSERT statement while seeding. */
const ROWS_PER_STATEMENT = 200_000;

/** The indexes of `table` that no constraint owns (those can be dropped and built again from their definition). */
async function plainIndexes(db: Client, table: string): Promise<Array<{ name: string; definition: string }>> {
  const rows = await db.query(
    `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
     WHERE i.schemaname = current_schema() AND i.tablename = $1
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)`,
    [table],
  );
  return rows.rows as Array<{ name: string; definition: string }>;
}

/**
 * Loads `table` the way bulk loads are done: its plain indexes dropped, `load` run, the indexes
 * built again from their own definitions (one sort each instead of a million random inserts),
 * then VACUUM ANALYZE so autovacuum does not start during the measurement. Only for a table
 * nothing else writes meanwhile (the run's own database, before its nodes start).
 */
async function bulkLoad(db: Client, table: string, load: () => Promise<void>): Promise<void> {
  const indexes = await plainIndexes(db, table);
  await db.query('SET synchronous_commit = off');
  for (const i of indexes) await db.query(`DROP INDEX ${JSON.stringify(i.name)}`);
  try {
    await load();
  } finally {
    for (const i of indexes) await db.query(i.definition);
  }
  await db.query(`VACUUM ANALYZE ${table}`);
}

/**
 * Gives every registered node of the run's database `perNode` leases (bench data: addresses from
 * the 17th of the node's pools on, keys derived from the node id and the lease's number, expiring
 * in a day) and records as many spent-token nullifiers, with multi-row `INSERT … SELECT`
 * statements on two connections at once — a million leases without redeeming a million times.
 * Meant for before the nodes start: they pull the seeded sets at their first reconcile.
 */
export async function seedLeases(open: () => Promise<Client>, perNode: number): Promise<{ nodes: number; leases: number; spent: number }> {
  if (!Number.isInteger(perNode) || perNode < 0) throw new Error('seedLeases: perNode must be a whole number');
  const [a, b] = await Promise.all([open(), open()]);
  try {
    const ids = ((await a.query(`SELECT id FROM node WHERE status = 'active' ORDER BY id`)).rows as Array<{ id: string }>).map((r) => r.id);
    if (perNode > 0 && ids.length > 0) {
      const idsPerStatement = Math.max(1, Math.floor(ROWS_PER_STATEMENT / perNode));
      const total = ids.length * perNode;
      await Promise.all([
        bulkLoad(a, 'lease', async () => {
          for (let from = 0; from < ids.length; from += idsPerStatement) {
            await a.query(
              `INSERT INTO lease (node_id, public_key, ipv4, ipv6, expires_at)
               SELECT n.id, encode(sha256(convert_to(n.id::text || ':' || g, 'UTF8')), 'base64'),
                      set_masklen(n.tunnel_cidr_v4::inet, 32) + (16 + g),
                      CASE WHEN n.tunnel_cidr_v6 IS NULL THEN NULL ELSE set_masklen(n.tunnel_cidr_v6::inet, 128) + (16 + g) END,
                      now() + interval '1 day'
               FROM node n CROSS JOIN generate_series(0, $2::int - 1) AS g
               WHERE n.id = ANY($1::uuid[])`,
              [ids.slice(from, from + idsPerStatement), perNode],
            );
          }
        }),
        bulkLoad(b, 'spent_token', async () => {
          for (let from = 0; from < total; from += ROWS_PER_STATEMENT) {
            await b.query(
              `INSERT INTO spent_token (nullifier, forget_on)
               SELECT sha256(convert_to('fleet-sim-spent:' || g, 'UTF8')), current_date + 16
               FROM generate_series($1::bigint, $2::bigint - 1) AS g
               ON CONFLICT DO NOTHING`,
              [from, Math.min(total, from + ROWS_PER_STATEMENT)],
            );
          }
        }),
      ]);
      await a.query('VACUUM ANALYZE node');
    }
    const leases = Number((await a.query(`SELECT count(*) AS n FROM lease`)).rows[0].n);
    const spent = Number((await a.query(`SELECT count(*) AS n FROM spent_token`)).rows[0].n);
    return { nodes: ids.length, leases, spent };
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
}
