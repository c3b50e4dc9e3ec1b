export * from './postgres';
export * from './redis';
export * from './redis.module';
export * from './clickhouse';
export * from './postgres.module';
export * from './readiness';
export * from './clickhouse.module';
export * from './dependency-failure';
