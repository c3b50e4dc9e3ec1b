import { ConfigOf, baseShape, env } from '@phoenix/common';

/** config-service environment. No identity credential exists here (privacy invariant 1). */
export const configShape = {
  ...baseShape(3002),
  NETWORK_DATABASE_URL: env.url(['postgres:', 'postgresql:']),
  REDIS_URL: env.url(['redis:', 'rediss:']),
  ISSUER_DIRECTORY_URL: env.url(['http:', 'https:']),
  NODE_ENROLLMENT_TOKEN: env.secret('dev-node-enrollment-token'),
  ADMIN_TOKEN: env.secret('dev-admin-token-config-service'),
};

export type NetworkConfig = ConfigOf<typeof configShape>;
