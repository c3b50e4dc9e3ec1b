import { ConfigOf, baseShape, env } from '@phoenix/common';

/** job-worker environment: Redis (queues and the transport) only; never another side's database. */
export const configShape = {
  ...baseShape(3004),
  REDIS_URL: env.url(['redis:', 'rediss:']),
  ADMIN_TOKEN: env.secret('dev-admin-token-job-worker'),
};

export type JobsConfig = ConfigOf<typeof configShape>;
