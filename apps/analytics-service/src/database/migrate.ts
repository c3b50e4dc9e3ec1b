// `npm run migrate:clickhouse`: applies the numbered .sql files of infra/clickhouse/migrations, or
// with CLICKHOUSE_CLUSTER set those of infra/clickhouse/cluster/<CLICKHOUSE_CLUSTER_SCHEMA> on every
// server of CLICKHOUSE_CLUSTER_URLS (README "Sharded ClickHouse").
import { loadConfigOrExit } from '@phoenix/common';
import { clickHouseRules, clickHouseShape, migrateClickHouse, migrationsDir } from '../cluster/clickhouse-cluster';

async function main(): Promise<void> {
  const config = loadConfigOrExit('migrate:clickhouse', clickHouseShape, clickHouseRules);
  // Relative to the working directory (the repo root in development, /app in the image).
  const dir = process.env.CLICKHOUSE_MIGRATIONS_DIR ?? migrationsDir(process.cwd(), config);
  for (const { server, applied } of await migrateClickHouse(config, dir)) {
    const where = config.CLICKHOUSE_CLUSTER === undefined ? '' : ` on ${server}`;
    process.stdout.write(applied.length ? `clickhouse${where}: applied ${applied.join(', ')}\n` : `clickhouse${where}: up to date\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate:clickhouse failed: ${(e as Error).message}\n`);
  process.exit(1);
});
