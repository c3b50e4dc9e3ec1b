// `npm run migrate:clickhouse`: applies the numbered .sql files of infra/clickhouse/migrations.
import path from 'node:path';
import { env, loadConfigOrExit } from '@phoenix/common';
import { createClickHouse, runClickHouseMigrations } from '@phoenix/database';

// Relative to the working directory (the repo root in development, /app in the image).
export const CLICKHOUSE_MIGRATIONS_DIR = path.resolve(process.cwd(), 'infra/clickhouse/migrations');

async function main(): Promise<void> {
  const { CLICKHOUSE_URL } = loadConfigOrExit('migrate:clickhouse', { CLICKHOUSE_URL: env.url(['http:', 'https:']) });
  const ch = createClickHouse(CLICKHOUSE_URL);
  try {
    const applied = await runClickHouseMigrations(ch, process.env.CLICKHOUSE_MIGRATIONS_DIR ?? CLICKHOUSE_MIGRATIONS_DIR);
    process.stdout.write(applied.length ? `clickhouse: applied ${applied.join(', ')}\n` : 'clickhouse: up to date\n');
  } finally {
    await ch.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate:clickhouse failed: ${(e as Error).message}\n`);
  process.exit(1);
});
