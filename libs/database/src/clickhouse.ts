import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ClickHouseClient, ClickHouseError, type ClickHouseSettings, createClient } from '@clickhouse/client';

/** ClickHouse's error code for a table that does not exist (`UNKNOWN_TABLE`). */
export const CLICKHOUSE_UNKNOWN_TABLE = '60';

/**
 * The error code ClickHouse gave `e` (`'60'`), or undefined for an error ClickHouse did not send
 * (a refused connection, a timeout). ClickHouse 18.16's error text predates the client's parser,
 * which then leaves a plain error: its code is read from the message.
 */
export function clickHouseErrorCode(e: unknown): string | undefined {
  if (e instanceof ClickHouseError) return e.code;
  // Not `instanceof Error`: socket errors are made in Node's own realm (a Jest sandbox has another).
  const message = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? /^Code: (\d+)/.exec(message)?.[1] : undefined;
}

/**
 * A ClickHouse client for `CLICKHOUSE_URL` (credentials and database may be in the URL), sending
 * `settings` with every query (none by default).
 */
export function createClickHouse(url: string, database?: string, settings?: ClickHouseSettings): ClickHouseClient {
  const u = new URL(url);
  const db = database ?? (u.pathname.length > 1 ? u.pathname.slice(1) : 'default');
  return createClient({
    url: `${u.protocol}//${u.host}`,
    username: u.username ? decodeURIComponent(u.username) : 'default',
    password: u.password ? decodeURIComponent(u.password) : '',
    database: db,
    request_timeout: 10_000,
    // ClickHouse 18.16 (Debian) knows none of the newer settings the client can send.
    compression: { request: false, response: false },
    ...(settings ? { clickhouse_settings: settings } : {}),
  });
}

export interface ClickHouseMigration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d+)_([\w-]+)\.sql$/;

/** Reads `NNN_name.sql` files from `dir`, in version order. */
export async function readClickHouseMigrations(dir: string): Promise<ClickHouseMigration[]> {
  const files = (await fs.readdir(dir)).flatMap((f) => {
    const m = FILE.exec(f);
    return m ? [{ file: f, version: Number(m[1]), name: m[2] }] : [];
  });
  const migrations = await Promise.all(
    files.map(async ({ file, version, name }) => ({ version, name, sql: await fs.readFile(path.join(dir, file), 'utf8') })),
  );
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) throw new Error(`duplicate ClickHouse migration version ${migrations[i].version}`);
  }
  return migrations;
}

/** Splits a migration file into statements (on `;` at line end; `--` comments dropped). */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `statement` with every `${name}` replaced by `vars[name]` (ClickHouse's own `{macro}`s, without
 * `$`, are left alone). Values are put in as they are: callers pass identifiers they checked.
 * @throws when a statement names a variable `vars` does not have
 */
export function substituteVariables(statement: string, vars: Readonly<Record<string, string>> = {}): string {
  return statement.replace(VARIABLE, (_, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(vars, name)) throw new Error(`ClickHouse migration variable \${${name}} has no value`);
    return vars[name];
  });
}

/**
 * Applies pending migrations in order and records them in `schema_migrations`. The SQL used here
 * is accepted by ClickHouse 18.16 and current releases alike (plain MergeTree, no TTL). Migration
 * files must be idempotent (`IF NOT EXISTS`): ClickHouse has no transactions, so a migration cut
 * off half-way is simply run again. `${name}` in a statement is replaced by `vars[name]`
 * ({@link substituteVariables}; the cluster schema's cluster and database names).
 */
export async function runClickHouseMigrations(client: ClickHouseClient, dir: string, vars?: Readonly<Record<string, string>>): Promise<string[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime) ENGINE = MergeTree() ORDER BY version`,
  });
  const rs = await client.query({ query: 'SELECT version FROM schema_migrations', format: 'JSONEachRow' });
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
  const applied: string[] = [];
  for (const m of await readClickHouseMigrations(dir)) {
    if (done.has(m.version)) continue;
    // Every statement resolved before the first runs: a missing variable applies nothing.
    const statements = splitStatements(m.sql).map((st) => substituteVariables(st, vars));
    for (const statement of statements) await client.command({ query: statement });
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, applied_at: Math.floor(Date.now() / 1000) }],
      format: 'JSONEachRow',
    });
    applied.push(`${m.version}_${m.name}`);
  }
  return applied;
}
