import { randomBytes } from 'node:crypto';
import { CannotExecuteNotConnectedError, DataSource, DataSourceOptions, MixedList, EntitySchema, QueryFailedError } from 'typeorm';

export type Side = 'identity' | 'network';

export interface PostgresOptions {
  /** `IDENTITY_DATABASE_URL` or `NETWORK_DATABASE_URL`. */
  url: string;
  side: Side;
  // TypeORM's own list types: entity classes / migration classes owned by the app of that side.
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  /** Connection pool size per process. */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * TypeORM options for one side's database. `synchronize` is always off: schemas change only
 * through migrations (`migrate:<side>`), never from entity metadata at start-up.
 */
export function postgresOptions(o: PostgresOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: o.url,
    entities: o.entities,
    migrations: o.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    applicationName: o.applicationName ?? `phoenix-${o.side}`,
    poolSize: o.poolSize ?? 10,
    // Fail fast when Postgres is down so requests answer 503 instead of hanging.
    connectTimeoutMS: 3000,
    extra: { connectionTimeoutMillis: 3000, statement_timeout: 10_000 },
  };
}

/** Creates (not initializes) a DataSource for one side's database. */
export function createPostgresDataSource(o: PostgresOptions): DataSource {
  return new DataSource(postgresOptions(o));
}

/** What {@link preparedQuery} needs of the pg pool TypeORM's Postgres driver keeps. */
interface PgPool {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs one hot statement as a named prepared statement on the DataSource's own pg pool (the
 * connections, limits and timeouts `ds.query` uses): Postgres parses and plans it once per
 * connection instead of on every call, and no TypeORM query runner is made for it. For the
 * statements every redemption and every pulse runs; everything else goes through TypeORM. `name`
 * must be unique per `text` in the process. Fails as `ds.query` does: a `QueryFailedError` with
 * the driver's error (and its SQLSTATE `code`) on it.
 */
export async function preparedQuery<R = Record<string, unknown>>(ds: DataSource, name: string, text: string, values: readonly unknown[]): Promise<R[]> {
  const pool = (ds.driver as unknown as { master?: PgPool }).master;
  if (!pool) throw new CannotExecuteNotConnectedError();
  try {
    return (await pool.query({ name, text, values })).rows as R[];
  } catch (e) {
    throw new QueryFailedError(text, [...values], e as Error);
  }
}

/** Runs pending migrations; returns the names applied. Safe to call on an up-to-date database. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const applied = await ds.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/** Replaces the database name of a Postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A throwaway database for one integration suite, owned by the side's role and closed to every
 * other role (the same grants as the real one). `drop()` removes it.
 */
export async function createTestDatabase(adminUrl: string, sideUrl: string, prefix = 'test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const owner = decodeURIComponent(new URL(sideUrl).username);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: adminUrl });
  await admin.initialize();
  try {
    await admin.query(`CREATE DATABASE "${name}" OWNER "${owner.replace(/"/g, '')}"`);
    await admin.query(`REVOKE CONNECT, TEMPORARY ON DATABASE "${name}" FROM PUBLIC`);
    await admin.query(`GRANT CONNECT ON DATABASE "${name}" TO "${owner.replace(/"/g, '')}"`);
  } finally {
    await admin.destroy();
  }
  return {
    url: withDatabase(sideUrl, name),
    name,
    drop: async () => {
      const a = new DataSource({ type: 'postgres', url: adminUrl });
      await a.initialize();
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.destroy();
      }
    },
  };
}
