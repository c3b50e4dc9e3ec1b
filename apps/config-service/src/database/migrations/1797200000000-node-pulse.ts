import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pulse as one function, `node_pulse`, which commits without waiting for the disk
 * (`synchronous_commit = off` for its own transaction only). A pulse is the most frequent write
 * there is (at 10,000 nodes, 333 a second) and the least precious: a crash can lose at most the
 * last moments of pulse times (the WAL writer flushes every `wal_writer_delay`), which the next
 * pulse writes again; nothing else depends on them being on disk. Every other write (leases,
 * nullifiers, generations, status changes made by reaping or decommissioning) still commits
 * durably. PL/pgSQL, so that each connection plans the statement once (a SQL function's body is
 * planned again on every call). Otherwise the same statement as before: a dead node comes back to `active`; one back
 * from dead, unhealthy or silent (more than three intervals) gets `recovered_at = now()`; the old
 * state is read with the lock the UPDATE takes anyway (FOR NO KEY UPDATE: it does not wait for
 * redemptions, whose lease inserts key-share lock the node row), so `changed` is exact.
 */
export class NodePulse1797200000000 implements MigrationInterface {
  name = 'NodePulse1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION node_pulse(p_node uuid, p_healthy boolean)
      RETURNS TABLE (generation bigint, location_id text, changed boolean)
      LANGUAGE plpgsql VOLATILE AS $fn$
      #variable_conflict use_column
      BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        RETURN QUERY
          WITH before AS (SELECT b.healthy, b.status, b.recovered_at FROM node b WHERE b.id = p_node FOR NO KEY UPDATE)
          UPDATE node SET
            recovered_at = CASE WHEN p_healthy AND node.last_pulse_at IS NOT NULL
                                 AND (node.status = 'dead' OR NOT node.healthy OR node.last_pulse_at < now() - make_interval(secs => node.pulse_interval_sec * 3))
                                THEN now() ELSE node.recovered_at END,
            status = CASE WHEN node.status = 'dead' THEN 'active' ELSE node.status END,
            healthy = p_healthy,
            last_pulse_at = now()
          FROM before
          WHERE node.id = p_node AND node.status <> 'decommissioned'
          RETURNING (SELECT g.generation FROM node_generation g WHERE g.node_id = node.id), node.location_id::text,
            (before.healthy IS DISTINCT FROM node.healthy OR before.status IS DISTINCT FROM node.status OR before.recovered_at IS DISTINCT FROM node.recovered_at);
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION node_pulse(uuid, boolean)`);
  }
}
