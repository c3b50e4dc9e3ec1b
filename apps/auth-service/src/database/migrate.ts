// `npm run migrate:identity`: applies the identity database's pending migrations.
import 'reflect-metadata';
import { loadConfigOrExit } from '@phoenix/common';
import { createPostgresDataSource, runMigrations } from '@phoenix/database';
import { z } from 'zod';
import { configShape } from '../config';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS } from './identity-schema';

async function main(): Promise<void> {
  const { IDENTITY_DATABASE_URL } = loadConfigOrExit('migrate:identity', { IDENTITY_DATABASE_URL: configShape.IDENTITY_DATABASE_URL as z.ZodType<string> });
  const ds = createPostgresDataSource({ url: IDENTITY_DATABASE_URL, side: 'identity', entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
    process.stdout.write(applied.length ? `identity: applied ${applied.join(', ')}\n` : 'identity: up to date\n');
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate:identity failed: ${(e as Error).message}\n`);
  process.exit(1);
});
