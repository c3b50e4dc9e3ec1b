import { MigrationInterface, QueryRunner } from 'typeorm';

/** Locations, nodes and leases of the network side. */
export class NetworkSchema1763800000000 implements MigrationInterface {
  name = 'NetworkSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE location (
        id          text PRIMARY KEY CHECK (id ~ '^[a-z]{2}-[a-z0-9]{2,16}$'),
        country     char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
        city        text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE location_seed (
        version     int PRIMARY KEY,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE node (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        public_key          text NOT NULL,
        endpoint_host       text NOT NULL,
        endpoint_port       int NOT NULL CHECK (endpoint_port BETWEEN 1 AND 65535),
        location_id         text NOT NULL REFERENCES location (id) ON DELETE RESTRICT,
        capacity            int NOT NULL CHECK (capacity > 0),
        tunnel_cidr_v4      cidr NOT NULL CHECK (family(tunnel_cidr_v4) = 4),
        tunnel_cidr_v6      cidr CHECK (family(tunnel_cidr_v6) = 6),
        ephemeral           boolean NOT NULL DEFAULT false,
        version             text NOT NULL,
        token_hash          bytea NOT NULL,
        status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'dead', 'decommissioned')),
        draining            boolean NOT NULL DEFAULT false,
        healthy             boolean NOT NULL DEFAULT false,
        generation          bigint NOT NULL DEFAULT 0,
        pulse_interval_sec  int NOT NULL,
        registered_at       timestamptz NOT NULL DEFAULT now(),
        last_pulse_at       timestamptz,
        recovered_at        timestamptz,
        decommissioned_at   timestamptz
      )`);
    // A decommissioned node keeps its row (it must learn 410 Gone); its key may register anew.
    await q.query(`CREATE UNIQUE INDEX node_public_key_live ON node (public_key) WHERE status <> 'decommissioned'`);
    await q.query(`CREATE INDEX node_location_live ON node (location_id) WHERE status <> 'decommissioned'`);
    await q.query(`
      CREATE TABLE lease (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        node_id     uuid NOT NULL REFERENCES node (id) ON DELETE CASCADE,
        public_key  text NOT NULL,
        ipv4        inet NOT NULL CHECK (family(ipv4) = 4 AND masklen(ipv4) = 32),
        ipv6        inet CHECK (family(ipv6) = 6 AND masklen(ipv6) = 128),
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL
      )`);
    // One owner per address per node, across every replica: the allocator tries random candidates
    // and these constraints arbitrate (no table scan, no in-memory set of used addresses).
    await q.query(`CREATE UNIQUE INDEX lease_node_ipv4 ON lease (node_id, ipv4)`);
    await q.query(`CREATE UNIQUE INDEX lease_node_ipv6 ON lease (node_id, ipv6)`);
    // WireGuard has one peer per public key: a newer lease for the same key on a node replaces the old.
    await q.query(`CREATE UNIQUE INDEX lease_node_public_key ON lease (node_id, public_key)`);
    await q.query(`CREATE INDEX lease_expires_at ON lease (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE lease`);
    await q.query(`DROP TABLE node`);
    await q.query(`DROP TABLE location_seed`);
    await q.query(`DROP TABLE location`);
  }
}
