import { loadConfig } from '@phoenix/common';
import { withDatabase } from '@phoenix/database';
import { DataSource } from 'typeorm';
import { TestDb, createNetworkDb, env } from '../test/support';
import { configShape } from './config';

async function connectError(url: string): Promise<string | null> {
  const ds = new DataSource({ type: 'postgres', url, connectTimeoutMS: 3000 });
  try {
    await ds.initialize();
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

describe('privacy: config-service cannot learn who a user is', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createNetworkDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('has no identity credential in its configuration, even when one is in the environment', () => {
    expect(Object.keys(configShape)).not.toContain('IDENTITY_DATABASE_URL');
    expect(Object.keys(configShape).filter((k) => /IDENTITY|FIREBASE|STRIPE|ISSUER_KEY/.test(k))).toEqual([]);
    const parsed = loadConfig(configShape, { ...process.env }) as Record<string, unknown>;
    expect(parsed.IDENTITY_DATABASE_URL).toBeUndefined();
    expect(JSON.stringify(parsed)).not.toContain(new URL(env('IDENTITY_DATABASE_URL')).password);
  });

  it("cannot reach the identity database with its own role (Postgres grants, not convention)", async () => {
    const identityDb = new URL(env('IDENTITY_DATABASE_URL')).pathname.slice(1);
    const error = await connectError(withDatabase(env('NETWORK_DATABASE_URL'), identityDb));
    expect(error).toMatch(/permission denied for database|does not have CONNECT privilege/);
  });

  // Invariant 2 is checked on content, not names: the journey (tools/e2e/journey.integration-spec.ts)
  // scans every row of every network table, every network Redis value, every /metrics label and every
  // log line for its users' ids, emails, Firebase uids, Stripe ids and the client's addresses.
  // B2B: a lease may name its tenant (the network side may know the tenant, never the user) and
  // holds the hash of its release token (a random secret given with the config, nothing of the client's).
  it('keeps a lease to its node, WireGuard key, tunnel addresses, times, tenant and release-token hash', async () => {
    const ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    try {
      const columns: Array<{ table_name: string; column_name: string }> = await ds.query(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1, 2`,
      );
      const lease = columns.filter((c) => c.table_name === 'lease').map((c) => c.column_name).sort();
      expect(lease).toEqual(['created_at', 'expires_at', 'id', 'ipv4', 'ipv6', 'node_id', 'public_key', 'release_token_hash', 'tenant_id']);
    } finally {
      await ds.destroy();
    }
  });
});
