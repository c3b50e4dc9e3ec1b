import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lease transaction as one statement: `SELECT * FROM lease_create(…)` does, in one round trip
 * and as one transaction, what LeasesRepository.create did in six (BEGIN, nullifier, replaced
 * lease, candidates, node check, COMMIT), in the same order, with plans the function keeps.
 * Nothing in it locks a row that every redemption of a node writes: the node row is only
 * key-share locked (as the lease's foreign key does anyway), so redemptions to one node commit
 * together (see 1797000000000).
 *
 * Candidates come from the caller (random, never derived from the client): `p_ipv4[i]` with
 * `p_ipv6[i]` (null without an IPv6 pool), tried in order. The unique indexes decide whether one
 * is free (ON CONFLICT DO NOTHING checks them before inserting, and waits for a concurrent insert
 * of the same address to commit or roll back): a taken one inserts nothing and the next is tried.
 *
 * Failures roll everything back and are told apart by SQLSTATE: `PH001` the nullifier is already
 * recorded (the token was spent before), `PH002` no candidate was free, `PH003` the node is not
 * active.
 */
export class LeaseCreate1797000000001 implements MigrationInterface {
  name = 'LeaseCreate1797000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION lease_create(p_node uuid, p_key text, p_ipv4 inet[], p_ipv6 inet[], p_ttl_sec int, p_nullifier bytea, p_forget_on date)
      RETURNS TABLE (id uuid, ipv4 text, ipv6 text, expires_at timestamptz, superseded boolean)
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_superseded boolean;
      BEGIN
        IF cardinality(p_ipv4) IS DISTINCT FROM cardinality(p_ipv6) THEN
          RAISE EXCEPTION 'lease_create: % IPv4 but % IPv6 candidates', cardinality(p_ipv4), cardinality(p_ipv6);
        END IF;
        -- First, so a token Redis forgot fails before any lease row is touched. The primary key
        -- decides between replicas: a concurrent insert of the same nullifier waits for the other
        -- transaction and, if that commits, inserts nothing.
        INSERT INTO spent_token (nullifier, forget_on) VALUES (p_nullifier, p_forget_on) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'token already spent' USING ERRCODE = 'PH001';
        END IF;
        -- WireGuard has one peer per key: this key's earlier lease on the node is replaced.
        DELETE FROM lease l WHERE l.node_id = p_node AND l.public_key = p_key;
        v_superseded := FOUND;
        FOR i IN 1 .. coalesce(cardinality(p_ipv4), 0) LOOP
          RETURN QUERY
            INSERT INTO lease AS l (node_id, public_key, ipv4, ipv6, expires_at)
            VALUES (p_node, p_key, p_ipv4[i], p_ipv6[i], now() + make_interval(secs => p_ttl_sec))
            ON CONFLICT DO NOTHING
            RETURNING l.id, host(l.ipv4), host(l.ipv6), l.expires_at, v_superseded;
          IF FOUND THEN
            -- The node must still be active at the commit. The key-share lock (the one the
            -- foreign-key check just took, so this costs nothing more) lets any number of
            -- redemptions proceed together; ending a node (decommission, reaping) locks its row
            -- FOR UPDATE first, which waits for them, and they for it — then, in this new
            -- statement, they see its new status and roll back.
            PERFORM 1 FROM node n WHERE n.id = p_node AND n.status = 'active' FOR KEY SHARE;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'node % is not active', p_node USING ERRCODE = 'PH003';
            END IF;
            RETURN;
          END IF;
        END LOOP;
        RAISE EXCEPTION 'no free address among % candidates', coalesce(cardinality(p_ipv4), 0) USING ERRCODE = 'PH002';
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION lease_create(uuid, text, inet[], inet[], int, bytea, date)`);
  }
}
